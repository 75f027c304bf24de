"""The main page's views: one ``render_*`` function per section, fed by `dashboard.data`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
import streamlit as st

from audit import settings, store
from audit.classify import calendar_defaults
from audit.domains import DOMAINS
from audit.export import PRIVACY_LEVELS, csv_bytes, export_frames
from audit.report import QUADRANTS
from core.errors import AuditError
from dashboard import charts, figures, state
from dashboard.data import Week
from dashboard.state import Setup, say, show

EDITOR = "events_editor"
EDITOR_ROWS = "events_editor_rows"
SCOPES = ("this occurrence", "whole series")
YES_NO = ("yes", "no")


def chart(key: str, build: Callable[..., Any], *frames: pl.DataFrame, **params: Any) -> None:
    """Show the Altair chart ``build(*frames, **params)`` (see `charts.spec`)."""
    st.vega_lite_chart(charts.spec(build, *frames, **params), width="stretch", key=key)


_CLOCK = ["day", "order", "start_h", "end_h"]


# ------------------------------------------------------------------ header


def render_header(setup: Setup, week: Week) -> None:
    st.title("timeaudit", anchor=False)
    what = "Sample calendars" if setup.sample else f"{len(setup.sources)} calendars"
    st.caption(f"**{figures.week_label(week.period.start, week.period.end)}** · "
               f"{week.period.timezone} · {what} · "
               f"{week.audit.events.height} occurrences this week")
    for error in week.errors:
        st.error(error, icon=":material/error:")
    if week.warnings:
        with st.expander(f"Notes on reading the calendars ({len(week.warnings)})",
                         icon=":material/info:"):
            for note in week.warnings:
                st.caption(note)
    render_calendar_defaults(setup, week)


def render_calendar_defaults(setup: Setup, week: Week) -> None:
    """What each calendar looks like to timeaudit, with the evidence; one click makes the
    inferred domain the calendar's default (the sidebar changes it)."""
    found = calendar_defaults(week.audit.events, week.audit.config).filter(
        pl.col("domain").is_not_null() & (pl.col("configured").is_null()
                                          | (pl.col("configured") != pl.col("domain"))))
    if found.is_empty():
        return
    with st.expander(f"Calendar defaults timeaudit inferred ({found.height})",
                     icon=":material/calendar_month:"):
        st.caption("Used only where nothing surer decides, and never enough to name an "
                   "event in the export. Confirm one to make it the calendar's default.")
        for row in found.iter_rows(named=True):
            text, button = st.columns([5, 1], vertical_alignment="center")
            text.markdown(f"**{row['domain']}** — {row['evidence']}")
            if button.button("Confirm", key=f"confirm:{row['source']}"):
                try:
                    state.apply_settings(setup, [settings.calendar_domain_edit(
                        setup.data, row["source"], row["domain"])])
                except AuditError as error:
                    say("calendars", "error", str(error))
                else:
                    say("calendars", "success", f"{row['source']}: {row['domain']}")
                st.rerun()


# ------------------------------------------------------------------ KPIs


def _delta(difference: float | None, unit: str, digits: int = 1) -> str | int | None:
    if difference is None:
        return None
    if round(difference, digits) == 0:
        return 0
    return f"{difference:+.{digits}f}{unit}"


