"""Outlook's X-MICROSOFT-CDO-BUSYSTATUS in an iCalendar file (SPEC §3 status and kind)."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.ics import read_ics

TEMPLATE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tests//busystatus//EN
{events}END:VCALENDAR
"""
EVENT = """BEGIN:VEVENT
UID:{uid}@tests
SUMMARY:{uid}
DTSTART:20261116T{hour:02d}0000Z
DTEND:20261116T{hour:02d}3000Z
{extra}DTSTAMP:20261101T000000Z
END:VEVENT
"""


def test_busy_status_tentative_and_working_elsewhere() -> None:
    cases = {
        "tentative": "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\n",
        "elsewhere": "X-MICROSOFT-CDO-BUSYSTATUS:WORKINGELSEWHERE\n",
        "oof": "X-MICROSOFT-CDO-BUSYSTATUS:OOF\n",
        "busy": "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\n",
        "cancelled": "STATUS:CANCELLED\nX-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\n",
    }
    events = "".join(EVENT.format(uid=uid, hour=8 + i, extra=extra)
                     for i, (uid, extra) in enumerate(cases.items()))
    frame = read_ics(TEMPLATE.format(events=events).encode(),
                     start=datetime(2026, 11, 16, tzinfo=UTC),
                     end=datetime(2026, 11, 17, tzinfo=UTC), tz="UTC", use_cache=False)
    got = {r["title"]: (r["status"], r["kind"], r["busy"]) for r in frame.iter_rows(named=True)}
    assert got == {
        "tentative": ("tentative", "event", True),
        "elsewhere": ("confirmed", "working_location", True),
        "oof": ("confirmed", "out_of_office", True),
        "busy": ("confirmed", "event", True),
        "cancelled": ("cancelled", "event", True),  # STATUS:CANCELLED wins
    }
