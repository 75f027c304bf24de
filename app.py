"""The timeaudit dashboard (Streamlit). It composes views; the audit logic lives in `audit/`.

This first version lists the last complete week of the bundled sample calendars; the
weekly audit views arrive with the dashboard issue.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from audit.config import load_config
from audit.errors import AuditError
from audit.period import last_complete_week
from connectors.sources import Sources, read_sources

SAMPLE = Path(__file__).resolve().parent / "sample_data"


@st.cache_data(show_spinner="Reading the calendars …")
def load_sample_week() -> tuple[str, pl.DataFrame]:
    config = load_config(SAMPLE / "timeaudit.toml")
    period = last_complete_week(config.timezone, config.week_start)
    events = read_sources(Sources(ics=sorted(SAMPLE.glob("*.ics"))), period=period,
                          config=config)
    last = period.days[-1]
    label = f"{period.start:%d %b} – {last:%d %b %Y} ({period.timezone})"
    return label, events


def render_events(events: pl.DataFrame) -> None:
    st.dataframe(
        events.select("calendar", "title", "start", "end", "all_day", "response", "attendees"),
        hide_index=True, width="stretch",
    )


st.set_page_config(page_title="timeaudit", page_icon="⏱", layout="wide")
st.title("timeaudit")
try:
    week, sample = load_sample_week()
except AuditError as error:
    st.error(str(error))
else:
    st.caption(f"Sample calendars, last complete week: {week} · {sample.height} occurrences")
    render_events(sample)
