"""Settings written back to the user's timeaudit.toml, and the dashboard's connections.

The editor must change exactly the keys asked for, keep everything else byte for byte,
never write what the config loader rejects, and leave the file alone when it fails.
"""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import config_edit
from audit.config import WEEKDAYS, find_config_file, load_config, parse_config
from core.errors import AuditError, ConfigError
from dashboard import connections, settings_form

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "timeaudit.toml"


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


# ------------------------------------------------------------------ the editor


def set_value(text: str, path: tuple[str, ...], value: object) -> str:
    return config_edit.edit_text(text, [config_edit.SetKey(path, value)], label="t")


def set_tables(text: str, path: tuple[str, ...], items: list[dict], _current: object) -> str:
    return config_edit.edit_text(text, [config_edit.SetTables(path, tuple(items))], label="t")


def test_values_are_written_as_toml_reads_them() -> None:
    for value in ["plain", 'quote " and \\ backslash', "tab\tnew\nline\x7f", "(?i)\\bfocus\\b",
                  "it's (?i)\\d", 10, 10.5, 10.0, True, ["a", "b"], {"x": 1, "odd key": "y"}]:
        assert tomllib.loads(set_value("", ("v",), value))["v"] == value
    assert set_value("", ("v",), "(?i)\\bfocus\\b") == "v = '(?i)\\bfocus\\b'\n"  # readable
    with pytest.raises(ConfigError, match="nan cannot be written"):
        set_value("", ("v",), float("nan"))


def test_setting_a_key_changes_only_its_value() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    edited = set_value(text, ("working_hours", "monday"), "08:00-16:00")
    assert changed_lines(text, edited) == [('monday = "09:00-17:30"', 'monday = "08:00-16:00"')]
    edited = set_value(text, ("focus", "title_pattern"), "(?i)\\bdeep\\b")
    assert changed_lines(text, edited) == [
        ("title_pattern = '(?i)\\b(focus|deep work|heads? down|no meetings)\\b'",
         "title_pattern = '(?i)\\bdeep\\b'")]


def test_a_trailing_comment_and_a_multiline_value_are_handled() -> None:
    text = ('# mine\n[boundaries]\nno_meeting_days = [  # quiet days\n  "wednesday",\n'
            '  "friday",\n]\nlate_night = "23:00-05:00" # late\n')
    edited = set_value(text, ("boundaries", "no_meeting_days"), ["monday"])
    assert edited == ('# mine\n[boundaries]\nno_meeting_days = ["monday"]\n'
                      'late_night = "23:00-05:00" # late\n')
    edited = set_value(text, ("boundaries", "late_night"), "22:00-06:00")
    assert edited.endswith('late_night = "22:00-06:00" # late\n')


def test_missing_keys_and_tables_are_added_where_they_belong() -> None:
    text = '# settings\ntimezone = "UTC"\n\n[focus]\nmin_block_minutes = 90\n'
    assert set_value(text, ("focus", "target_hours_per_week"), 5) == (
        '# settings\ntimezone = "UTC"\n\n[focus]\nmin_block_minutes = 90\n'
        "target_hours_per_week = 5\n")
    assert set_value(text, ("week_start",), "sunday") == (
        '# settings\ntimezone = "UTC"\nweek_start = "sunday"\n\n[focus]\n'
        "min_block_minutes = 90\n")
    assert set_value(text, ("working_hours", "friday"), "") == (
        text + '\n[working_hours]\nfriday = ""\n')
    assert set_value("", ("timezone",), "UTC") == 'timezone = "UTC"\n'
    # a dotted key written at the top is found and changed in place
    assert set_value('focus.min_block_minutes = 90\n', ("focus", "min_block_minutes"), 60) == \
        "focus.min_block_minutes = 60\n"


def test_an_inline_table_is_edited_inline() -> None:
    assert config_edit.edit_text(
        "focus = { min_block_minutes = 90 }\n",
        [config_edit.SetKey(("focus", "target_hours_per_week"), 5.0)], label="x.toml") == (
        "focus = { min_block_minutes = 90, target_hours_per_week = 5.0}\n")


