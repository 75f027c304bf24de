"""The meetings panel and the one-page report's downloads (issue 14): figures of
`audit.meetings`, `audit.goals` and `audit.html_report` (HTML and PDF), shown, never
recomputed."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from audit.goals import goal_rows
from audit.html_report import render_report
from audit.meetings import meeting_report
from dashboard.data import Week, derived

SPLITS = {"by_size": "size", "by_recurrence": "recurrence", "by_organizer": "organised by",
          "by_audience": "with"}
# the cut list's columns in words (the JSON keys stay as they are)
CUT_LIST_LABELS = {"count": "times", "first_half_hours": "first half (h)",
                   "second_half_hours": "second half (h)"}


def meeting_summary(meetings: dict) -> str:
    """The panel's first line, from the ``meetings`` object of the report."""
    b2b, outside = meetings["back_to_back"], meetings["outside_working_hours"]
    return (f"**{meetings['count']} meetings, {meetings['hours']:.1f} h** "
            f"({meetings['attendee_hours']:.1f} attendee-hours); {b2b['count']} back-to-back "
            f"({b2b['hours']:.1f} h); {outside['count']} outside working hours "
            f"({outside['hours']:.1f} h).")


def render_meetings(week: Week) -> None:
    st.subheader("Meetings and budgets", anchor=False)
    summary, splits, budgets, cut_list = derived(week, tables)
    st.markdown(summary)
    left, right = st.columns(2)
    with left:
        st.dataframe(splits, hide_index=True, width="stretch", key="meeting_splits")
    with right:
        st.dataframe(budgets, hide_index=True, width="stretch", key="budgets")
    if cut_list is not None:
        st.markdown("**Recurring series — the cut list**")
        st.dataframe(cut_list, hide_index=True, width="stretch",
                     key="cut_list",
                     column_config={"share": st.column_config.NumberColumn(
                         "share", help="of this period's meeting hours", format="percent")})


def tables(week: Week) -> tuple[str, pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """The panel's first line, its two tables and the cut list (None: no series)."""
    meetings = meeting_report(week.audit)
    splits = pl.DataFrame(
        [{"split": label, "part": name.replace("_", " "), "meetings": part["count"],
          "hours": part["hours"]}
         for split, label in SPLITS.items() for name, part in meetings[split].items()])
    budgets = pl.DataFrame(
        [{"budget": g["goal"].replace("_", " "),
          "limit": f"{'≤' if g['kind'] == 'max' else '≥'} {g['limit']:g} {g['unit']}",
          "actual": g["actual"], "": "met" if g["met"] else "missed",
          "margin": g["margin"]} for g in goal_rows(week.audit)])
    cut_list = (pl.DataFrame(meetings["series"]).drop("series_id").rename(CUT_LIST_LABELS)
                if meetings["series"] else None)
    return meeting_summary(meetings), splits, budgets, cut_list


def render_one_page(week: Week) -> None:
    """Downloads of the one-page report, HTML and PDF, at the privacy level chosen for the
    export, compared with the week before; each is made only when its button is clicked."""
    privacy = st.session_state.get("privacy") or "standard"
    stem = f"timeaudit-{week.period.start:%G-W%V}-report"
    html_column, pdf_column = st.columns(2)
    for column, fmt, mime, icon in ((html_column, "html", "text/html", "description"),
                                    (pdf_column, "pdf", "application/pdf", "picture_as_pdf")):
        column.download_button(
            f"Download the one-page report ({fmt.upper()})",
            functools.partial(render_report, week.audit, privacy, fmt=fmt,
                              previous=week.previous_audit),
            file_name=f"{stem}.{fmt}", mime=mime, key=f"download_report_{fmt}",
            on_click="ignore", icon=f":material/{icon}:", width="stretch")
