"""The main page's views: one ``render_*`` function per section, fed by `dashboard.data`."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from audit import config_edit
from audit.classify import calendar_defaults
from audit.export import PRIVACY_LEVELS, csv_bytes, export_frames
from core import clock
from core.errors import AuditError
from dashboard import figures, labels, state, zone
from dashboard.data import Week, derived
from dashboard.state import Setup, say


def _charts() -> ModuleType:
    """`dashboard.charts`, imported by the first chart or chart frame: it imports Altair
    (≈ 0.3 s of a cold server), which the week's numbers, drawn first, do not need (issue 16)."""
    from dashboard import charts  # noqa: PLC0415 - see the docstring

    return charts


def chart(key: str, build: Callable[..., Any], *frames: pl.DataFrame, **params: Any) -> None:
    """Show the Altair chart ``build(*frames, **params)`` (see `charts.spec`)."""
    st.vega_lite_chart(_charts().spec(build, *frames, **params), width="stretch", key=key)


_CLOCK = ["day", "order", "start_h", "end_h"]


# ------------------------------------------------------------------ header


def render_header(setup: Setup, week: Week) -> None:
    st.title("timeaudit", anchor=False)
    what = "Sample calendars" if setup.sample else f"{len(setup.sources)} calendars"
    st.caption(f"**{figures.week_label(week.period.start, week.period.end)}** · "
               f"{week.period.timezone} · {what} · "
               f"{week.audit.events.height} occurrences this week")
    zone.render_zone_prompt(setup)


def render_read_notes(week: Week) -> None:
    """What reading the calendars reported: a source that failed, and the notes (skipped
    or repaired events). The header's part after the numbers: `dashboard.app` draws it
    there, since the trend's earlier quarter may be read after them (`load_week`)."""
    for error in week.errors:
        st.error(error, icon=":material/error:")
    if week.warnings:
        with st.expander(f"Notes on reading the calendars ({len(week.warnings)})",
                         icon=":material/info:"):
            for note in week.warnings:
                st.caption(note)


def inferred_defaults(week: Week) -> pl.DataFrame:
    """The calendars whose inferred domain is not (yet) their configured default."""
    return calendar_defaults(week.audit.events, week.audit.config).filter(
        pl.col("domain").is_not_null() & (pl.col("configured").is_null()
                                          | (pl.col("configured") != pl.col("domain"))))


