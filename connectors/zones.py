"""The time zone a calendar file says it lives in, to suggest the person's zone.

A calendar names its zone in ``X-WR-TIMEZONE`` (Google, Apple and Outlook exports) and in
the ``TZID`` of its ``VTIMEZONE`` components (RFC 5545 §3.6.5). Only IANA names both
`zoneinfo` and Polars know count; Windows names and invented TZIDs say nothing certain.
This reads the text only (no parse), so it costs nothing next to reading the events.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from connectors.text import decode_calendar_bytes
from core.period import is_zone

# RFC 5545 §3.1: a line folded with CRLF + one space or tab continues the previous one.
_FOLD = re.compile(r"\r?\n[ \t]")
_WR = re.compile(r"^X-WR-TIMEZONE(?:;[^:\r\n]*)?:(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE\s*$(.*?)^END:VTIMEZONE\s*$",
                        re.MULTILINE | re.DOTALL | re.IGNORECASE)
_TZID = re.compile(r"^TZID(?:;[^:\r\n]*)?:(.+?)\s*$", re.MULTILINE | re.IGNORECASE)


def declared_zone(data: bytes, charset: str | None = None) -> str | None:
    """The IANA zone a calendar file declares: its X-WR-TIMEZONE, else the VTIMEZONE it
    defines most often (the first of a tie); None when it names no usable zone."""
    text = _FOLD.sub("", decode_calendar_bytes(data, charset))
    for name in _WR.findall(text):
        if is_zone(name.strip()):
            return name.strip()
    tzids = [tzid.strip() for block in _VTIMEZONE.findall(text)
             for tzid in _TZID.findall(block)[:1] if is_zone(tzid.strip())]
    return Counter(tzids).most_common(1)[0][0] if tzids else None


def majority_zone(declared: Iterable[str | None]) -> tuple[str | None, int, int]:
    """(the zone most calendars declare, how many declare it, how many calendars);
    the first of a tie wins. The zone is None when none declares one."""
    zones = list(declared)
    named = Counter(zone for zone in zones if zone)
    if not named:
        return None, 0, len(zones)
    zone, count = named.most_common(1)[0]
    return zone, count, len(zones)