def render_kpis(week: Week) -> None:
    """Week at a glance: six figures, each with its change against the previous week."""
    st.subheader("Week at a glance", anchor=False)
    now, before = week.current, week.previous
    trend = week.trend

    def change(name: str) -> float | None:
        return now[name] - before[name] if before else None

    def spark(name: str, scale: float = 1.0) -> list[float]:
        return [round(v * scale, 2) for v in trend[name].to_list()]

    with st.container(key="kpis"):
        first, second = st.columns(4), st.columns(3)
        for column, (domain, colour) in zip(
                first, (("work", "off"), ("life", "normal"), ("integrated", "normal")),
                strict=False):
            column.metric(f"{domain.title()} hours", f"{now[domain]:.1f} h",
                      _delta(change(domain), " h"), delta_color=colour, border=True,
                      chart_data=spark(domain), chart_type="bar",
                      help=f"Counted {domain} time (SPEC §6); change against the week before.")
        # What timeaudit could not classify is a figure, not a silent gap.
        counted = sum(now[d] for d in ("work", "life", "integrated", "unclassified"))
        share = now["unclassified"] / counted if counted else 0.0
        first[3].metric("Unclassified", f"{now['unclassified']:.1f} h · {share:.0%}",
                        _delta(change("unclassified"), " h"), delta_color="inverse",
                        border=True, chart_data=spark("unclassified"), chart_type="bar",
                        help="Counted time whose domain nothing decided: classify the top "
                             "titles under Events to settle it.")
        target = now["focus_target"]
        met = "met" if now["focus"] >= target else "not met"
        coverage_change = change("coverage")
        second[0].metric("Focus coverage", f"{now['coverage']:.0%}",
                  _delta(None if coverage_change is None else coverage_change * 100, " pp", 0),
                  border=True, chart_data=spark("coverage", 100), chart_type="area",
                  help=f"{now['focus']:.1f} h of focus time in {now['working']:.1f} working "
                       f"hours; target {target:g} h a week: {met}.")
        violations = change("violations")
        second[1].metric("Boundary violations", f"{now['violations']:d}",
                  None if violations is None else int(violations), delta_color="inverse",
                  border=True, chart_data=spark("violations"), chart_type="bar",
                  help=f"{now['outside_minutes']:.0f} min of work outside working hours; "
                       "details under Boundaries.")
        second[2].metric("Meeting hours", f"{now['meetings']:.1f} h",
                  _delta(change("meetings"), " h"), delta_color="inverse", border=True,
                  chart_data=spark("meetings"), chart_type="bar",
                  help="Counted time with at least one other person.")


# ------------------------------------------------------------------ where the time went


def render_week_shape(week: Week) -> None:
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader("Work, life, integrated per day", anchor=False)
        by_day = figures.per_day(week.audit).with_columns(
            pl.col("date").dt.strftime("%a %-d").alias("day"))
        chart("per_day", charts.per_day_chart, charts.with_order(by_day, week.period.start))
    with right, st.container(key="matrix"):
        st.subheader("Eisenhower matrix", anchor=False)
        quadrants = figures.quadrants(week.audit)
        chart("matrix_chart", charts.matrix_chart, charts.matrix_data(quadrants))
        unknown = quadrants.filter(pl.col("quadrant") == "unclassified").row(0, named=True)
        if unknown["hours"] > 0:
            st.caption(f"Not in the matrix: {unknown['hours']:.1f} h "
                       f"({unknown['share']:.0%}) unclassified, where urgency or importance "
                       "is unknown — classify them under Events.")


# ------------------------------------------------------------------ boundaries


def render_boundaries(week: Week) -> None:
    st.subheader("Boundaries", anchor=False)
    audit = week.audit
    st.caption("Each row is a day, hours of the day across. Blue band: working hours; "
               "yellow: protected time; red: the part of work that crossed a boundary. "
               "Long days are in the table below.")
    first = week.period.start
    chart("timeline", charts.week_timeline_chart,
          charts.days_frame(week.period.days).select(_CLOCK),
          charts.with_order(figures.working_bands(audit), first).select(_CLOCK),
          charts.with_order(figures.protected_bands(audit), first).select(*_CLOCK, "name"),
          charts.with_order(figures.timeline_pieces(audit), first).select(
              *_CLOCK, "title", "calendar", "domain", "quadrant", "minutes"),
          charts.with_order(figures.violation_segments(audit), first).select(
              *_CLOCK, "type", "title", "minutes"))
    violations = audit.violations
    if violations.is_empty():
        st.success("No boundary violations this week.", icon=":material/verified:")
        return
    by_type = (violations.group_by("type").agg(pl.col("minutes").sum().round(0),
                                               pl.len().alias("rows"))
               .sort("minutes", descending=True))
    left, right = st.columns([1.3, 3])
    left.dataframe(by_type, hide_index=True, width="stretch",
                   column_config={"minutes": st.column_config.NumberColumn(format="%d min")})
    right.dataframe(
        violations.with_columns(pl.col("minutes").round(0)), hide_index=True,
        width="stretch", key="violations_table",
        column_config={"date": st.column_config.DateColumn(format="ddd D MMM"),
                       "minutes": st.column_config.NumberColumn(format="%d"),
                       "event_id": st.column_config.TextColumn(width="small")})


# ------------------------------------------------------------------ focus


