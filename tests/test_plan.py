"""`timeaudit plan` (issue 14): focus blocks proposed for a week, written as an .ics that
timeaudit reads back as focus time.

Europe/Berlin, 2026-W48 (Mon 23 – Sun 29 November), working hours 09:00-17:30 Monday to
Friday, Wednesday a no-meeting day, a protected "Kids" block Thursday 15:30-17:30, focus
blocks from 120 minutes, target 12 h. "Now" is Friday 20 November (the suite's frozen
clock), so "next week" is W48.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from audit.config import load_config
from audit.engine import run_audit
from audit.plan import plan_calendar, plan_week, propose_focus_blocks
from cli.main import main
from connectors.ics import read_ics
from core.period import Period

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
W48 = Period(date(2026, 11, 23), date(2026, 11, 30), TZ)

CONFIG = """\
timezone = "Europe/Berlin"

[working_hours]
monday = "09:00-17:30"
tuesday = "09:00-17:30"
wednesday = "09:00-17:30"
thursday = "09:00-17:30"
friday = "09:00-17:30"
saturday = ""
sunday = ""

[boundaries]
no_meeting_days = ["wednesday"]

[[boundaries.protected]]
name = "Kids"
days = ["thursday"]
time = "15:30-17:30"

[focus]
min_block_minutes = 120
target_hours_per_week = {target}
"""

EVENTS = [  # (uid, title, day, start, end)
    ("planning", "Planning", 23, "0900", "1200"),
    ("sync", "Sync", 23, "1300", "1400"),
    ("standup", "Standup", 24, "0900", "0930"),
    ("offsite", "Offsite", 24, "1100", "1730"),
    ("prep", "Prep", 25, "0900", "1300"),
    ("review", "Review", 26, "0900", "1000"),
    ("writing", "Focus: writing", 27, "0900", "1100"),
    ("call", "Call", 27, "1100", "1200"),
]


def ics_text() -> str:
    events = "".join(
        f"BEGIN:VEVENT\nUID:{uid}@plan.test\nDTSTAMP:20261101T000000Z\n"
        f"DTSTART;TZID=Europe/Berlin:202611{day}T{start}00\n"
        f"DTEND;TZID=Europe/Berlin:202611{day}T{end}00\nSUMMARY:{title}\nEND:VEVENT\n"
        for uid, title, day, start, end in EVENTS)
    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//timeaudit//test//EN\n" + events
            + "END:VCALENDAR\n")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"ics": tmp_path / "work.ics", "config": tmp_path / "timeaudit.toml"}
    paths["ics"].write_text(ics_text(), encoding="utf-8")
    paths["config"].write_text(CONFIG.format(target=12), encoding="utf-8")
    return paths


def at(day: int, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-{day}T{hhmm}").replace(tzinfo=BERLIN)


def audit_of(files: dict[str, Path], *extra: Path):
    config = load_config(files["config"])
    start, end = W48.utc_bounds()
    frames = [read_ics(path, start=start, end=end, tz=TZ) for path in (files["ics"], *extra)]
    return run_audit(pl.concat(frames), config, W48)


def local(blocks: list[tuple[datetime, datetime]]) -> list[tuple[str, str]]:
    return [(f"{a.astimezone(BERLIN):%a %H:%M}", f"{b.astimezone(BERLIN):%H:%M}")
            for a, b in blocks]


def test_next_week_comes_from_the_clock():
    assert plan_week("next", TZ) == W48  # now: Friday 2026-11-20
    assert plan_week("2026-W49", TZ) == Period(date(2026, 11, 30), date(2026, 12, 7), TZ)


def test_three_blocks_fill_the_target_around_meetings_protected_time_and_wednesday(files):
    """::

        Mon  09 [Planning ) 12 ·60· 13 [Sync) 14 [block 14-16)····· 17:30
        Tue  09 [Standup) 09:30 ·90 min, too short· 11 [Offsite ·········) 17:30
        Wed  no-meeting day: 09 [Prep) 13 ····· 17:30 free (270 min) counts as it is
        Thu  09 [Review) 10 [block 10-12)··············· 15:30 [Kids ) 17:30
        Fri  09 [Focus: writing) 11 [Call) 12 [block 12-14)····· 17:30

    target 720 min − planned (Friday's scheduled 120 + Wednesday's 270) = 330 → three
    blocks of 120 min, one a day in day order, each at the start of the day's first
    long-enough free stretch.
    """
    plan = propose_focus_blocks(audit_of(files))
    assert (plan.target_minutes, plan.planned_minutes) == (720, 390)
    assert local(plan.blocks) == [("Mon 14:00", "16:00"), ("Thu 10:00", "12:00"),
                                  ("Fri 12:00", "14:00")]


def test_the_plan_read_back_by_timeaudit_is_focus_time(files, tmp_path):
    plan = propose_focus_blocks(audit_of(files))
    path = tmp_path / "plan.ics"
    path.write_bytes(plan_calendar(plan, "Focus time", load_config(files["config"])
                                   .focus.title_pattern))
    start, end = W48.utc_bounds()
    frame = read_ics(path, start=start, end=end, tz=TZ)
    assert frame["title"].to_list() == ["Focus time"] * 3
    assert frame["busy"].to_list() == [True] * 3
    audit = audit_of(files, path)
    focus = dict(zip(audit.focus["date"].cast(pl.String),
                     audit.focus["protected_focus_minutes"], strict=True))
    assert focus == {"2026-11-23": 120, "2026-11-24": 0, "2026-11-25": 0,
                     "2026-11-26": 120, "2026-11-27": 240, "2026-11-28": 0,
                     "2026-11-29": 0}
    # nothing double-booked, nothing inside the protected block
    assert audit.busy["double_booked_minutes"].sum() == 0
    assert audit.violations.filter(pl.col("type") == "protected_time").height == 0
    # and the week now meets the target with the blocks alone
    assert propose_focus_blocks(audit).blocks == []


def test_the_current_week_is_planned_from_now_on(files):
    """Now: Wednesday 25th, 11:00. Monday and Tuesday are past; Thursday gets a block, Friday
    one, then Thursday's continues (10:00-14:00): 360 ≥ 330 min."""
    plan = propose_focus_blocks(audit_of(files), now=at(25, "11:00"))
    assert local(plan.blocks) == [("Thu 10:00", "14:00"), ("Fri 12:00", "14:00")]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_plan_next_week(capsys, files, tmp_path):
    out_path = tmp_path / "plan.ics"
    code, out, err = run(capsys, "plan", "--ics", str(files["ics"]), "--config",
                         str(files["config"]), "--week", "next", "--out", str(out_path))
    assert (code, err) == (0, "")
    assert out == (
        "focus target 12.00 h for 2026-11-23 to 2026-11-30 (exclusive); already planned "
        "6.50 h\n"
        "  Mon 2026-11-23 14:00-16:00  Focus time\n"
        "  Thu 2026-11-26 10:00-12:00  Focus time\n"
        "  Fri 2026-11-27 12:00-14:00  Focus time\n"
        f"3 blocks, 6.00 h: {out_path} (import it into your calendar)\n")
    assert out_path.read_bytes().count(b"BEGIN:VEVENT") == 3


