"""Configuration (SPEC §4): lookup, defaults, the full example, and exact error texts."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from audit.config import (
    Config,
    ProtectedBlock,
    Rule,
    TimeRange,
    canonical_time_range,
    find_config_file,
    load_config,
    load_default_rules,
    local_zone_name,
    parse_config,
    parse_time_range,
)
from core.errors import ConfigError

SPEC_EXAMPLE = r'''
timezone = "Europe/Berlin"
week_start = "monday"
owner_emails = ["Me@Example.com"]
work_domains = ["example.com"]

[working_hours]
monday = "09:00-17:30"
tuesday = "09:00-17:30"
wednesday = "09:00-17:30"
thursday = "09:00-17:30"
friday = "09:00-17:30"
saturday = ""
sunday = ""

[boundaries]
late_night = "22:00-06:00"
max_workday_hours = 10
no_meeting_days = []
[[boundaries.protected]]
name = "Family dinner"
days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
time = "18:00-20:00"

[focus]
min_block_minutes = 120
target_hours_per_week = 10
title_pattern = "(?i)\\b(focus|deep work|heads? down|no meetings)\\b"

[urgency]
short_notice_hours = 48

[counting]
include_free = false
include_tentative = true
include_needs_action = true
max_event_hours = 12

[days_off]
title_pattern = "(?i)\\b(vacation|holiday|pto|ooo|out of office|sick)\\b"

[[calendars]]
source = "ics:family.ics"
domain = "life"

[[rules]]
name = "Kids"
title = "(?i)school|kids|daycare|pediatric"
domain = "life"
important = true
'''


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read the real user's config directory."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def write(directory: Path, text: str, name: str = "timeaudit.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str) -> Config:
    write(tmp_path, text)
    return load_config(cwd=tmp_path)


def test_no_file_gives_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Lisbon")
    assert find_config_file(cwd=tmp_path) is None
    config = load_config(cwd=tmp_path)
    assert config == Config(timezone="Europe/Lisbon")
    assert config.working_hours["monday"] == TimeRange(time(9), time(17, 30))
    assert config.working_hours["sunday"] is None
    assert config.path is None


def test_the_spec_example_parses(tmp_path: Path) -> None:
    config = load_text(tmp_path, SPEC_EXAMPLE)
    assert config.timezone == "Europe/Berlin"
    assert config.owner_emails == ("me@example.com",)  # the event frame is lower-case
    assert config.work_domains == ("example.com",)
    assert config.working_hours["friday"] == TimeRange(time(9), time(17, 30))
    assert config.working_hours["saturday"] is None
    assert config.boundaries.late_night == TimeRange(time(22), time(6))
    assert config.boundaries.late_night.wraps
    assert config.boundaries.protected == (ProtectedBlock(
        "Family dinner", ("monday", "tuesday", "wednesday", "thursday", "friday"),
        TimeRange(time(18), time(20))),)
    assert config.focus.min_block_minutes == 120
    assert config.urgency.short_notice_hours == 48.0
    assert config.counting.max_event_hours == 12.0
    assert config.calendars[0].source == "ics:family.ics"
    assert config.rules == (Rule(name="Kids", title="(?i)school|kids|daycare|pediatric",
                                 domain="life", important=True),)
    assert config.path == "timeaudit.toml"


def test_every_key_is_optional_and_a_partial_table_keeps_the_other_defaults(
        tmp_path: Path) -> None:
    config = load_text(tmp_path, '[working_hours]\nfriday = ""\n[focus]\nmin_block_minutes = 90\n')
    assert config.working_hours["friday"] is None
    assert config.working_hours["thursday"] == TimeRange(time(9), time(17, 30))
    assert config.focus.min_block_minutes == 90
    assert config.focus.target_hours_per_week == 10.0


def test_lookup_order(tmp_path: Path) -> None:
    user_dir = tmp_path / "xdg-config" / "timeaudit"
    user_dir.mkdir(parents=True)
    user_file = write(user_dir, 'week_start = "sunday"\n')
    project = tmp_path / "project"
    project.mkdir()
    assert find_config_file(cwd=project) == user_file
    assert load_config(cwd=project).week_start == "sunday"

    write(project, 'week_start = "saturday"\n')
    assert find_config_file(cwd=project) == project / "timeaudit.toml"
    assert load_config(cwd=project).week_start == "saturday"

    explicit = write(tmp_path, 'week_start = "friday"\n', "other.toml")
    assert find_config_file(explicit, cwd=project) == explicit
    assert load_config(explicit, cwd=project).week_start == "friday"
    assert load_config(explicit).path == str(explicit)


def test_weekday_names_are_case_insensitive(tmp_path: Path) -> None:
    config = load_text(tmp_path, 'week_start = "Sunday"\n[boundaries]\nno_meeting_days = ["Wed'
                                 'nesday"]\n')
    assert config.week_start == "sunday"
    assert config.boundaries.no_meeting_days == ("wednesday",)


@pytest.mark.parametrize(("zone", "expected"), [
    ("America/New_York", "America/New_York"),
    (":Europe/Berlin", "Europe/Berlin"),
    ("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo"),
])
def test_local_zone_from_tz(monkeypatch: pytest.MonkeyPatch, zone: str, expected: str) -> None:
    monkeypatch.setenv("TZ", zone)
    assert local_zone_name() == expected


def test_local_zone_ignores_posix_tz_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "CET-1CEST")
    monkeypatch.setattr("os.readlink", lambda _: "/usr/share/zoneinfo/Europe/Oslo")
    assert local_zone_name() == "Europe/Oslo"


BAD_CONFIGS = [
    ('[working_hours]\nmonday = "9am-5pm"\n',
     'working_hours.monday: "9am-5pm" is not HH:MM-HH:MM'),
    ('[working_hours]\ntuesday = "25:00-26:00"\n',
     'working_hours.tuesday: "25:00-26:00" is not HH:MM-HH:MM'),
    ('[working_hours]\nfriday = "22:00-02:00"\n',
     'working_hours.friday: "22:00-02:00" ends before it starts; working hours may not cross '
     'midnight (end at 23:59 at the latest)'),
    ('[working_hours]\nmonday = "09:00-09:00"\n',
     'working_hours.monday: "09:00-09:00" is empty: the end must differ from the start'),
    ('[working_hours]\nfunday = "09:00-17:00"\n',
     "working_hours.funday: unknown key; did you mean sunday?"),
    ('working_hour = {}\n', "working_hour: unknown key; did you mean working_hours?"),
    ("colour = 1\n", "colour: unknown key; valid keys are timezone, week_start, owner_emails, "
                     "work_domains, working_hours, boundaries, focus, urgency, counting, "
                     "days_off, calendars, rules, goals"),
    ('[focus]\nmin_block_minute = 90\n',
     "focus.min_block_minute: unknown key; did you mean min_block_minutes?"),
    ('[focus]\nmin_block_minutes = "120"\n',
     'focus.min_block_minutes: expected a whole number, got "120"'),
    ("[focus]\nmin_block_minutes = 0\n", "focus.min_block_minutes: 0 must be above 0"),
    ("[urgency]\nshort_notice_hours = -1\n", "urgency.short_notice_hours: -1 must be at least 0"),
    ('[counting]\ninclude_free = "no"\n',
     'counting.include_free: expected true or false, got "no"'),
    ('[boundaries]\nno_meeting_days = ["wensday"]\n',
     'boundaries.no_meeting_days[1]: "wensday" is not a weekday; did you mean wednesday?'),
    ('[[boundaries.protected]]\nname = "Dinner"\n',
     "boundaries.protected[1].time: missing: every protected block needs a time"),
    ('timezone = "Europe/Berln"\n',
     'timezone: unknown time zone "Europe/Berln"; did you mean Europe/Berlin?'),
    ('timezone = "Mars/Olympus"\n',
     'timezone: unknown time zone "Mars/Olympus"; use an IANA name such as Europe/Berlin'),
    ('work_domains = ["@example.com"]\n',
     'work_domains[1]: "@example.com" is not a domain name such as example.com'),
    ('working_hours = "9-5"\n', 'working_hours: expected a table, got "9-5"'),
    ('[days_off]\ntitle_pattern = "(vacation"\n',
     'days_off.title_pattern: "(vacation" is not a valid regular expression: missing ), '
     "unterminated subpattern at position 0"),
    ('[[calendars]]\nsource = "ics:family.ics"\ndomain = "home"\n',
     'calendars[1].domain: "home" is not a domain; use one of work, life, integrated'),
    ('[[calendars]]\nsource = "ics:family.ics"\n',
     "calendars[1].domain: missing: every [[calendars]] entry needs a domain"),
    ("rules = {}\n", "rules: expected an array of tables ([[rules]]), got a table"),
    ('[[rules]]\ntitle = "x"\ndomain = "life"\n',
     "rules[1].name: missing: every rule needs a name"),
    ('[[rules]]\nname = "Kids"\ntitle = "kids"\n',
     'rules[1]: rule "Kids" sets nothing; give it a domain, urgent or important'),
    ('[[rules]]\nname = "A"\ntitel = "x"\ndomain = "life"\n',
     "rules[1].titel: unknown key; did you mean title?"),
    ('[[rules]]\nname = "A"\ntitle = "(?<=a)b"\ndomain = "work"\n',
     'rules[1].title: "(?<=a)b" is not a regular expression Polars can use: look-around, '
     "including look-ahead and look-behind, is not supported"),
    ('[[rules]]\nname = "A"\ncalendar = "[z-a]"\ndomain = "work"\n',
     'rules[1].calendar: "[z-a]" is not a valid glob (use *, ? and [abc])'),
    ('[[rules]]\nname = "A"\nkind = "meeting"\ndomain = "work"\n',
     'rules[1].kind: "meeting" is not an event kind; use one of event, focus, out_of_office, '
     "working_location"),
    ('[[rules]]\nname = "A"\nmin_attendees = 3\nmax_attendees = 2\ndomain = "work"\n',
     "rules[1].min_attendees: 3 is more than max_attendees"),
    ('[[rules]]\nname = "A"\nweekdays = "monday"\ndomain = "work"\n',
     'rules[1].weekdays: expected a list, got "monday"'),
    ('[[rules]]\nname = "A"\ndomain = "work"\n[[rules]]\nname = "A"\ndomain = "life"\n',
     'rules[2].name: "A" is already the name of rules[1]; rule names are shown as reasons, '
     "so keep them unique"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_configs_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text)
    assert str(caught.value) == f"timeaudit.toml: {message}"
    assert "\n" not in str(caught.value)
    assert caught.value.file == "timeaudit.toml"


def test_error_names_an_explicit_file_as_given(tmp_path: Path) -> None:
    path = write(tmp_path, '[working_hours]\nmonday = "9am-5pm"\n', "mine.toml")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f'{path}: working_hours.monday: "9am-5pm" is not HH:MM-HH:MM'
    assert caught.value.key == "working_hours.monday"


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, 'week_start = "monday"\ntimezone = Europe/Berlin\n')
    assert str(caught.value) == (
        "timeaudit.toml: not valid TOML: Invalid value (at line 2, column 12)")


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    missing = tmp_path / "nope.toml"
    assert str(caught.value) == f"{missing}: cannot read the file: No such file or directory"


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)  # a directory cannot be read as a file
    assert str(caught.value) == f"{tmp_path}: cannot read the file: Is a directory"


def test_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "timeaudit.toml").write_bytes(b'week_start = "s\xfcnday"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(cwd=tmp_path)
    assert str(caught.value) == "timeaudit.toml: is not UTF-8 text"


def test_default_rule_pack_loads() -> None:
    rules = load_default_rules()
    assert len(rules) >= 15
    assert len({rule.name for rule in rules}) == len(rules)
    assert all(rule.domain or rule.urgent is not None or rule.important is not None
               for rule in rules)
    assert {"1:1s", "Interviews", "Incidents", "Health", "Family and kids", "Team social",
            "Commute", "Errands", "Work rituals"} <= {rule.name for rule in rules}


# --- typed time ranges: one parser for the file and the dashboard ----------------------

@pytest.mark.parametrize(("typed", "canonical"), [
    ("9-17", "09:00-17:00"),
    ("9:00\u201317:30", "09:00-17:30"),   # en dash
    ("09:00 - 17:30", "09:00-17:30"),
    ("09:00-17:30", "09:00-17:30"),
    ("8.30\u201416", "08:30-16:00"),       # em dash, dot
    ("9h-17h30", "09:00-17:30"),
    (" 22:00-06:00 ", "22:00-06:00"),
    ("18-24", "18:00-00:00"),
])
def test_typed_time_ranges_become_the_canonical_form(typed: str, canonical: str) -> None:
    assert canonical_time_range(typed) == canonical
    # the configuration file reads the same (late night may wrap past midnight)
    assert str(parse_config({"boundaries": {"late_night": typed}}).boundaries.late_night) \
        == canonical


def test_working_hours_in_the_file_accept_what_people_type(tmp_path: Path) -> None:
    path = write(tmp_path, '[working_hours]\nmonday = "9-17"\ntuesday = "9:00\u201317:30"\n')
    config = load_config(path)
    assert [str(config.working_hours[d]) for d in ("monday", "tuesday")] == [
        "09:00-17:00", "09:00-17:30"]


@pytest.mark.parametrize("typed", ["9am-5pm", "9 to 5", "25-26", "09:60-10:00", "9", "",
                                   "09:00-12:00, 13:00-17:00", "\u0669-17"])
def test_what_is_not_a_time_range_is_left_as_typed(typed: str) -> None:
    assert parse_time_range(typed) is None
    assert canonical_time_range(typed) == typed.strip()
