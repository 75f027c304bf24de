"""Look-alike formula starts are neutralised everywhere; a failed export changes nothing."""

from __future__ import annotations

import csv
import errno
import io
import os
import unicodedata
from pathlib import Path

import polars as pl
import pytest

from audit import export
from audit.config import parse_config
from audit.engine import Audit, run_audit
from audit.spreadsheet import LOOK_ALIKES, safe_frame
from audit.store import load_overrides
from cli.main import main
from cli.reading import read_sources
from connectors.sources import Sources
from core.errors import AuditError
from core.period import parse_week

LOOKS = ("＝1+1", "＝HYPERLINK(\"http://x\")", "＋1", "－1", "＠SUM(A1)", "﹦1", "﹢1", "﹣1",
         "﹫x", "⁼1", "₊1", "−1", " =1", "\u00a0＝1", "\u3000＋1")
BAD_STARTS = ("=", "+", "-", "@", "\t", "\r", *LOOK_ALIKES)

CALENDAR = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{events}END:VCALENDAR\r\n"
EVENT = ("BEGIN:VEVENT\r\nUID:e{n}@t\r\nDTSTAMP:20261101T000000Z\r\n"
         "DTSTART:20261116T{hour:02d}0000Z\r\nDTEND:20261116T{hour:02d}3000Z\r\n"
         "SUMMARY:{title}\r\nLOCATION:{title}\r\nEND:VEVENT\r\n")


def test_the_look_alikes_are_every_nfkc_formula_start() -> None:
    computed = {chr(cp) for cp in range(0x80, 0x30000)
                if unicodedata.normalize("NFKC", chr(cp))[:1] in ("=", "+", "-", "@")}
    assert set(LOOK_ALIKES) == computed | {"\u2212"}


@pytest.mark.parametrize("text", LOOKS)
def test_safe_frame_neutralises_look_alikes(text: str) -> None:
    assert safe_frame(pl.DataFrame({"t": [text]}))["t"][0] == "'" + text


@pytest.mark.parametrize("text", ["a=b", "Müller 1:1", "東京", "x－y"])
def test_ordinary_text_is_kept(text: str) -> None:
    assert safe_frame(pl.DataFrame({"t": [text]}))["t"][0] == text


def _calendar(tmp_path: Path) -> Path:
    path = tmp_path / "work.ics"
    events = "".join(EVENT.format(n=n, hour=8 + n // 2, title=title)
                     for n, title in enumerate(LOOKS))
    path.write_text(CALENDAR.format(events=events), encoding="utf-8")
    return path


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _dangerous(cells: list[str]) -> list[str]:
    return [c for c in cells if c.lstrip(" \u00a0\u3000").startswith(BAD_STARTS)
            or c.startswith(BAD_STARTS)]


def test_events_csv_neutralises_look_alikes(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ics = _calendar(tmp_path)
    for extra in ([], ["--raw"]):
        assert main(["events", "--ics", str(ics), "--week", "2026-W47", "--tz", "UTC",
                     *extra]) == 0
        out = capsys.readouterr().out
        cells = _cells(out)
        assert "'＝1+1" in cells
        assert _dangerous(cells) == []


@pytest.fixture
def audit(tmp_path: Path) -> Audit:
    config = parse_config({"timezone": "UTC",
                           "calendars": [{"source": "ics:*", "domain": "work"}]})
    period = parse_week("2026-W47", "UTC")
    events = read_sources(Sources(ics=(str(_calendar(tmp_path)),)), period=period,
                          config=config)
    return run_audit(events, config, period, load_overrides())


@pytest.mark.parametrize("privacy", ["strict", "standard", "full"])
def test_every_privacy_level_neutralises_look_alikes(audit: Audit, tmp_path: Path,
                                                      privacy: str) -> None:
    out = tmp_path / "out"
    for path in export.write_export(audit, out, privacy):
        assert _dangerous(_cells(path.read_text(encoding="utf-8"))) == []
    if privacy != "strict":
        assert "'＝1+1" in _cells((out / "events.csv").read_text(encoding="utf-8"))


def _snapshot(directory: Path) -> dict[str, bytes | None]:
    return {p.name: (p.read_bytes() if p.is_file() else None)
            for p in sorted(directory.iterdir())}


def test_a_target_that_is_a_directory_leaves_the_old_set(audit: Audit, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export.write_export(audit, out, "standard")
    (out / "events.csv").unlink()
    (out / "events.csv").mkdir()
    (out / "summary.csv").write_bytes(b"old summary\n")
    before = _snapshot(out)
    with pytest.raises(AuditError, match=r"events\.csv is in the way"):
        export.write_export(audit, out, "full")
    assert _snapshot(out) == before


def test_a_full_disk_half_way_leaves_the_old_set_and_no_temporary(
        audit: Audit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    export.write_export(audit, out, "full")
    for name in export.FILES:
        (out / name).write_bytes(f"old {name}\n".encode())
    before = _snapshot(out)
    written: list[Path] = []
    real = export._write_file

    def full_disk(path: Path, data: bytes) -> None:
        if written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(path)
        real(path, data)

    monkeypatch.setattr(export, "_write_file", full_disk)
    with pytest.raises(AuditError, match="No space left on device"):
        export.write_export(audit, out, "full")
    assert _snapshot(out) == before


def test_a_failure_while_swapping_puts_the_old_set_back(
        audit: Audit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    export.write_export(audit, out, "full")
    for name in export.FILES:
        (out / name).write_bytes(f"old {name}\n".encode())
    before = _snapshot(out)
    real = os.replace
    calls: list[str] = []

    def failing(source: str | Path, target: str | Path) -> None:
        calls.append(str(target))
        if len(calls) == 5:  # three moved aside, one new moved in, then a failure
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(source, target)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(AuditError, match="Input/output error"):
        export.write_export(audit, out, "full")
    monkeypatch.setattr(os, "replace", real)
    assert _snapshot(out) == before


def test_a_stricter_export_removes_what_the_level_does_not_allow(audit: Audit,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "out"
    export.write_export(audit, out, "full")
    export.write_export(audit, out, "strict")
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv"]
