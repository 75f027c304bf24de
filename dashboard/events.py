"""The week's events: each with the reason for its classification, classifying one event
or its whole series in one action (marked in the table, undone in one click), and the
titles whose answer settles the most unclassified time.

Overrides are saved by button callbacks, which Streamlit runs before the script, so
every view of the same run already shows them.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from audit import config_edit, store
from audit.domains import DOMAINS
from audit.report import QUADRANTS
from core.errors import AuditError
from dashboard import figures, labels, state
from dashboard.data import Week, derived
from dashboard.state import Setup, say, show

TABLE = "events_table"
OVERRIDES_TABLE = "overrides_table"
YES_NO = ("yes", "no")
MARKS = {"event": "✎ this event", "series": "✎ series"}


def _marked(table: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """The events table with a ``yours`` column: what the person classified themselves."""
    events = overrides.filter(pl.col("scope") == "event")["key"].implode()
    series = overrides.filter(pl.col("scope") == "series")["key"].implode()
    return table.with_columns(
        pl.when(pl.col("event_id").is_in(events)).then(pl.lit(MARKS["event"]))
        .when(pl.col("series_id").is_in(series)).then(pl.lit(MARKS["series"]))
        .otherwise(pl.lit("")).alias("yours"))


def _filtered(table: pl.DataFrame) -> pl.DataFrame:
    search, domains, quadrants, counted = st.columns([3, 2, 2, 1.3],
                                                     vertical_alignment="bottom")
    text = search.text_input("Search titles and reasons", key="events_search",
                             placeholder="e.g. 1:1, incident, gym")
    chosen_domains = domains.multiselect("Domain", [*DOMAINS, "unclassified"],
                                         key="events_domains", placeholder="all")
    chosen_quadrants = quadrants.multiselect("Quadrant", list(QUADRANTS),
                                             key="events_quadrants", placeholder="all")
    only_counted = counted.toggle("Counted only", key="events_counted")
    if text:
        needle = text.lower()
        table = table.filter(pl.col("title").str.to_lowercase().str.contains(needle, literal=True)
                             | pl.col("reason").str.to_lowercase()
                             .str.contains(needle, literal=True))
    if chosen_domains:
        table = table.filter(pl.col("domain").is_in(chosen_domains))
    if chosen_quadrants:
        table = table.filter(pl.col("quadrant").is_in(chosen_quadrants))
    if only_counted:
        table = table.filter(pl.col("counts") == "counted")
    return table


def events_table(week: Week) -> pl.DataFrame:
    return figures.events_table(week.audit)


def render_events(setup: Setup, week: Week) -> None:
    st.subheader("Events", anchor=False)
    st.caption("Every occurrence of the week with the reason for its classification. "
               "**Select a row** (the box at its left) to classify that event or its whole "
               "series; ✎ marks what you classified yourself. It is saved at once, every "
               "view uses it, and it survives re-reads.")
    show("events")
    overrides = state.overrides()
    table = _filtered(_marked(
        derived(week, events_table), overrides))
    # Widths for a 1440 px window: what decides the event (title, classification, why)
    # is readable without scrolling; rows taller than 4rem (64 px) let texts wrap.
    picked = st.dataframe(
        table.with_columns(
            pl.format("{} {}", "day", "time").alias("when"),
            pl.when(pl.col("yours") != "").then(pl.format("✎ {}", "title"))
            .otherwise(pl.col("title")).alias("shown")),
        key=TABLE, on_select="rerun", selection_mode="single-row", hide_index=True,
        width="stretch", height=480, row_height=68, placeholder=labels.UNKNOWN,
        column_order=["when", "shown", "domain", "urgent", "important", "reason", "quadrant",
                      "minutes", "counts", "yours", "calendar"],
        column_config={
            "when": st.column_config.TextColumn("When", width=95),
            "shown": st.column_config.TextColumn("Title", width=165,
                                                 help="✎ classified by you"),
            "domain": st.column_config.TextColumn("Domain", width=75),
            "urgent": st.column_config.TextColumn("Urgent", width=62),
            "important": st.column_config.TextColumn("Important", width=82),
            "reason": st.column_config.TextColumn("Why", width=290,
                                                  help="What decided each attribute"),
            "quadrant": st.column_config.TextColumn("Quadrant", width=82),
            "minutes": st.column_config.NumberColumn("Minutes", format="%d", width=72),
            "counts": st.column_config.TextColumn("Counts", width=110),
            "yours": st.column_config.TextColumn("Classified by", width=110),
            "calendar": st.column_config.TextColumn("Calendar", width=110),
        })
    rows = picked.selection.rows if picked is not None else []
    if rows and rows[0] < table.height:
        render_classify(table.row(rows[0], named=True), table)
    else:
        st.caption("No event selected.")
    render_overrides(week)
    render_unclassified(setup, week)


def render_classify(row: dict[str, Any], table: pl.DataFrame) -> None:
    """The selected event: what it is now and why, and one button each to classify it or
    its whole series (or to undo what the person set)."""
    key = row["event_id"]
    with st.container(border=True, key="classify"):
        st.markdown(f"**{row['title'] or '(no title)'}** · {row['day']} {row['time']} · "
                    f"{row['calendar']}")
        st.caption(f"Now: {row['domain'] or 'unclassified'}, quadrant {row['quadrant']} — "
                   f"{row['reason'] or labels.UNKNOWN}")
        left, middle, right = st.columns(3)
        left.segmented_control("Domain", list(DOMAINS), key=f"classify_domain:{key}",
                                        default=row["domain"] if row["domain"] in DOMAINS
                                        else None)
        middle.segmented_control("Urgent", list(YES_NO), key=f"classify_urgent:{key}",
                                          default=row["urgent"])
        right.segmented_control("Important", list(YES_NO),
                                            key=f"classify_important:{key}",
                                            default=row["important"])
        one, series, undo = st.columns(3)
        one.button("Classify this event", key="classify_event", type="primary",
                   icon=":material/check:", width="stretch", on_click=_classify,
                   args=(row, "event"))
        count = table.filter(pl.col("series_id") == row["series_id"]).height \
            if row["series_id"] else 0
        series.button(f"Classify the whole series ({count} this week)" if count
                      else "Not part of a series", key="classify_series",
                      icon=":material/repeat:", width="stretch", disabled=not count,
                      on_click=_classify, args=(row, "series"))
        undo.button("Undo my classification", key="classify_undo", icon=":material/undo:",
                    width="stretch", disabled=not row["yours"], on_click=_undo,
                    args=(row,))


def _classify(row: dict[str, Any], scope: str) -> None:
    # read at the click, not when the button was drawn
    wanted = {name: st.session_state.get(f"classify_{name}:{row['event_id']}")
              for name in ("domain", "urgent", "important")}
    where = ({"series_id": row["series_id"]} if scope == "series"
             else {"event_id": row["event_id"]})
    try:
        store.set_override(
            **where, domain=wanted["domain"],
            urgent=None if wanted["urgent"] is None else wanted["urgent"] == "yes",
            important=None if wanted["important"] is None else wanted["important"] == "yes",
            note=row["title"])
    except AuditError as error:
        say("events", "error", str(error))
        return
    what = "every occurrence of" if scope == "series" else ""
    say("events", "success", f"Classified {what} “{row['title']}”; every view already uses "
        "it. Undo it from the event or from Your overrides.".replace("  ", " "))


def _undo(row: dict[str, Any]) -> None:
    try:
        cleared = store.clear_override(event_id=row["event_id"])
        if row["series_id"]:
            cleared = store.clear_override(series_id=row["series_id"]) or cleared
    except AuditError as error:
        say("events", "error", str(error))
        return
    if cleared:
        say("events", "info", f"Undone: “{row['title']}” is classified by the rules again.")


def overrides_frame(listed: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The overrides as people read them: the event's title (from this week, else the one
    saved with the override), what it applies to and what was set."""
    titles = pl.concat([
        events.select(pl.lit("event").alias("scope"), pl.col("event_id").alias("key"),
                      "title"),
        events.filter(pl.col("series_id").is_not_null()).select(
            pl.lit("series").alias("scope"), pl.col("series_id").alias("key"), "title"),
    ]).unique(["scope", "key"], keep="first", maintain_order=True)

    def yes_no(column: str) -> pl.Expr:
        return (pl.when(pl.col(column)).then(pl.lit("yes"))
                .when(pl.col(column).not_()).then(pl.lit("no")).alias(column))

    return listed.join(titles, on=["scope", "key"], how="left", maintain_order="left").select(
        pl.coalesce("title", "note", "key").alias("Event"),
        pl.col("scope").replace_strict({"event": "this event", "series": "whole series"},
                                       default=pl.col("scope")).alias("Applies to"),
        pl.col("domain").alias("Domain"), yes_no("urgent").alias("Urgent"),
        yes_no("important").alias("Important"), "scope", "key")


