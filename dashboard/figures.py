"""The dashboard's numbers and drawable pieces, from an `audit.engine.Audit` (no Streamlit).

Every figure is derived from the engine's frames (`audit.report.day_table`, the
violations, focus and attributed pieces), so the dashboard shows exactly what the report
and the export say; this module only regroups (per week, per hour) and locates minutes on
a clock face for the timelines.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from audit.accounting import ATTRIBUTED_MINUTES, DATE, PIECE_END, PIECE_START, period_days
from audit.boundaries import VIOLATION_TYPES, daily_intervals
from audit.config import WEEKDAYS
from audit.domains import Domain
from audit.engine import Audit
from audit.focus import FOCUS_KINDS
from audit.intervals import END, START
from audit.learning import suggest_corrections
from audit.report import DOMAINS, QUADRANTS, day_table
from audit.trends import weekly_trend

OUTSIDE_TYPES = VIOLATION_TYPES[:3]  # the types that split work outside the windows (§7)
WEEK = "week"

# Columns of `weekly_figures`, in hours unless the name says otherwise.
FIGURE_COLUMNS = ("work", "life", "integrated", "unclassified", "meetings", "focus",
                  "working", "coverage", "violations", "outside_minutes")


def week_of(column: str, week_start: str) -> pl.Expr:
    """The first day of the (``week_start``-based) week that contains the date ``column``."""
    offset = (pl.col(column).dt.weekday() - 1 - WEEKDAYS.index(week_start)) % 7
    return (pl.col(column) - pl.duration(days=offset)).alias(WEEK)


def weekly_figures(audit: Audit) -> pl.DataFrame:
    """One row per week of the audit's period: the week-at-a-glance figures, and the
    engine's weekly trend (`audit.trends.weekly_trend`: focus, coverage — null without
    working time —, the target and its verdict, minutes per boundary type).

    A multi-week audit gives the same figures per week as one audit per week (every
    figure is a sum over local dates), which the tests check; the trend uses that.
    """
    week_start = audit.config.week_start
    days = day_table(audit).with_columns(week_of(DATE, week_start))
    per_week = days.group_by(WEEK).agg(
        *[(pl.col(d).sum() / 60).alias(d) for d in DOMAINS],
        (pl.col("meeting_minutes").sum() / 60).alias("meetings"),
    )
    violations = (
        audit.violations.with_columns(week_of(DATE, week_start))
        .group_by(WEEK)
        .agg(pl.len().cast(pl.Int64).alias("violations"))
    )
    trend = weekly_trend(audit).drop("days", "violation_minutes")
    return (
        per_week.join(trend, on=WEEK, how="left")
        .join(violations, on=WEEK, how="left")
        .with_columns(pl.col("violations").fill_null(0),
                      pl.col("outside_minutes").cast(pl.Float64))
        .select(WEEK, *FIGURE_COLUMNS, "focus_target", "target_met", *VIOLATION_TYPES)
        .sort(WEEK)
    )


# ------------------------------------------------------------------ the week's shape


def per_day(audit: Audit) -> pl.DataFrame:
    """Hours per local date and domain (long form): ``date, day, domain, hours``."""
    days = day_table(audit)
    return (
        days.select(DATE, *DOMAINS)
        .unpivot(index=DATE, variable_name="domain", value_name="minutes")
        .with_columns(_day_label(DATE), (pl.col("minutes") / 60).alias("hours"))
        .select(DATE, "day", "domain", "hours")
        .sort(DATE, "domain")
    )


def _day_label(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%a %d %b").alias("day")


def quadrants(audit: Audit, top: int = 3) -> pl.DataFrame:
    """Hours and share of counted time per quadrant, with its ``top`` titles by time."""
    pieces = audit.attributed
    total = float(pieces[ATTRIBUTED_MINUTES].sum() or 0.0)
    by_quadrant = pieces.group_by("quadrant").agg(pl.col(ATTRIBUTED_MINUTES).sum())
    titles = (
        pieces.group_by("quadrant", "title")
        .agg(pl.col(ATTRIBUTED_MINUTES).sum())
        .sort("quadrant", ATTRIBUTED_MINUTES, "title", descending=[False, True, False])
        .group_by("quadrant", maintain_order=True)
        .head(top)
        .group_by("quadrant", maintain_order=True)
        .agg(pl.format("{} · {} h", pl.col("title").str.slice(0, 34),
                       (pl.col(ATTRIBUTED_MINUTES) / 60).round(1)).alias("top"))
    )
    base = pl.DataFrame({"quadrant": list(QUADRANTS)})
    return (
        base.join(by_quadrant, on="quadrant", how="left")
        .join(titles, on="quadrant", how="left")
        .with_columns(
            (pl.col(ATTRIBUTED_MINUTES).fill_null(0.0) / 60).alias("hours"),
            (pl.col(ATTRIBUTED_MINUTES).fill_null(0.0) / total if total else pl.lit(0.0))
            .alias("share"),
            pl.col("top").fill_null([]),
        )
        .select("quadrant", "hours", "share", "top")
    )


# ------------------------------------------------------------------ clock positions


def _hours_since_midnight(instant: str, day: str, timezone: str) -> pl.Expr:
    """Wall-clock hours from local midnight of ``day`` to the instant (24 = next midnight)."""
    local = pl.col(instant).dt.convert_time_zone(timezone).dt.replace_time_zone(None)
    midnight = pl.col(day).cast(pl.Datetime("us"))
    return (local - midnight).dt.total_minutes() / 60


def _on_clock(frame: pl.DataFrame, timezone: str, start: str = START, end: str = END
              ) -> pl.DataFrame:
    return frame.with_columns(
        _day_label(DATE),
        _hours_since_midnight(start, DATE, timezone).alias("start_h"),
        _hours_since_midnight(end, DATE, timezone).alias("end_h"),
    )


def split_by_day(frame: pl.DataFrame, audit: Audit) -> pl.DataFrame:
    """Rows of ``frame`` (instants ``start``/``end``) cut at local midnight, with ``date``."""
    days = period_days(audit.period).collect().select(
        DATE, pl.col("day_start").alias("_ds"), pl.col("day_end").alias("_de"))
    return (
        frame.drop(DATE, strict=False).join(days, how="cross")
        .with_columns(pl.max_horizontal(START, "_ds").alias(START),
                      pl.min_horizontal(END, "_de").alias(END))
        .filter(pl.col(END) > pl.col(START))
        .drop("_ds", "_de")
    )


def timeline_pieces(audit: Audit) -> pl.DataFrame:
    """Counted time per local date on the clock: one bar per occurrence piece."""
    tz = audit.period.timezone
    pieces = audit.attributed.select(
        DATE, "event_id", "title", "calendar", "domain", "quadrant",
        pl.col(PIECE_START).alias(START), pl.col(PIECE_END).alias(END),
        (pl.col(ATTRIBUTED_MINUTES)).alias("minutes"),
    ).filter(pl.col(END) > pl.col(START))
    return _on_clock(pieces, tz).sort(DATE, START)


def working_bands(audit: Audit) -> pl.DataFrame:
    """The working windows on the clock (``date, day, start_h, end_h``)."""
    windows = audit.windows.filter(pl.col("working")).select(
        DATE, pl.col("window_start").alias(START), pl.col("window_end").alias(END))
    return _on_clock(windows, audit.period.timezone)


def protected_bands(audit: Audit) -> pl.DataFrame:
    """The protected blocks of the period on the clock, cut at midnight, with their name."""
    frames = [
        daily_intervals(audit.period, block.time, block.days).collect()
        .select(START, END).with_columns(pl.lit(block.name).alias("name"))
        for block in audit.config.boundaries.protected
    ]
    if not frames:
        return pl.DataFrame(schema={DATE: pl.Date, "name": pl.String, "day": pl.String,
                                    "start_h": pl.Float64, "end_h": pl.Float64})
    return _on_clock(split_by_day(pl.concat(frames), audit), audit.period.timezone) \
        .select(DATE, "name", "day", "start_h", "end_h")


def violation_segments(audit: Audit) -> pl.DataFrame:
    """Where the violations are (`Audit.violation_segments`), on the clock."""
    return _on_clock(audit.violation_segments(), audit.period.timezone)


def focus_segments(audit: Audit) -> pl.DataFrame:
    """The working windows cut into busy, focus, scheduled-focus and fragmented runs
    (`Audit.focus_segments`, SPEC §8), on the clock."""
    return _on_clock(audit.focus_segments(), audit.period.timezone)


def hourly_work(audit: Audit) -> pl.DataFrame:
    """Attributed work minutes per (week, weekday, hour of the day): the heat map."""
    pieces = timeline_pieces(audit).filter(pl.col("domain") == Domain.WORK)
    span = pl.col("end_h") - pl.col("start_h")
    hours = (
        pieces.filter(span > 0)
        .with_columns(
            (pl.col("minutes") / (span * 60)).alias("_rate"),
            pl.int_ranges(pl.col("start_h").floor().cast(pl.Int32),
                          pl.col("end_h").ceil().cast(pl.Int32)).alias("hour"),
        )
        .explode("hour")
        .with_columns(
            ((pl.min_horizontal("end_h", pl.col("hour") + 1)
              - pl.max_horizontal("start_h", pl.col("hour"))) * 60 * pl.col("_rate"))
            .alias("minutes"),
            pl.col(DATE).dt.weekday().alias("weekday"),
            week_of(DATE, audit.config.week_start),
        )
        .filter((pl.col("minutes") > 0) & (pl.col("hour") < 24))
    )
    return hours.group_by(WEEK, "weekday", "hour").agg(pl.col("minutes").sum()) \
        .sort(WEEK, "weekday", "hour")


# ------------------------------------------------------------------ tables


def _yes_no(column: str) -> pl.Expr:
    return (pl.when(pl.col(column)).then(pl.lit("yes"))
            .when(pl.col(column).not_()).then(pl.lit("no"))
            .otherwise(pl.lit(None, pl.String)).alias(column))


def events_table(audit: Audit) -> pl.DataFrame:
    """The classified occurrences of the period for the table and the override editor."""
    tz = audit.period.timezone
    local_start = pl.col("start").dt.convert_time_zone(tz)
    local_end = pl.col("end").dt.convert_time_zone(tz)
    return audit.minutes_per_event().select(
        "event_id", "series_id",
        local_start.dt.date().alias(DATE),
        local_start.dt.strftime("%a %d %b").alias("day"),
        pl.when(pl.col("all_day")).then(pl.lit("all day"))
        .otherwise(pl.format("{}–{}", local_start.dt.strftime("%H:%M"),
                             local_end.dt.strftime("%H:%M"))).alias("time"),
        "title", "calendar", "domain", _yes_no("urgent"), _yes_no("important"), "quadrant",
        (pl.col(ATTRIBUTED_MINUTES)).round(0).alias("minutes"),
        pl.col("count_reason").fill_null("counted").alias("counts"),
        "reason",
    )


def unclassified_titles(audit: Audit, limit: int = 8) -> pl.DataFrame:
    """The titles to ask the person about first: those whose correction settles the most
    unclassified or uncertain hours (`audit.learning.suggest_corrections`)."""
    return suggest_corrections(audit.minutes_per_event(), limit).select(
        "title", "occurrences", "hours", "domain", _yes_no("urgent"), _yes_no("important"))


def week_label(start: date, end: date) -> str:
    """ "Mon 9 – Sun 15 Nov 2026" for the dates [start, end)."""
    last = end - timedelta(days=1)
    first = f"{start:%a} {start.day}" + ("" if start.month == last.month else f" {start:%b}")
    if start.year != last.year:
        first += f" {start.year}"
    return f"{first} – {last:%a} {last.day} {last:%b %Y}"


__all__ = ["FIGURE_COLUMNS", "FOCUS_KINDS", "WEEK", "events_table", "focus_segments",
           "hourly_work", "per_day", "protected_bands", "quadrants",
           "timeline_pieces", "unclassified_titles", "violation_segments",
           "week_label", "week_of", "weekly_figures", "working_bands"]