def render_focus(week: Week) -> None:
    st.subheader("Focus", anchor=False)
    report = figures.weekly_figures(week.audit).row(0, named=True)
    focus = week.audit.focus
    scheduled = float(focus["protected_focus_minutes"].sum()) / 60
    fragmented = float(focus["fragmented_minutes"].sum()) / 60
    target = report["focus_target"]
    gap = target - report["focus"]
    verdict = (f"target of {target:g} h met" if gap <= 0
               else f"{gap:.1f} h short of the {target:g} h target")
    st.markdown(f"**{report['focus']:.1f} h** of focus time in {report['working']:.1f} working "
                f"hours (**{report['coverage']:.0%}**), {verdict}; {scheduled:.1f} h of it "
                f"scheduled as focus blocks, {fragmented:.1f} h fragmented into stretches "
                f"shorter than {week.audit.config.focus.min_block_minutes} min.")
    chart("focus_bullet", charts.focus_bullet_chart, *charts.bullet_data(
        focus=report["focus"], scheduled=scheduled, fragmented=fragmented,
        working=report["working"], target=target))
    segments = charts.with_order(figures.focus_segments(week.audit), week.period.start) \
        .select(*_CLOCK, "kind", "minutes")
    if segments.height:
        lo, hi = charts.focus_range(segments)
        chart("focus_timeline", charts.focus_timeline_chart, segments, lo=lo, hi=hi,
              rows=segments["day"].n_unique())
    else:
        st.info("No working hours this week, so no focus time to find.")


# ------------------------------------------------------------------ patterns


def render_patterns(week: Week) -> None:
    st.subheader("Patterns", anchor=False)
    span = st.segmented_control("Heat map of work time", ["This week", "12-week average"],
                                required=True,
                                default="This week", key="heat_span")
    hourly = week.hourly
    if span == "12-week average":
        weeks = max(week.trend.height, 1)
        data = hourly.group_by("weekday", "hour").agg(pl.col("minutes").sum() / weeks)
        title = f"Average work minutes per hour over {weeks} weeks"
    else:
        data = hourly.filter(pl.col("week") == week.period.start)
        title = "Work minutes per hour this week"
    chart("heatmap", charts.heatmap_chart, charts.heatmap_data(data), title=title)
    st.markdown(f"**The last {week.trend.height} weeks**")
    data = charts.trend_data(week.trend, week.period.start)
    for index, (column, build) in enumerate(zip(st.columns(3), charts.TREND_CHARTS,
                                                 strict=True)):
        with column:
            chart(f"trend_{index}", build, data)


# ------------------------------------------------------------------ events and overrides


_FILTERS = ("week_day", "events_search", "events_domains", "events_quadrants",
            "events_counted")


def _rows_signature() -> str:
    """What decides which rows the events table shows (the week and the filters)."""
    return repr([st.session_state.get(key) for key in _FILTERS])


def apply_pending_overrides() -> None:
    """Save what was edited in the events table (before anything is computed, so every
    view of this run already shows it), then give the editor a clean slate.

    The editor reports edits by row position; when the rows changed since (another week,
    other filters), pending edits — a scope picked but nothing overridden yet — would
    point at other events, so they are dropped instead.
    """
    if st.session_state.get(EDITOR_ROWS + "_signature") != _rows_signature():
        st.session_state.pop(EDITOR, None)
        return
    edits = (st.session_state.get(EDITOR) or {}).get("edited_rows") or {}
    rows: Sequence[dict] = st.session_state.get(EDITOR_ROWS) or []
    saved = 0
    try:
        for index, changed in edits.items():
            position = int(index)
            if position >= len(rows):
                continue
            row = rows[position]
            wanted = {a: changed[a] for a in ("domain", "urgent", "important")
                      if a in changed and changed[a] is not None and changed[a] != row[a]}
            if not wanted:
                continue
            scope = changed.get("apply to") or row["apply to"]
            key = ({"series_id": row["series_id"]} if scope == SCOPES[1] and row["series_id"]
                   else {"event_id": row["event_id"]})
            store.set_override(
                **key, domain=wanted.get("domain"),
                urgent=None if "urgent" not in wanted else wanted["urgent"] == "yes",
                important=None if "important" not in wanted else wanted["important"] == "yes")
            saved += 1
    except AuditError as error:
        say("events", "error", str(error))
        return
    if saved:
        del st.session_state[EDITOR]
        say("events", "success", f"Saved {saved} override{'s' if saved > 1 else ''}; "
            "every view below already uses it.")


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


