"""The meetings panel and the one-page report's download (issue 14): figures of
`audit.meetings`, `audit.goals` and `audit.html_report`, shown, never recomputed."""

from __future__ import annotations

import polars as pl
import streamlit as st

from audit.goals import goal_rows
from audit.html_report import render_html
from audit.meetings import meeting_report
from dashboard.data import Week

SPLITS = {"by_size": "size", "by_recurrence": "recurrence", "by_organizer": "organised by",
          "by_audience": "with"}


def meeting_summary(meetings: dict) -> str:
    """The panel's first line, from the ``meetings`` object of the report."""
    b2b, outside = meetings["back_to_back"], meetings["outside_working_hours"]
    return (f"**{meetings['count']} meetings, {meetings['hours']:.1f} h** "
            f"({meetings['attendee_hours']:.1f} attendee-hours); {b2b['count']} back-to-back "
            f"({b2b['hours']:.1f} h); {outside['count']} outside working hours "
            f"({outside['hours']:.1f} h).")


def render_meetings(week: Week) -> None:
    st.subheader("Meetings and budgets", anchor=False)
    meetings = meeting_report(week.audit)
    st.markdown(meeting_summary(meetings))
    left, right = st.columns(2)
    with left:
        st.dataframe(pl.DataFrame(
            [{"split": label, "part": name.replace("_", " "), "meetings": part["count"],
              "hours": part["hours"]}
             for split, label in SPLITS.items() for name, part in meetings[split].items()]),
            hide_index=True, width="stretch", key="meeting_splits")
    with right:
        st.dataframe(pl.DataFrame(
            [{"budget": g["goal"].replace("_", " "),
              "limit": f"{'≤' if g['kind'] == 'max' else '≥'} {g['limit']:g} {g['unit']}",
              "actual": g["actual"], "": "met" if g["met"] else "missed",
              "margin": g["margin"]} for g in goal_rows(week.audit)]),
            hide_index=True, width="stretch", key="budgets")
    if meetings["series"]:
        st.markdown("**Recurring series — the cut list**")
        st.dataframe(pl.DataFrame(meetings["series"]).drop("series_id"), hide_index=True,
                     width="stretch", key="cut_list")


def render_one_page(week: Week) -> None:
    """A download of the one-page HTML report at the privacy level chosen for the export."""
    privacy = st.session_state.get("privacy") or "standard"
    st.download_button(
        "Download the one-page report (HTML)",
        render_html(week.audit, privacy).encode("utf-8"),
        file_name=f"timeaudit-{week.period.start:%G-W%V}-report.html", mime="text/html",
        key="download_report_html", on_click="ignore", icon=":material/description:")
