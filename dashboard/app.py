"""The timeaudit dashboard: composes the views, holds no audit logic.

Streamlit runs this file: ``timeaudit dashboard`` (installed or in a checkout) runs it
directly, and ``streamlit run app.py`` in a checkout runs it through the thin ``app.py``.

It opens on the bundled sample calendars with no set-up; connecting a calendar in the
sidebar switches to the person's own calendars and settings (`dashboard.state`). The
numbers come from `audit.engine.run_audit` through the cached loaders of `dashboard.data`.
"""

from __future__ import annotations

import streamlit as st

from dashboard import events, meetings, state, views
from dashboard.data import load_week
from dashboard.sidebar import render_sidebar


def main() -> None:
    st.set_page_config(page_title="timeaudit", page_icon="⏱", layout="wide",
                       initial_sidebar_state=400)  # px: room for the settings table
    setup = state.load_setup()
    period = render_sidebar(setup)
    week = load_week(setup.spec, setup.config, setup.config_key, period, state.overrides())
    views.render_header(setup, week)
    views.render_kpis(week)
    views.render_week_shape(week)
    views.render_boundaries(week)
    views.render_focus(week)
    meetings.render_meetings(week)
    views.render_patterns(week)
    events.render_events(setup, week)
    views.render_export(week)
    meetings.render_one_page(week)


if __name__ == "__main__":  # Streamlit runs a script as __main__
    main()
