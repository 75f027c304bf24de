"""What the dashboard is set up with: sample or the person's own calendars and settings.

**Sample mode** — nobody connected a calendar yet (no uploaded file, no link, no synced
Google calendar): the bundled ``sample_data/`` calendars with ``sample_data/timeaudit.toml``.
Settings changed in sample mode apply to this browser session only; the sample files are
never written.

**Your calendars** — as soon as one calendar is connected: the connections of
`audit.config_edit` and the user's ``timeaudit.toml`` (the file the command line reads).
Every change is saved there at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st
import timeaudit_sample

from audit import config_edit, store
from audit.config import Config, parse_config
from audit.domains import OVERRIDE_SCHEMA
from connectors import caldav_store, google_store, graph_store
from connectors.google_store import Calendar
from connectors.url import source_for
from core.errors import AuditError
from core.period import Period, last_complete_week, week_containing
from dashboard import connections
from dashboard.data import SourceSpec, file_entry

SAMPLE_DIR = timeaudit_sample.DIR
SAMPLE_CONFIG = timeaudit_sample.CONFIG

# session-state keys
SAMPLE_EDITS = "sample_edits"   # settings edits that apply in sample mode only
REFRESH = "refresh"             # bumped to read calendars again
WEEK_DAY = "week_day"           # a day of the chosen week (the date input's key)
MESSAGES = "messages"           # area → (kind, text): results of the last actions


@dataclass(frozen=True)
class Source:
    """One connected calendar as the sidebar lists it."""

    source: str    # the `source` column: ics:…, url:…, google:…, caldav:…
    label: str
    kind: str      # file, link, google, microsoft, caldav, sample
    remove: dict[str, str] = field(default_factory=dict)  # how to disconnect it


@dataclass(frozen=True)
class Setup:
    sample: bool
    config: Config
    data: dict[str, Any]          # the settings in effect, as TOML data
    label: str                    # where they come from, for messages
    path: Path | None             # the user's timeaudit.toml (None in sample mode)
    problem: str | None           # the user's file could not be used: defaults apply
    sources: tuple[Source, ...]
    spec: SourceSpec

    @property
    def config_key(self) -> str:
        return json.dumps([self.label, self.data], sort_keys=True, default=str)


def _google_calendars() -> tuple[Calendar, ...]:
    """Selected (else primary) Google calendars that have been synced at least once."""
    try:
        known = google_store.stored_calendars()
        if not known:
            return ()
        states = google_store.sync_states()
        chosen = set(google_store.selected_ids()) or {c.id for c in known if c.primary}
    except AuditError:
        return ()
    return tuple(c for c in known if c.id in chosen and c.id in states)


def _microsoft_calendars() -> tuple[graph_store.Calendar, ...]:
    """Selected (else default) Microsoft calendars that have been synced at least once."""
    try:
        known = graph_store.stored_calendars()
        if not known:
            return ()
        states = graph_store.sync_states()
        chosen = set(graph_store.selected_ids()) or {c.id for c in known if c.default}
    except AuditError:
        return ()
    return tuple(c for c in known if c.id in chosen and c.id in states)


def _caldav_calendars() -> tuple[caldav_store.Calendar, ...]:
    """Selected (else all) CalDAV calendars that have been synced at least once."""
    try:
        known = caldav_store.stored_calendars()
        if not known or caldav_store.load_account() is None:
            return ()
        states = caldav_store.sync_states()
        chosen = set(caldav_store.selected_urls()) or {c.url for c in known}
    except AuditError:
        return ()
    return tuple(c for c in known if c.url in chosen and c.url in states)


def load_setup() -> Setup:
    """Read connections and settings (cheap: a few small files, every rerun)."""
    problem = None
    try:
        listed = connections.load_connections()
    except AuditError as error:
        listed, problem = connections.Connections(), str(error)
    google = _google_calendars()
    microsoft = _microsoft_calendars()
    caldav = _caldav_calendars()
    refresh = st.session_state.get(REFRESH, 0)
    if not listed and not google and not microsoft and not caldav:
        return _sample_setup(refresh, problem)
    path = config_edit.user_config_path()
    try:
        data = config_edit.read_config_data(path)
        config = parse_config(data, file=str(path))
    except AuditError as error:
        data, config, problem = {}, parse_config({}), str(error)
    sources = (
        [Source(f"ics:{name}", name, "file", {"file": name}) for name in listed.files]
        + [Source(source_for(url), source_for(url).removeprefix("url:"), "link", {"url": url})
           for url in listed.urls]
        + [Source(f"google:{c.id}", c.label, "google") for c in google]
        + [Source(f"microsoft:{c.id}", f"Microsoft {c.label}", "microsoft") for c in microsoft]
        + [Source(f"caldav:{c.collection_id}", c.name, "caldav") for c in caldav]
    )
    dav_synced = caldav_store.sync_states() if caldav else {}
    synced = google_store.sync_states() if google else {}
    graph_ms = graph_store.sync_states() if microsoft else {}
    spec = SourceSpec(
        files=tuple(file_entry(p) for p in listed.paths()),
        urls=listed.urls,
        google=tuple((c.id, str(synced[c.id].synced_at)) for c in google),
        refresh=refresh,
        microsoft=tuple((c.id, str(graph_ms[c.id].synced_at)) for c in microsoft),
        caldav=tuple((c.url, str(dav_synced[c.url].synced_at)) for c in caldav),
    )
    return Setup(False, config, data, str(path), path, problem, tuple(sources), spec)


def _sample_setup(refresh: int, problem: str | None) -> Setup:
    base = config_edit.read_config_data(SAMPLE_CONFIG)
    data = config_edit.apply_edits(base, st.session_state.get(SAMPLE_EDITS, []))
    label = "sample_data/timeaudit.toml (sample; changes last for this session)"
    config = parse_config(data, file=label)
    files = sorted(timeaudit_sample.CALENDARS)
    sources = tuple(Source(f"ics:{p.name}", p.name, "sample") for p in files)
    spec = SourceSpec(files=tuple(file_entry(p) for p in files), refresh=refresh)
    return Setup(True, config, data, label, None, problem, sources, spec)


# ------------------------------------------------------------------ changing settings


def apply_settings(setup: Setup, edits: list[config_edit.Edit]) -> Config:
    """Save ``edits`` (user mode) or keep them for the session (sample mode).

    Raises `ConfigError` (nothing saved) when the result is not a valid configuration.
    """
    if not edits:
        return setup.config
    if setup.sample:
        pending = [*st.session_state.get(SAMPLE_EDITS, []), *edits]
        base = config_edit.read_config_data(SAMPLE_CONFIG)
        config = parse_config(config_edit.apply_edits(base, pending), file=setup.label)
        st.session_state[SAMPLE_EDITS] = pending
        return config
    assert setup.path is not None
    return config_edit.save_config(setup.path, edits)


def say(area: str, kind: str, text: str) -> None:
    """Remember the outcome of an action, shown beside its widgets until the next one."""
    st.session_state.setdefault(MESSAGES, {})[area] = (kind, text)


def show(area: str) -> None:
    kind, text = st.session_state.get(MESSAGES, {}).get(area, (None, None))
    if kind == "error":
        st.error(text, icon=":material/error:")
    elif kind == "success":
        st.success(text, icon=":material/check_circle:")
    elif kind == "info":
        st.info(text)


# ------------------------------------------------------------------ the week


def chosen_period(config: Config) -> Period:
    """The week that holds ``st.session_state[WEEK_DAY]`` (default: last complete week)."""
    if WEEK_DAY not in st.session_state:
        st.session_state[WEEK_DAY] = last_complete_week(config.timezone,
                                                        config.week_start).start
    day = st.session_state[WEEK_DAY]
    return week_containing(day, config.timezone, config.week_start)


def shift_week(days: int) -> None:
    st.session_state[WEEK_DAY] = st.session_state[WEEK_DAY] + timedelta(days=days)


def go_to(day: date) -> None:
    st.session_state[WEEK_DAY] = day


def overrides() -> pl.DataFrame:
    """The manual overrides of the local store (none, with a message, if it is unusable)."""
    try:
        return store.load_overrides()
    except AuditError as error:
        say("events", "error", str(error))
        return pl.DataFrame(schema=OVERRIDE_SCHEMA)
