"""Periods at the ends of the calendar and zone names Polars does not know: one line, exit 2."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cli.main import main
from core.errors import UsageError
from core.period import FIRST_DAY, LAST_DAY, Period, resolve_period, resolve_zone

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["report", "--ics", str(SAMPLE / "work.ics"), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    return err


@pytest.mark.parametrize("argv", [
    ["--week", "9999-W52"],
    ["--week", "0001-W01"],
    ["--week", "1899-W52"],
    ["--from", "0001-01-01", "--to", "0001-01-08"],
    ["--from", "9999-12-24", "--to", "9999-12-31"],
    ["--from", "2026-11-16", "--to", "9999-12-31"],
])
def test_dates_at_the_ends_of_the_calendar(argv: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    err = _one_line_error([*argv, "--tz", "Pacific/Kiritimati"], capsys)
    assert "1900-01-01 to 2999-12-31" in err


@pytest.mark.parametrize("zone", ["posix/Europe/Berlin", "right/UTC", "", " ", "Europe/",
                                  "../etc/passwd"])
def test_zones_polars_does_not_know(zone: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = _one_line_error(["--week", "2026-W47", "--tz", zone], capsys)
    assert "unknown time zone" in err


@pytest.mark.parametrize("argv", [["--week", ""], ["--week", " "], ["--from", "", "--to", ""],
                                  ["--from", "2026-11-16", "--to", ""]])
def test_empty_periods_are_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    _one_line_error(argv, capsys)


def test_the_first_and_last_weeks_inside_the_bounds_work() -> None:
    first = resolve_period(timezone="Pacific/Kiritimati", start="1900-01-01", end="1900-01-08")
    last = resolve_period(timezone="Etc/GMT+12", week="2999-W52")
    assert first.start == FIRST_DAY
    assert last.end <= LAST_DAY
    for period in (first, last):
        start, end = period.utc_bounds()
        assert start < end


def test_resolve_zone_refuses_what_polars_refuses() -> None:
    with pytest.raises(UsageError, match="unknown time zone 'posix/Europe/Berlin'"):
        resolve_zone("posix/Europe/Berlin")
    assert str(resolve_zone("Europe/Berlin")) == "Europe/Berlin"
    with pytest.raises(UsageError, match="outside the dates"):
        Period(date(1899, 12, 25), date(1900, 1, 1), "UTC")


@pytest.mark.parametrize("argv", [["--from", "0001-01-01"], ["--to", "9999-12-31"],
                                  ["--from", ""]])
def test_google_sync_window_dates_are_bounded(argv: list[str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["google", "sync", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: bad date for --")
    assert err.count("\n") == 1
