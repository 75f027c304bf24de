"""The timeaudit dashboard: composes the views, holds no audit logic.

Streamlit runs this file: ``timeaudit dashboard`` (installed or in a checkout) runs it
directly, and ``streamlit run app.py`` in a checkout runs it through the thin ``app.py``.

It opens on the bundled sample calendars with no set-up; connecting a calendar in the
sidebar switches to the person's own calendars and settings (`dashboard.state`). The
numbers come from `audit.engine.run_audit` through the cached loaders of `dashboard.data`.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import state, views, warm
from dashboard.data import Week, derived, kept_week, write_behind
from dashboard.sidebar import render_sidebar, render_week_picker, settings_submitted
from dashboard.state import Setup

SHOWN = "numbers_of"  # session state: the `Week.key` of the numbers on screen
# Seconds the numbers of a week not on screen yet have to themselves before the rest of
# the page follows (see `render_week`).
NUMBERS_ALONE = 0.1
# The same on a session's first run (a page load), when the browser has yet to fetch and
# run the scripts of the header's and the metrics' elements (≈ 0.3–0.7 s after the first
# delta on this 2-core machine, loaded or not). Whatever arrives before they are drawn
# joins their batch: the charts' and tables' scripts (Vega, the data grid: ≈ 2 MB) and
# ≈ 16 charts and 8 tables to draw, and the metrics show 2–5 s later (docs/dashboard.md,
# "A page load shows the numbers first": paired timelines, 3.9 s → 1.8 s median to the
# metrics, the whole page no later). Shorter (0.6 s) was sometimes too short under load.
FIRST_NUMBERS_ALONE = 1.0


def main() -> None:
    st.set_page_config(page_title="timeaudit", page_icon="⏱", layout="wide",
                       initial_sidebar_state=400)  # px: room for the settings table
    setup = state.load_setup()
    period = state.chosen_period(setup.config)
    if settings_submitted():
        render_sidebar(setup, period)  # saves them and reruns: no view with the old ones
        render_week(setup)
        return
    # The week's numbers first, the sidebar after: its settings table is the first
    # `st.data_editor` of a run, which imports pandas (≈ 1 s on a cold server).
    render_week(setup)
    render_sidebar(setup, period)


@st.fragment
def render_week(setup: Setup) -> None:
    """Everything that depends on the chosen week. A fragment: a week switch, an override,
    a filter or a choice in a view reruns this only, not the sidebar; anything that changes
    the settings or the calendars reruns the whole app."""
    current = state.load_setup()  # a few small files
    if (current.config_key, current.spec) != (setup.config_key, setup.spec):
        st.rerun()  # a choice in the views changed the settings (e.g. the zone): redraw all
    header = st.container()
    period = render_week_picker(setup.config)
    week = kept_week(setup.spec, setup.config, setup.config_key, period, state.overrides())
    with header:
        views.render_header(setup, week)
    sparklines = views.render_kpis(week)
    write_behind()  # the disk cache writes of what was read for them (docs/dashboard.md)
    if st.session_state.get(SHOWN) != week.key:
        first = SHOWN not in st.session_state
        alone = FIRST_NUMBERS_ALONE if first else NUMBERS_ALONE
        # New numbers (another week, an override, other settings): they go out on their
        # own. The browser redraws the page one batch of arrived elements at a time; with
        # the charts and tables in the same batch it shows the numbers only when it has
        # drawn everything (0.3–0.5 s), alone they take it a few dozen ms. So the rest is
        # worked out now, and follows no sooner than NUMBERS_ALONE after the numbers
        # (FIRST_NUMBERS_ALONE on a page load: the browser has scripts to fetch first).
        st.session_state[SHOWN] = week.key
        started = time.perf_counter()
        prepare(week)
        if first:
            warm.import_rest()  # what the rest of the page needs, in this run (see warm)
        time.sleep(max(0.0, alone - (time.perf_counter() - started)))
    # The sections below the numbers import what the numbers do not need (the events
    # table's and the meetings' modules here, Altair with the first chart; a session's
    # first run imports them while its numbers are alone, `dashboard.warm`): on a cold
    # server the numbers go out first (docs/dashboard.md, "What runs when"; issue 16).
    from dashboard import events, meetings  # noqa: PLC0415 - see above

    with header:
        views.render_read_notes(week)
        views.render_calendar_defaults(setup, week)
    sparklines()
    views.render_week_shape(week)
    views.render_boundaries(week)
    views.render_focus(week)
    meetings.render_meetings(week)
    views.render_patterns(week)
    events.render_events(setup, week)
    views.render_export(week)
    meetings.render_one_page(week)
    write_behind()  # and those of the trend's earlier quarter, read after the numbers


def prepare(week: Week) -> None:
    """Work out what the views below the numbers derive from ``week`` (kept per week by
    `dashboard.data.derived`, which the views then find), with the choices on screen."""
    from dashboard import events, meetings  # noqa: PLC0415 - see `render_week`

    for compute in (views.inferred_defaults, views.sparkline_frames, views.per_day_frame,
                    views.quadrant_frames, views.timeline_frames, views.violation_tables,
                    views.focus_figures, meetings.tables, views.trend_frames,
                    events.events_table):
        derived(week, compute)
    derived(week, views.heatmap_frame, st.session_state.get(views.HEAT_SPAN) or views.THIS_WEEK)
    derived(week, views.export_files, st.session_state.get("privacy") or "standard")


if __name__ == "__main__":  # Streamlit runs a script as __main__
    main()
