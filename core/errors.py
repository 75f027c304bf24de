"""The errors timeaudit shows to a person: expected, one line, no traceback.

The CLI catches :class:`AuditError` in one place, prints ``str(error)`` and exits 2.
Everything else is a bug and is allowed to crash loudly.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidirectional overrides and isolates that reorder text.
# Control characters (ESC, BEL, …), bidirectional marks and overrides, line separators and
# the BOM: a calendar or a server could put them into a message, and a terminal obeys them.
# A tab is only white space.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029"
                      "\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters shown escaped (``\\x1b``), so a
    calendar or a server cannot send terminal escape sequences through a message."""
    return _CONTROL.sub(lambda m: (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                                   else f"\\u{ord(m[0]):04x}"), text)


class AuditError(Exception):
    """An expected problem with the user's input or environment."""


class InvalidCalendar(AuditError):
    """A calendar that cannot be read: carries the source and, when known, line and UID."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        line: int | None = None,
        uid: str | None = None,
    ) -> None:
        # One line, whatever a damaged file put into the text we quote.
        self.message = message = " ".join(message.split())
        self.source = source
        self.line = line
        self.uid = uid
        where = source if line is None else f"{source}, line {line}"
        super().__init__(f"{where}: {message}")


class ConfigError(AuditError):
    """A bad configuration key or value: carries the key and the file."""

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None) -> None:
        self.message = message
        self.key = key
        self.file = file
        where = file or "configuration"
        prefix = f"{where}: {key}: " if key else f"{where}: "
        super().__init__(prefix + message)


class UsageError(AuditError):
    """A bad command-line value (week, dates, time zone)."""


class ConnectorError(AuditError):
    """A calendar service or URL failed."""


class AuthError(ConnectorError):
    """Credentials are missing, expired or revoked."""


class RateLimited(ConnectorError):
    """The service kept refusing requests after the retries."""


class CalendarWarning(UserWarning):
    """Something in a calendar was skipped or assumed; the calendar was still read."""