def render_calendar_defaults(setup: Setup, week: Week) -> None:
    """What each calendar looks like to timeaudit, with the evidence; one click makes the
    inferred domain the calendar's default (the sidebar changes it). The header's last
    part: `dashboard.app` draws it into the header after the week's numbers."""
    found = derived(week, inferred_defaults)
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
                    state.apply_settings(setup, [config_edit.calendar_domain_edit(
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


def render_kpis(week: Week) -> Callable[[], None]:
    """Week at a glance: seven figures, each with its change against the previous week
    and its last weeks as a small neutral bar chart.

    Draws the seven metrics and returns the function that draws the sparklines into their
    boxes: `dashboard.app` calls it a little later, so that the browser gets the numbers
    on their own (a chart costs it far more to draw than a metric). Each sparkline is the
    KPI's own column of `sparkline_frames`, named by the KPI's key."""
    st.subheader("Week at a glance", anchor=False)
    now, before = week.current, week.previous
    vs = "vs last week"
    sparks: list[tuple[Any, str, str]] = []  # (box, key, unit)

    def change(name: str) -> float | None:
        return now[name] - before[name] if before else None

    def kpi(column: Any, key: str, label: str, value: str, delta: str | int | None, *,
            colour: str, help_text: str, unit: str) -> None:
        box = column.container(border=True, key=f"kpi_{key}")
        box.metric(label, value, delta, delta_color=colour, help=help_text,
                   delta_description=None if delta is None else vs)
        sparks.append((box, key, unit))

    with st.container(key="kpis"):
        first, second = st.columns(4), st.columns(3)
        for column, (domain, colour) in zip(
                first, (("work", "off"), ("life", "normal"), ("integrated", "normal")),
                strict=False):
            kpi(column, domain, f"{domain.title()} hours", f"{now[domain]:.1f} h",
                _delta(change(domain), " h"), colour=colour, unit="hours",
                help_text=f"Counted {domain} time (SPEC §6).")
        # What timeaudit could not classify is a figure, not a silent gap.
        counted = sum(now[d] for d in ("work", "life", "integrated", "unclassified"))
        share = now["unclassified"] / counted if counted else 0.0
        kpi(first[3], "unclassified", "Unclassified",
            f"{now['unclassified']:.1f} h · {share:.0%}", _delta(change("unclassified"), " h"),
            colour="inverse", unit="hours",
            help_text="Counted time whose domain nothing decided: classify the top titles "
                      "under Events to settle it.")
        target = now["focus_target"]
        coverage = now["coverage"]  # null: no working time this week (issue 14)
        coverage_change = (None if coverage is None or not before
                           or before["coverage"] is None else coverage - before["coverage"])
        kpi(second[0], "coverage", "Focus coverage",
            "—" if coverage is None else f"{coverage:.0%}",
            _delta(None if coverage_change is None else coverage_change * 100, " pp", 0),
            colour="normal", unit="% of working time",
            help_text="No working time this week (days off): no focus target."
            if coverage is None else
            f"{now['focus']:.1f} h of focus time in {now['working']:.1f} working "
            f"hours; target {target:g} h a week: "
            f"{'met' if now['target_met'] else 'not met'}.")
        violations = change("violations")
        kpi(second[1], "violations", "Boundary violations", f"{now['violations']:d}",
            None if violations is None else int(violations), colour="inverse",
            unit="violations",
            help_text=f"{now['outside_minutes']:.0f} min of work outside working hours; "
                      "details under Boundaries.")
        kpi(second[2], "meetings", "Meeting hours", f"{now['meetings']:.1f} h",
            _delta(change("meetings"), " h"), colour="inverse",
            unit="hours", help_text="Counted time with at least one other person.")
    render_planned_note(week)

    def draw_sparklines() -> None:
        frames = derived(week, sparkline_frames)
        for box, key, unit in sparks:
            with box:
                chart(f"spark_{key}", _charts().sparkline_chart, frames[key], unit=unit)

    return draw_sparklines


# each KPI's key and the factor its sparkline shows the trend's values by (coverage in %)
SPARK_SCALES = {"work": 1.0, "life": 1.0, "integrated": 1.0, "unclassified": 1.0,
                "coverage": 100.0, "violations": 1.0, "meetings": 1.0}


def sparkline_frames(week: Week) -> dict[str, pl.DataFrame]:
    """Each KPI's last weeks, as its sparkline shows them."""
    trend = _charts().trend_data(week.trend, week.period.start)
    return {name: _charts().spark_data(trend, name, scale) for name, scale in SPARK_SCALES.items()}


def render_planned_note(week: Week) -> None:
    """Say so when the week is not over: its figures include what is still planned."""
    now = clock.now()
    lo, hi = week.period.utc_bounds()
    if not lo <= now < hi:
        return
    ahead = week.audit.events.filter(pl.col("counted") & (pl.col("start") > now)).height
    local = now.astimezone(ZoneInfo(week.period.timezone))
    st.caption(f"This week is not over: the figures count what happened until "
               f"{local:%a %H:%M} and {ahead} planned event{'s' if ahead != 1 else ''} "
               "still ahead, as if they take place.", help="Planned events count like "
               "past ones (SPEC §6); look again next week for what really happened.")


# ------------------------------------------------------------------ where the time went


def render_week_shape(week: Week) -> None:
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader("Work, life, integrated per day", anchor=False)
        chart("per_day", _charts().per_day_chart, derived(week, per_day_frame))
    with right, st.container(key="matrix"):
        st.subheader("Eisenhower matrix", anchor=False)
        quadrants, matrix = derived(week, quadrant_frames)
        chart("matrix_chart", _charts().matrix_chart, matrix)
        unknown = quadrants.filter(pl.col("quadrant") == "unclassified").row(0, named=True)
        if unknown["hours"] > 0:
            st.caption(f"Not in the matrix: {unknown['hours']:.1f} h "
                       f"({unknown['share']:.0%}) unclassified, where urgency or importance "
                       "is unknown — classify them under Events.")


def per_day_frame(week: Week) -> pl.DataFrame:
    return _charts().with_order(figures.per_day(week.audit).with_columns(
        pl.col("date").dt.strftime("%a %-d").alias("day")), week.period.start)


def quadrant_frames(week: Week) -> tuple[pl.DataFrame, pl.DataFrame]:
    quadrants = figures.quadrants(week.audit)
    return quadrants, _charts().matrix_data(quadrants)


# ------------------------------------------------------------------ boundaries


def render_boundaries(week: Week) -> None:
    st.subheader("Boundaries", anchor=False)
    audit = week.audit
    st.caption("Each row is a day, hours of the day across. Blue band: working hours; "
               "yellow: protected time; red: the part of work that crossed a boundary. "
               "Long days are whole days, so they are in the table below.")
    chart("timeline", _charts().week_timeline_chart, *derived(week, timeline_frames))
    violations = audit.violations
    if violations.is_empty():
        st.success("No boundary violations this week.", icon=":material/verified:")
        return
    summary, rows = derived(week, violation_tables)
    st.caption(labels.overlap_note())
    st.dataframe(summary, hide_index=True, width=560,
                 key="violations_by_type",
                 column_config={"Boundary": st.column_config.TextColumn(width=210),
                                "Minutes": st.column_config.NumberColumn(format="%d min",
                                                                         width=90),
                                "Times": st.column_config.NumberColumn(width=70),
                                "Counted": st.column_config.TextColumn(width=110)})
    st.dataframe(
        rows, hide_index=True, width="stretch", key="violations_table",
        column_config={"Day": st.column_config.DateColumn(format="ddd D MMM", width=100),
                       "Boundary": st.column_config.TextColumn(width=190),
                       "Minutes": st.column_config.NumberColumn(format="%d", width=75),
                       "What": st.column_config.TextColumn(width=380),
                       "Calendar": st.column_config.TextColumn(width=110)})


def timeline_frames(week: Week) -> tuple[pl.DataFrame, ...]:
    """The frames of the week's timeline chart: days, working hours, protected time, the
    counted pieces of each event and the violations."""
    audit, first = week.audit, week.period.start
    return (_charts().days_frame(week.period.days).select(_CLOCK),
            _charts().with_order(figures.working_bands(audit), first).select(_CLOCK),
            _charts().with_order(figures.protected_bands(audit), first).select(*_CLOCK, "name"),
            _charts().with_order(figures.timeline_pieces(audit), first).select(
                *_CLOCK, "title", "calendar", "domain", "quadrant", "minutes"),
            _charts().with_order(figures.violation_segments(audit), first).select(
                *_CLOCK, labels.violation_label(), "title", "minutes"))


def violation_tables(week: Week) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The violations per boundary, and one by one."""
    violations = week.audit.violations
    return (violation_summary(violations),
            violation_rows(violations, week.audit.config.boundaries.max_workday_hours))


def violation_summary(violations: pl.DataFrame) -> pl.DataFrame:
    """Minutes and how often, per boundary, with how it adds up (SPEC §7)."""
    return (violations.group_by("type").agg(pl.col("minutes").sum().round(0),
                                            pl.len().alias("Times"))
            .sort("minutes", "type", descending=[True, False])
            .select(labels.violation_label().alias("Boundary"),
                    pl.col("minutes").alias("Minutes"), "Times",
                    pl.when(pl.col("type").cast(pl.String).is_in(labels.EXTRA_TYPES))
                    .then(pl.lit("in addition")).otherwise(pl.lit("split"))
                    .alias("Counted")))


def violation_rows(violations: pl.DataFrame, max_hours: float) -> pl.DataFrame:
    """One row per violation, in words: a long day is the day, not the event that
    happened to end it."""
    long_day = pl.col("type").cast(pl.String) == "long_day"
    span = ((pl.col("minutes") + max_hours * 60) / 60).round(1)
    what = (pl.when(long_day)
            .then(pl.format("The whole day: {} h from first to last work (limit {} h)",
                            span, pl.lit(f"{max_hours:g}")))
            .otherwise(pl.col("title").fill_null(labels.UNKNOWN)))
    return violations.sort("date", "type").select(
        pl.col("date").alias("Day"), labels.violation_label().alias("Boundary"),
        pl.col("minutes").round(0).alias("Minutes"), what.alias("What"),
        pl.when(long_day).then(pl.lit("")).otherwise(pl.col("calendar").fill_null(""))
        .alias("Calendar"))


# ------------------------------------------------------------------ focus


def render_focus(week: Week) -> None:
    st.subheader("Focus", anchor=False)
    report, scheduled, fragmented, segments = derived(week, focus_figures)
    target = report["focus_target"]
    if report["coverage"] is None:
        st.info("No working time this week (days off): no focus coverage and no target to "
                "meet.", icon=":material/beach_access:")
        return
    gap = target - report["focus"]
    verdict = (f"target of {target:g} h met" if gap <= 0
               else f"{gap:.1f} h short of the {target:g} h target")
    st.markdown(f"**{report['focus']:.1f} h** of focus time in {report['working']:.1f} working "
                f"hours (**{report['coverage']:.0%}**), {verdict}; {scheduled:.1f} h of it "
                f"you scheduled as focus blocks. Not counted as focus: {fragmented:.1f} h of "
                f"free working time broken into stretches shorter than "
                f"{week.audit.config.focus.min_block_minutes} min.")
    chart("focus_bullet", _charts().focus_bullet_chart, *_charts().bullet_data(
        focus=report["focus"], scheduled=scheduled, fragmented=fragmented,
        working=report["working"], target=target))
    if segments.height:
        lo, hi = _charts().focus_range(segments)
        chart("focus_timeline", _charts().focus_timeline_chart, segments, lo=lo, hi=hi,
              rows=segments["day"].n_unique())
    else:
        st.info("No working hours this week, so no focus time to find.")


def focus_figures(week: Week) -> tuple[dict, float, float, pl.DataFrame]:
    """The week's focus figures, the hours scheduled as focus and the fragmented hours, and
    the focus timeline's segments."""
    report = figures.weekly_figures(week.audit).row(0, named=True)
    focus = week.audit.focus
    segments = _charts().with_order(figures.focus_segments(week.audit), week.period.start) \
        .select(*_CLOCK, "kind", "minutes")
    return (report, float(focus["protected_focus_minutes"].sum()) / 60,
            float(focus["fragmented_minutes"].sum()) / 60, segments)


# ------------------------------------------------------------------ patterns


HEAT_SPAN, THIS_WEEK, AVERAGE = "heat_span", "This week", "12-week average"


def heatmap_frame(week: Week, span: str) -> pl.DataFrame:
    """The heat map's cells: this week's work minutes per hour, or the average week's."""
    hourly = week.hourly_frame()
    if span == AVERAGE:
        weeks = max(week.trend.height, 1)
        return _charts().heatmap_data(
            hourly.group_by("weekday", "hour").agg(pl.col("minutes").sum() / weeks))
    return _charts().heatmap_data(hourly.filter(pl.col("week") == week.period.start))


def trend_frames(week: Week) -> tuple[pl.DataFrame, ...]:
    return tuple(_charts().trend_frames(_charts().trend_data(week.trend, week.period.start)))


def render_patterns(week: Week) -> None:
    st.subheader("Patterns", anchor=False)
    span = st.segmented_control("Heat map of work time", [THIS_WEEK, AVERAGE],
                                required=True,
                                default=THIS_WEEK, key=HEAT_SPAN)
    if span == AVERAGE:
        title = f"Average work minutes per hour over {max(week.trend.height, 1)} weeks"
    else:
        title = "Work minutes per hour this week"
    chart("heatmap", _charts().heatmap_chart, derived(week, heatmap_frame, span), title=title)
    st.markdown(f"**The last {week.trend.height} weeks**")
    frames = derived(week, trend_frames)
    for index, (column, build, frame) in enumerate(zip(st.columns(3), _charts().TREND_CHARTS,
                                                        frames, strict=True)):
        with column:
            chart(f"trend_{index}", build, frame)


# ------------------------------------------------------------------ export


def render_export(week: Week) -> None:
    st.subheader("Export for your manager", anchor=False)
    privacy = st.segmented_control(
        "Privacy", list(PRIVACY_LEVELS), default="standard", key="privacy", required=True,
        help="strict: the daily summary only · standard: your private life shows as "
             "\"Personal\", no locations · full: titles and locations. Descriptions never "
             "leave your machine.") or "standard"
    frames, files = derived(week, export_files, privacy)
    stem = f"timeaudit-{week.period.start:%G-W%V}"
    buttons = st.columns(len(frames))
    for column, (name, data) in zip(buttons, files.items(), strict=True):
        column.download_button(f"Download {name}", data, file_name=f"{stem}-{name}",
                               mime="text/csv", key=f"download_{name}", on_click="ignore",
                               icon=":material/download:", width="stretch")
    st.caption("Exactly what your manager will see:")
    tabs = st.tabs(list(frames))
    for tab, (name, frame) in zip(tabs, frames.items(), strict=True):
        with tab:
            st.dataframe(frame, hide_index=True, width="stretch", key=f"preview_{name}")


def export_files(week: Week, privacy: str) -> tuple[dict[str, pl.DataFrame], dict[str, bytes]]:
    """The export's frames at ``privacy`` and their CSV files."""
    frames = export_frames(week.audit, privacy, previous=week.previous_audit)
    return frames, {name: csv_bytes(frame) for name, frame in frames.items()}


__all__ = ["render_boundaries", "render_export", "render_focus", "render_header",
           "render_kpis", "render_patterns", "render_week_shape"]
