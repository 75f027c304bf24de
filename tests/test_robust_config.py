"""Configuration values that are infinite, huge, in other scripts' digits or nested too deep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit import config_edit
from audit.config import load_config
from cli.main import main
from core.errors import ConfigError

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.mark.parametrize(("text", "key", "words"), [
    ("[counting]\nmax_event_hours = inf", "counting.max_event_hours", "finite"),
    ("[counting]\nmax_event_hours = 1e308", "counting.max_event_hours", "more than"),
    ("[urgency]\nshort_notice_hours = inf", "urgency.short_notice_hours", "finite"),
    ("[urgency]\nshort_notice_hours = 1e300", "urgency.short_notice_hours", "more than"),
    ("[focus]\ntarget_hours_per_week = inf", "focus.target_hours_per_week", "finite"),
    ("[focus]\ntarget_hours_per_week = 169", "focus.target_hours_per_week", "a week"),
    ("[focus]\nmin_block_minutes = 99999999999999999", "focus.min_block_minutes", "more than"),
    ("[boundaries]\nmax_workday_hours = inf", "boundaries.max_workday_hours", "finite"),
    ("[boundaries]\nmax_workday_hours = 25", "boundaries.max_workday_hours", "a day"),
    ("[[rules]]\nname = 'x'\ndomain = 'work'\nmin_minutes = inf", "rules[1].min_minutes",
     "finite"),
    ("[[rules]]\nname = 'x'\ndomain = 'work'\nmax_attendees = 9223372036854775807",
     "rules[1].max_attendees", "more than"),
    ('[working_hours]\nmonday = "٠٩:٠٠-١٧:٠٠"', "working_hours.monday", "HH:MM"),
    ('[working_hours]\nmonday = "０９:００-１７:００"', "working_hours.monday", "HH:MM"),
    ('[boundaries]\nlate_night = "２２:００-06:00"', "boundaries.late_night", "HH:MM"),
])
def test_values_that_cannot_mean_anything_are_one_line_errors(
        tmp_path: Path, text: str, key: str, words: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeaudit.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key
    assert words in str(caught.value)
    code = main(["report", "--config", str(path), "--ics", str(SAMPLE / "work.ics"),
                 "--week", "2026-W47"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {path}: {key}: ")
    assert err.count("\n") == 1


def test_an_array_nested_five_thousand_deep_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeaudit.toml"
    path.write_text("owner_emails = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    code = main(["report", "--config", str(path), "--ics", str(SAMPLE / "work.ics"),
                 "--week", "2026-W47"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"error: {path}: not a usable configuration: arrays or tables nested too " \
                  "deeply\n"
    with pytest.raises(ConfigError, match="nested too deeply"):
        config_edit.read_config_data(path)
    with pytest.raises(ConfigError, match="nested too deeply"):
        config_edit.save_config(path, [config_edit.SetKey(("timezone",), "UTC")])


def test_the_json_report_never_holds_infinity(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    path = tmp_path / "timeaudit.toml"
    path.write_text("[focus]\ntarget_hours_per_week = 168\n", encoding="utf-8")
    code = main(["report", "--config", str(path), "--ics", str(SAMPLE / "work.ics"),
                 "--week", "2026-W47", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON report"))


def test_the_dashboard_form_cannot_save_infinity() -> None:
    path = config_edit.user_config_path()
    with pytest.raises(ConfigError, match="inf cannot be written"):
        config_edit.save_config(path, [config_edit.SetKey(("focus", "target_hours_per_week"),
                                                    float("inf"))])
    assert not path.exists()