def render_events(setup: Setup, week: Week) -> None:
    st.subheader("Events", anchor=False)
    st.caption("Every occurrence of the week with the reason for its classification. Change "
               "domain, urgent or important to override it — for this occurrence or the "
               "whole series; it is saved at once and survives re-reads.")
    show("events")
    table = _filtered(figures.events_table(week.audit)).with_columns(
        pl.lit(SCOPES[0]).alias("apply to"))
    st.session_state[EDITOR_ROWS] = table.select(
        "event_id", "series_id", "domain", "urgent", "important", "apply to").to_dicts()
    st.session_state[EDITOR_ROWS + "_signature"] = _rows_signature()
    st.data_editor(
        table, key=EDITOR, hide_index=True, width="stretch", height=420,
        column_order=["day", "time", "title", "domain", "urgent", "important", "apply to",
                      "reason", "quadrant", "minutes", "counts", "calendar"],
        disabled=["day", "time", "title", "calendar", "quadrant", "minutes", "counts",
                  "reason", "event_id", "series_id", "date"],
        column_config={
            "day": st.column_config.TextColumn(width=75),
            "time": st.column_config.TextColumn(width=90),
            "title": st.column_config.TextColumn(width=190),
            "domain": st.column_config.SelectboxColumn(options=list(DOMAINS), width=85),
            "urgent": st.column_config.SelectboxColumn(options=list(YES_NO), width=65),
            "important": st.column_config.SelectboxColumn(options=list(YES_NO), width=75),
            "apply to": st.column_config.SelectboxColumn(options=list(SCOPES), width=120,
                                                         required=True),
            "reason": st.column_config.TextColumn(width=330, help="What decided each "
                                                  "attribute; hover a cell to read it all"),
            "quadrant": st.column_config.TextColumn(width=85),
            "minutes": st.column_config.NumberColumn(format="%d", width=60),
            "counts": st.column_config.TextColumn(width=90),
            "calendar": st.column_config.TextColumn(width=80),
        })
    render_overrides()
    render_unclassified(setup, week)


def render_overrides() -> None:
    try:
        listed = store.list_overrides()
    except AuditError as error:
        st.error(str(error), icon=":material/error:")
        return
    if listed.is_empty():
        return
    with st.expander(f"Your overrides ({listed.height})", icon=":material/edit_note:"):
        st.dataframe(listed.drop("note"), hide_index=True, width="stretch")
        labels = [f"{s}: {k}" for s, k in listed.select("scope", "key").iter_rows()]
        chosen = st.multiselect("Remove", labels, key="overrides_remove")
        if st.button("Remove selected", key="overrides_remove_button", disabled=not chosen):
            for label in chosen:
                scope, _, key = label.partition(": ")
                store.clear_override(**{"event_id" if scope == "event" else "series_id": key})
            say("events", "info", f"Removed {len(chosen)} override(s).")
            st.rerun()


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
                rules = [settings.rule_for_title(
                    row["title"],
                    domain=None if row["domain"] in (None, "unclassified") else row["domain"],
                    urgent=None if row["urgent"] is None else row["urgent"] == "yes",
                    important=None if row["important"] is None else row["important"] == "yes")
                    for row in chosen.iter_rows(named=True)]
                state.apply_settings(setup, [settings.AddRules(tuple(rules))])
            except AuditError as error:
                say("rules", "error", str(error))
            else:
                say("rules", "success", f"Added {len(rules)} rule(s) {where}.")
                st.rerun()
        show("rules")


# ------------------------------------------------------------------ export


def render_export(week: Week) -> None:
    st.subheader("Export for your manager", anchor=False)
    privacy = st.segmented_control(
        "Privacy", list(PRIVACY_LEVELS), default="standard", key="privacy", required=True,
        help="strict: the daily summary only · standard: your private life shows as "
             "\"Personal\", no locations · full: titles and locations. Descriptions never "
             "leave your machine.") or "standard"
    frames = export_frames(week.audit, privacy)
    stem = f"timeaudit-{week.period.start:%G-W%V}"
    buttons = st.columns(len(frames))
    for column, (name, frame) in zip(buttons, frames.items(), strict=True):
        column.download_button(f"Download {name}", csv_bytes(frame), file_name=f"{stem}-{name}",
                               mime="text/csv", key=f"download_{name}", on_click="ignore",
                               icon=":material/download:", width="stretch")
    st.caption("Exactly what your manager will see:")
    tabs = st.tabs(list(frames))
    for tab, (name, frame) in zip(tabs, frames.items(), strict=True):
        with tab:
            st.dataframe(frame, hide_index=True, width="stretch", key=f"preview_{name}")


__all__ = ["apply_pending_overrides", "render_boundaries", "render_events", "render_export",
           "render_focus", "render_header", "render_kpis", "render_patterns",
           "render_week_shape"]