def test_cli_plan_when_the_target_is_already_met(capsys, files, tmp_path):
    files["config"].write_text(CONFIG.format(target=6), encoding="utf-8")
    code, out, _ = run(capsys, "plan", "--ics", str(files["ics"]), "--config",
                       str(files["config"]), "--week", "2026-W48", "--out",
                       str(tmp_path / "plan.ics"))
    assert code == 0
    assert out.endswith("nothing written\n")
    assert not (tmp_path / "plan.ics").exists()


def test_cli_plan_refuses_a_title_that_would_not_count_as_focus(capsys, files, tmp_path):
    code, out, err = run(capsys, "plan", "--ics", str(files["ics"]), "--config",
                         str(files["config"]), "--title", "Writing", "--out",
                         str(tmp_path / "plan.ics"))
    assert (code, out) == (2, "")
    assert err == ("error: the title 'Writing' does not match focus.title_pattern "
                   "'(?i)\\\\b(focus|deep work|heads? down|no meetings)\\\\b', so the blocks "
                   "would not count as focus: give a --title it matches\n")


def test_cli_plan_bad_week(capsys, files):
    code, _, err = run(capsys, "plan", "--ics", str(files["ics"]), "--config",
                       str(files["config"]), "--week", "soon")
    assert (code, err) == (2, "error: bad week 'soon': write it as YYYY-Www, e.g. 2026-W47\n")