def test_array_tables_keep_their_comments() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    edit = config_edit.calendar_domain_edit(data, "ics:family.ics", "integrated")
    edited = config_edit.edit_text(text, [edit], label="t")
    assert changed_lines(text, edited) == [('domain = "life"', 'domain = "integrated"')]
    # removing the first block keeps the comment that describes the whole list
    edited = config_edit.edit_text(
        text, [config_edit.calendar_domain_edit(data, "ics:work.ics", None)], label="t")
    assert "# A calendar's default domain" in edited
    assert "# The Code Club non-profit is volunteering" in edited
    assert [c["source"] for c in tomllib.loads(edited)["calendars"]] == [
        "ics:family.ics", "ics:side-project.ics"]
    # a new calendar goes after the last block, not at the end of the file
    edited = config_edit.edit_text(
        text, [config_edit.calendar_domain_edit(data, "url:x.org/c.ics", "work")], label="t")
    assert edited.index('source = "url:x.org/c.ics"') < edited.index("[[rules]]")


def test_a_list_written_inline_is_replaced_inline() -> None:
    text = '[boundaries]\nprotected = [{ name = "Gym", time = "07:00-08:00" }]  # mine\n'
    current = tomllib.loads(text)["boundaries"]["protected"]
    edited = set_tables(text, ("boundaries", "protected"),
                        [{"name": "Run", "time": "06:00-07:00"}], current)
    assert edited == ('[boundaries]\nprotected = [{ name = "Run", time = "06:00-07:00" }]'
                      "  # mine\n")


weekday_sets = st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)
clock = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}")
names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=20).filter(lambda n: n.strip() != "")


@settings(max_examples=60, deadline=None)
@given(blocks=st.lists(st.fixed_dictionaries({"name": names, "days": weekday_sets,
                                              "time": st.tuples(clock, clock)}),
                       max_size=4, unique_by=lambda b: b["name"]),
       target=st.floats(0, 60, allow_nan=False), minutes=st.integers(1, 600),
       monday=st.one_of(st.just(""), st.tuples(clock, clock)))
def test_any_settings_round_trip_through_the_sample_file(blocks: list, target: float,
                                                         minutes: int, monday: object) -> None:
    """What is written reads back (tomllib) as exactly the data intended."""
    text = SAMPLE.read_text(encoding="utf-8")
    protected = tuple({"name": b["name"], "days": b["days"], "time": "-".join(b["time"])}
                      for b in blocks)
    edits = [config_edit.SetTables(("boundaries", "protected"), protected),
             config_edit.SetKey(("focus", "target_hours_per_week"), target),
             config_edit.SetKey(("focus", "min_block_minutes"), minutes),
             config_edit.SetKey(("working_hours", "monday"),
                      monday if isinstance(monday, str) else "-".join(monday))]
    edited = config_edit.edit_text(text, edits, label="t")
    assert tomllib.loads(edited) == config_edit.apply_edits(tomllib.loads(text), edits)
    # the comments of the file are all still there
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    kept = set(edited.splitlines())
    lost = [c for c in comments if c not in kept]
    assert all("protected" in c or "label" in c or "Weekdays" in c or "HH:MM" in c
               for c in lost) or not blocks


# ------------------------------------------------------------------ the config file


@pytest.fixture
def user_config() -> Path:
    return config_edit.user_config_path()


def test_save_creates_the_users_file_that_the_cli_reads(user_config: Path, tmp_path: Path
                                                        ) -> None:
    config = config_edit.save_config(user_config, [
        config_edit.SetKey(("working_hours", "friday"), "09:00-15:00"),
        config_edit.SetKey(("timezone",), "Europe/Berlin")])
    assert str(config.working_hours["friday"]) == "09:00-15:00"
    text = user_config.read_text(encoding="utf-8")
    assert text.startswith("# timeaudit settings")
    # the command line finds it (no ./timeaudit.toml in the working directory)
    assert find_config_file(cwd=tmp_path) == user_config
    assert str(load_config(cwd=tmp_path).working_hours["friday"]) == "09:00-15:00"


def test_a_bad_value_is_a_config_error_and_the_file_is_untouched(user_config: Path) -> None:
    config_edit.save_config(user_config, [config_edit.SetKey(("timezone",), "Europe/Berlin")])
    before = user_config.read_bytes()
    with pytest.raises(ConfigError) as caught:
        config_edit.save_config(user_config,
                                [config_edit.SetKey(("working_hours", "monday"), "9 to 5")])
    assert str(caught.value) == (f'{user_config}: working_hours.monday: "9 to 5" is not '
                                 "HH:MM-HH:MM")
    with pytest.raises(ConfigError, match="unknown time zone"):
        config_edit.save_config(user_config, [config_edit.SetKey(("timezone",), "Mars/Olympus")])
    assert user_config.read_bytes() == before