def render_overrides(week: Week) -> None:
    try:
        listed = store.list_overrides()
    except AuditError as error:
        st.error(str(error), icon=":material/error:")
        return
    if listed.is_empty():
        return
    shown = overrides_frame(listed, figures.events_table(week.audit))
    with st.expander(f"Your overrides ({listed.height})", icon=":material/edit_note:"):
        picked = st.dataframe(
            shown, key=OVERRIDES_TABLE, on_select="rerun", selection_mode="multi-row",
            hide_index=True, width="stretch", placeholder=labels.UNKNOWN,
            column_order=["Event", "Applies to", "Domain", "Urgent", "Important"],
            column_config={"Event": st.column_config.TextColumn(width="large")})
        chosen = [shown.row(i, named=True) for i in (picked.selection.rows if picked else [])
                  if i < shown.height]
        st.button(f"Undo {len(chosen)} selected" if chosen else "Select overrides to undo",
                  key="overrides_remove_button", disabled=not chosen, icon=":material/undo:",
                  on_click=_remove, args=(chosen,))


def _remove(chosen: list[dict[str, Any]]) -> None:
    try:
        for row in chosen:
            store.clear_override(**{"event_id" if row["scope"] == "event" else "series_id":
                                    row["key"]})
    except AuditError as error:
        say("events", "error", str(error))
        return
    st.session_state.pop(OVERRIDES_TABLE, None)
    say("events", "info", f"Undone {len(chosen)} override{'s' if len(chosen) > 1 else ''}.")


