"""Bytes → text for iCalendar data whose producers do not always write UTF-8."""

from __future__ import annotations

import codecs
import re

# A valid UTF-8 multi-byte sequence; if a file that is not valid UTF-8 still has many of
# these, it is UTF-8 with a few broken bytes (bloc.jp), not Latin-1 (Google's old export).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def decode_calendar_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode calendar bytes: the declared charset, else UTF-8 (BOM allowed), else a guess.

    RFC 5545 §6 says UTF-8, but Google's legacy export is ISO-8859-1 (corpus:
    google__latin1-encoded-export.ics). Windows-1252 is used for that case because it is
    a superset of ISO-8859-1 for printable text.
    """
    if charset:
        try:
            codecs.lookup(charset)
            return data.decode(charset, errors="replace").lstrip("\ufeff")
        except LookupError:
            pass  # an unknown charset label from a server: fall back to sniffing
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    multibyte = sum(len(m) for m in _UTF8_MULTIBYTE.findall(data))
    high = len(_HIGH_BYTE.findall(data))
    if multibyte >= high / 2:
        return data.decode("utf-8", errors="replace").lstrip("\ufeff")
    return data.decode("cp1252", errors="replace")