def test_a_file_that_is_not_toml_is_not_overwritten(user_config: Path) -> None:
    user_config.parent.mkdir(parents=True)
    user_config.write_text("timezone = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config_edit.save_config(user_config, [config_edit.SetKey(("timezone",), "UTC")])
    assert user_config.read_text(encoding="utf-8") == "timezone = \n"


def test_the_form_writes_only_what_changed() -> None:
    config = parse_config({"timezone": "Europe/Berlin"})
    form = settings_form.form_from_config(config)
    assert settings_form.settings_edits(config, form, file="f") == []
    changed = settings_form.SettingsForm(**{**form.__dict__, "min_block_minutes": 90,
                                "protected": ({"name": "Dinner", "days": "mon-fri",
                                               "time": "18:00-20:00"},
                                              {"name": "", "days": "", "time": ""})})
    edits = settings_form.settings_edits(config, changed, file="f")
    assert len(edits) == 2
    assert config_edit.SetKey(("focus", "min_block_minutes"), 90) in edits
    assert config_edit.SetTables(("boundaries", "protected"), (
        {"name": "Dinner", "days": list(WEEKDAYS[:5]), "time": "18:00-20:00"},)) in edits


@pytest.mark.parametrize(("text", "days"), [
    ("mon-fri", WEEKDAYS[:5]), ("Sat, sun", WEEKDAYS[5:]), ("fri-mon", ("monday", "friday",
                                                                       "saturday", "sunday")),
    (["tuesday", "thu"], ("tuesday", "thursday")), ("wed/wed", ("wednesday",)),
])
def test_days_are_read_as_people_write_them(text: str | list[str], days: tuple) -> None:
    assert settings_form.parse_days(text, "k", "f") == days
    assert settings_form.parse_days(settings_form.format_days(days), "k", "f") == days


def test_a_bad_day_names_the_block() -> None:
    with pytest.raises(ConfigError, match=r"^f: boundaries.protected\[1\].days: 'mo-fr'"):
        settings_form.parse_days("mo-fr", "boundaries.protected[1].days", "f")


def test_rules_for_titles_match_exactly_that_title() -> None:
    titles = ["C++ / Q&A (weekly) [x] 1:1?", "Inbox & Slack triage", "$ales ^ review.*"]
    data = {"rules": [{"name": "Title: Inbox & Slack triage", "title": "x", "domain": "work"}]}
    rules = [config_edit.rule_for_title(t, domain="work", urgent=None, important=False)
             for t in titles]
    edit = config_edit.rules_edit(data, rules)
    names = [r["name"] for r in edit.items]
    assert names[1:] == ["Title: C++ / Q&A (weekly) [x] 1:1?",
                         "Title: Inbox & Slack triage (2)", "Title: $ales ^ review.*"]
    config = parse_config(config_edit.apply_edits(data, [edit]), file="f")
    frame = pl.DataFrame({"title": [*titles, "C++ / Q&A (weekly) [x] 1:1", " inbox & slack "
                                    "triage "]})
    for rule, title in zip(config.rules[1:], titles, strict=True):
        matches = frame.filter(pl.col("title").str.contains(rule.title))["title"].to_list()
        assert matches == [title] or (title.startswith("Inbox") and len(matches) == 2)
    with pytest.raises(ConfigError, match="sets nothing"):
        config_edit.rule_for_title("x", domain=None, urgent=None, important=None)


# ------------------------------------------------------------------ connections


def test_uploads_are_kept_privately_under_a_safe_name() -> None:
    stored = connections.add_upload("../../etc/evil name!.ics", b"BEGIN:VCALENDAR")
    assert stored == "evil name_.ics"
    path = connections.uploads_dir() / stored
    assert path.read_bytes() == b"BEGIN:VCALENDAR"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(connections.connections_path().stat().st_mode) == 0o600
    assert connections.load_connections().files == ("evil name_.ics",)
    assert connections.safe_file_name("work") == "work.ics"
    connections.add_url("webcal://example.com/c.ics")
    connections.add_upload("evil name!.ics", b"again")  # the same name replaces, no duplicate
    assert connections.load_connections() == connections.Connections(("evil name_.ics",),
                                                 ("webcal://example.com/c.ics",))
    connections.remove_connection(file="evil name_.ics")
    connections.remove_connection(url="webcal://example.com/c.ics")
    assert not connections.load_connections()
    assert not path.exists()


def test_a_damaged_connections_file_is_a_clear_error() -> None:
    connections.connections_path().parent.mkdir(parents=True)
    connections.connections_path().write_text("{not json", encoding="utf-8")
    with pytest.raises(AuditError, match="not a usable list of connections"):
        connections.load_connections()