def render_unclassified(setup: Setup, week: Week) -> None:
    titles = figures.unclassified_titles(week.audit)
    with st.expander(f"Classify the top unclassified titles ({titles.height})",
                     icon=":material/rule:", expanded=False):
        if titles.is_empty():
            st.caption("Every counted event this week has a domain, urgency and importance.")
            return
        where = "for this session (sample)" if setup.sample else f"into {setup.path}"
        st.caption("The titles whose answer settles the most unclassified or uncertain hours "
                   "come first. Choose what each title is, tick *add rule*, and add: each "
                   "becomes a rule matching that title (whatever its numbers), written "
                   f"{where}; it applies to every week.")
        edited = st.data_editor(
            titles.with_columns(pl.lit(False).alias("add rule")), key="rules_editor",
            hide_index=True, width="stretch",
            disabled=["title", "occurrences", "hours"],
            column_config={
                "domain": st.column_config.SelectboxColumn(options=[*DOMAINS, "unclassified"]),
                "urgent": st.column_config.SelectboxColumn(options=list(YES_NO)),
                "important": st.column_config.SelectboxColumn(options=list(YES_NO)),
            })
        if st.button("Add rules for the ticked titles", key="rules_add",
                     icon=":material/add_task:"):
            chosen = edited.filter(pl.col("add rule"))
            if chosen.is_empty():
                say("rules", "info", "Tick *add rule* for the titles you classified.")
                st.rerun()
            try:
                rules = [config_edit.rule_for_title(
                    row["title"],
                    domain=None if row["domain"] in (None, "unclassified") else row["domain"],
                    urgent=None if row["urgent"] is None else row["urgent"] == "yes",
                    important=None if row["important"] is None else row["important"] == "yes")
                    for row in chosen.iter_rows(named=True)]
                state.apply_settings(setup, [config_edit.AddRules(tuple(rules))])
            except AuditError as error:
                say("rules", "error", str(error))
            else:
                say("rules", "success", f"Added {len(rules)} rule(s) {where}.")
                st.rerun()
        show("rules")


__all__ = ["overrides_frame", "render_events"]
