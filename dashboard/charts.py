"""Altair charts of the dashboard: pure functions from frames to charts (no Streamlit).

Colours carry meaning and stay the same everywhere: work blue, life green, integrated
purple, unclassified grey; violations red; focus green, fragmented time orange.

Each chart is split in two: a ``*_data`` function shapes the frames, the chart function
only encodes them. That lets `spec` build each chart's Vega-Lite spec once and, for
every later week, just attach the new frames (Altair spends 10–40 ms per layered chart
building and copying its objects, more than the whole week's audit for some charts).
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

import altair as alt
import polars as pl

from audit.config import WEEKDAYS

DOMAIN_COLORS = {"work": "#4E79A7", "life": "#59A14F", "integrated": "#B07AA1",
                 "unclassified": "#BAB0AC"}
QUADRANT_COLORS = {"do": "#E15759", "schedule": "#4E79A7", "delegate": "#F28E2B",
                   "eliminate": "#A0A0A0"}
FOCUS_COLORS = {"meetings and events": "#C9CED6", "focus time": "#8CD17D",
                "scheduled focus": "#2E7D32", "fragmented": "#F28E2B"}
VIOLATION = "#D62728"
WINDOW = "#DCE6F2"
PROTECTED = "#F1CE63"

_HOUR_LABEL = "datum.value < 10 ? '0' + datum.value + ':00' : datum.value + ':00'"
_BY_ORDER = alt.EncodingSortField(field="order", op="min")


# Below this plot width (a phone) legends wrap into two columns instead of being cut.
_NARROW = "width < 420"


def _top_legend() -> alt.Legend:
    return alt.Legend(orient="top", columns=alt.expr(f"{_NARROW} ? 2 : 8"), labelLimit=0)


def _scale(colors: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colors), range=list(colors.values()))


# ------------------------------------------------------------------ specs


_LOCK = threading.Lock()
_TEMPLATES: dict[Hashable, tuple[dict[str, Any], list[str | None]]] = {}


def _by_name(data: Any, *, names: dict[int, str], frames: dict[str, Any]) -> dict[str, str]:
    """Altair data transformer: refer to each frame by a name instead of inlining it."""
    if id(data) not in names:
        # not Vega-Lite's own `data_<n>` (the names of the sources it derives: a dataset
        # of that name fails the embed with "Duplicate data set name")
        names[id(data)] = f"timeaudit_{len(names)}"
        frames[names[id(data)]] = data
    return {"name": names[id(data)]}


alt.data_transformers.register("timeaudit_by_name", _by_name)


def spec(build: Callable[..., alt.TopLevelMixin], *frames: pl.DataFrame,
         **params: Hashable) -> dict[str, Any]:
    """The Vega-Lite spec of ``build(*frames, **params)``, with the frames as datasets.

    The spec is built once per (chart, params) and reused with new frames, so a chart
    function must use its frames as given (no derived frames). Altair's validation is
    skipped (the tests validate every chart) and so is its default fixed view size.
    """
    key = (build.__qualname__, tuple(sorted(params.items())))
    with _LOCK:
        template = _TEMPLATES.get(key)
        if template is None:
            names: dict[int, str] = {}
            found: dict[str, Any] = {}
            with alt.data_transformers.enable("timeaudit_by_name", names=names, frames=found):
                built = build(*frames, **params).to_dict(validate=False)
            built.get("config", {}).pop("view", None)
            # `height` is the plot's height; only the width follows the container
            # (Streamlit's default, "fit", would squeeze axes and titles into it).
            built.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
            order = [names.get(id(frame)) for frame in frames]
            if set(found) - set(order):
                raise ValueError(f"{key[0]} derives frames of its own; shape them in its "
                                 "*_data function")
            template = _TEMPLATES[key] = (built, order)
    built, order = template
    # The dataset names stay the same from week to week (``timeaudit_0``… of this chart;
    # each Vega view has datasets of its own, so charts may share names): Streamlit's
    # frontend then sees the same spec and swaps the rows into the chart already on the
    # page instead of embedding a new Vega view (a full re-embed of the page's ≈ 16
    # charts was most of a week switch in the browser). Streamlit's own Altair path names
    # datasets by a hash of their content, which re-embeds on every change of data.
    result = copy.deepcopy(built)
    result["datasets"] = {name: frame for name, frame in zip(order, frames, strict=True)
                          if name is not None}
    return result


# ------------------------------------------------------------------ the week


def with_order(frame: pl.DataFrame, first: date, column: str = "date") -> pl.DataFrame:
    """Add ``order``: the day's position in the week (0 = first day), for sorting."""
    return frame.with_columns((pl.col(column) - first).dt.total_days().alias("order"))


def per_day_chart(data: pl.DataFrame) -> alt.Chart:
    """Stacked hours per day and domain (``day, order, domain, hours``)."""
    return alt.Chart(data).mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        x=alt.X("day:N", sort=_BY_ORDER, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(hours):Q", title="hours", stack="zero"),
        color=alt.Color("domain:N", scale=_scale(DOMAIN_COLORS), title=None,
                        legend=_top_legend()),
        order=alt.Order("domain_order:Q"),
        tooltip=[alt.Tooltip("day:N"), alt.Tooltip("domain:N"),
                 alt.Tooltip("hours:Q", format=".2f")],
    ).transform_calculate(
        domain_order="indexof(['work','integrated','life','unclassified'], datum.domain)"
    ).properties(height=330, width="container")


_CELLS = {"do": ("Urgent", "Important", "Do", "urgent & important"),
          "schedule": ("Not urgent", "Important", "Schedule", "important, not urgent"),
          "delegate": ("Urgent", "Not important", "Delegate", "urgent, not important"),
          "eliminate": ("Not urgent", "Not important", "Eliminate", "neither")}


def matrix_data(quadrants: pl.DataFrame) -> pl.DataFrame:
    """`dashboard.figures.quadrants` placed on the 2×2, with the texts of each cell."""
    rows = []
    for row in quadrants.filter(pl.col("quadrant").is_in(list(_CELLS))).iter_rows(named=True):
        urgency, importance, name, meaning = _CELLS[row["quadrant"]]
        rows.append({
            "quadrant": row["quadrant"], "urgency": urgency, "importance": importance,
            "name": name, "meaning": meaning,
            "figure": f"{row['hours']:.1f} h · {row['share']:.0%}",
            "top": "\n".join(row["top"]) if row["top"] else "—",
            "hours": row["hours"], "share": row["share"],
        })
    return pl.DataFrame(rows)


def matrix_chart(data: pl.DataFrame) -> alt.LayerChart:
    """The Eisenhower matrix: hours, share and the top titles of each quadrant."""
    x = alt.X("urgency:N", sort=["Urgent", "Not urgent"], title=None,
              axis=alt.Axis(orient="top", labelFontSize=13, labelFontWeight="bold",
                            ticks=False, domain=False, labelPadding=6, labelAngle=0))
    y = alt.Y("importance:N", sort=["Important", "Not important"], title=None,
              axis=alt.Axis(labelFontSize=13, labelFontWeight="bold", ticks=False,
                            domain=False, labelAngle=-90, labelAlign="center",
                            labelBaseline="bottom", labelPadding=6))
    base = alt.Chart(data).encode(x=x, y=y)
    cells = base.mark_rect(stroke="white", strokeWidth=4, cornerRadius=6).encode(
        color=alt.Color("quadrant:N", scale=_scale(QUADRANT_COLORS), legend=None),
        opacity=alt.Opacity("share:Q", scale=alt.Scale(domain=[0, 1], range=[0.12, 0.55]),
                            legend=None),
        tooltip=[alt.Tooltip("name:N", title="quadrant"),
                 alt.Tooltip("hours:Q", format=".2f"),
                 alt.Tooltip("share:Q", format=".0%")],
    )
    # Texts stay inside their cell on a phone: smaller type and each line cut to the
    # cell's width (Vega's `limit`, with an ellipsis).
    inside = alt.expr("width / 2 - 14")
    name = base.mark_text(dy=-70, fontSize=13, fontWeight="bold", color="#333",
                          limit=inside).encode(text="name:N")
    meaning = base.mark_text(dy=-53, fontSize=11, color="#555", limit=inside).encode(
        text="meaning:N")
    figure = base.mark_text(dy=-28, fontSize=alt.expr(f"{_NARROW} ? 17 : 24"),
                            fontWeight="bold", color="#111", limit=inside).encode(
        text="figure:N")
    top = base.mark_text(dy=-6, fontSize=alt.expr(f"{_NARROW} ? 10 : 12"), color="#333",
                         lineBreak="\n", baseline="top", lineHeight=16,
                         limit=inside).encode(text="top:N")
    return alt.layer(cells, name, meaning, figure, top).properties(height=380, width="container")


# ------------------------------------------------------------------ timelines


def days_frame(days: list[date]) -> pl.DataFrame:
    """One row per day of the week (the rows of a timeline, empty days included)."""
    return with_order(pl.DataFrame({"date": days}, schema={"date": pl.Date}), days[0]) \
        .with_columns(pl.col("date").dt.strftime("%a %d %b").alias("day"),
                      pl.lit(0.0).alias("start_h"), pl.lit(24.0).alias("end_h"))


def _days_axis() -> alt.Y:
    return alt.Y("day:N", sort=_BY_ORDER, title=None,
                 axis=alt.Axis(labelFontSize=12, ticks=False, domain=False))


def _hours_axis(lo: float = 0, hi: float = 24, step: int = 2) -> alt.X:
    values = list(range(int(lo), int(hi) + 1, step))
    return alt.X("start_h:Q", scale=alt.Scale(domain=[lo, hi], nice=False), title=None,
                 axis=alt.Axis(values=values, labelExpr=_HOUR_LABEL, grid=True,
                               gridColor="#EEE", orient="top"))


def week_timeline_chart(days: pl.DataFrame, windows: pl.DataFrame, protected: pl.DataFrame,
                        pieces: pl.DataFrame, violations: pl.DataFrame) -> alt.LayerChart:
    """The week as a timeline: a row per day, the hours of the day across; working hours
    shaded, protected blocks yellow, events by domain, the violating parts in red. Every
    frame has ``day``, ``order``, ``start_h`` and ``end_h``."""
    y, x, x2 = _days_axis(), _hours_axis(), alt.X2("end_h:Q")
    layers = [
        alt.Chart(days).mark_bar(color="#FAFAFA", height={"band": 0.96}).encode(
            x=x, x2=x2, y=y),
        alt.Chart(windows).mark_bar(color=WINDOW, height={"band": 0.96}).encode(
            x=x, x2=x2, y=y, tooltip=[alt.Tooltip("day:N", title="working hours")]),
        alt.Chart(protected).mark_bar(color=PROTECTED, opacity=0.45,
                                      height={"band": 0.96}).encode(
            x=x, x2=x2, y=y, tooltip=[alt.Tooltip("name:N", title="protected"),
                                      alt.Tooltip("day:N")]),
        alt.Chart(pieces).mark_bar(height={"band": 0.62}, stroke="white", strokeWidth=0.8,
                                   cornerRadius=2).encode(
            x=x, x2=x2, y=y,
            color=alt.Color("domain:N", scale=_scale(DOMAIN_COLORS), title=None,
                            legend=_top_legend()),
            tooltip=[alt.Tooltip("title:N"), alt.Tooltip("calendar:N"),
                     alt.Tooltip("domain:N"), alt.Tooltip("quadrant:N"),
                     alt.Tooltip("minutes:Q", format=".0f", title="counted minutes")]),
        alt.Chart(violations).mark_bar(color=VIOLATION, height={"band": 0.22},
                                       cornerRadius=1).encode(
            x=x, x2=x2, y=y,
            tooltip=[alt.Tooltip("type:N", title="violation"), alt.Tooltip("title:N"),
                     alt.Tooltip("minutes:Q", format=".0f")]),
    ]
    return alt.layer(*layers).properties(height=46 * 7 + 30, width="container")


def focus_range(segments: pl.DataFrame) -> tuple[float, float]:
    """The hours the focus timeline spans: the working windows, to whole hours."""
    if segments.is_empty():
        return 8.0, 18.0
    lo, hi = float(segments["start_h"].min()), float(segments["end_h"].max())
    return max(0.0, float(math.floor(lo))), min(24.0, float(math.ceil(hi)))


def focus_timeline_chart(segments: pl.DataFrame, *, lo: float, hi: float,
                         rows: int) -> alt.Chart:
    """Each working window split into meetings, focus, scheduled focus and fragmented time."""
    return alt.Chart(segments).mark_bar(height={"band": 0.7}, stroke="white",
                                        strokeWidth=0.8).encode(
        x=_hours_axis(lo, hi, step=1), x2=alt.X2("end_h:Q"), y=_days_axis(),
        color=alt.Color("kind:N", scale=_scale(FOCUS_COLORS), title=None,
                        legend=_top_legend()),
        tooltip=[alt.Tooltip("day:N"), alt.Tooltip("kind:N"),
                 alt.Tooltip("minutes:Q", format=".0f")],
    ).properties(height=40 * max(rows, 1) + 30, width="container")


def bullet_data(*, focus: float, scheduled: float, fragmented: float, working: float,
                target: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    bars = pl.DataFrame({
        "what": ["working hours", "focus time", "of it scheduled"],
        "hours": [working, focus, scheduled],
        "size": [26, 16, 6],
        "color": ["#E8ECF2", FOCUS_COLORS["focus time"], FOCUS_COLORS["scheduled focus"]],
    })
    marker = pl.DataFrame({"hours": [target], "label": [f"target {target:g} h"],
                           "fragmented": [fragmented]})
    return bars, marker


def focus_bullet_chart(bars: pl.DataFrame, marker: pl.DataFrame) -> alt.LayerChart:
    """Focus hours against the weekly target, on the scale of the working hours."""
    x = alt.X("hours:Q", title="hours this week", scale=alt.Scale(zero=True), stack=None)
    layer = alt.Chart(bars).mark_bar().encode(
        x=x, size=alt.Size("size:Q", legend=None, scale=None),
        color=alt.Color("color:N", scale=None),
        tooltip=[alt.Tooltip("what:N"), alt.Tooltip("hours:Q", format=".2f")],
    )
    rule = alt.Chart(marker).mark_rule(color="#111", strokeWidth=3, size=34).encode(
        x="hours:Q", tooltip=[alt.Tooltip("label:N", title="focus"),
                              alt.Tooltip("fragmented:Q", format=".2f",
                                          title="fragmented hours")])
    label = alt.Chart(marker).mark_text(align="left", dx=6, dy=-14, fontSize=12).encode(
        x="hours:Q", text="label:N")
    return alt.layer(layer, rule, label).properties(height=44, width="container")


# ------------------------------------------------------------------ patterns


def heatmap_data(hourly: pl.DataFrame) -> pl.DataFrame:
    """Every (weekday, hour) cell, with the work minutes of ``hourly`` (0 where none)."""
    grid = pl.DataFrame({"weekday": [d for d in range(1, 8) for _ in range(24)],
                         "hour": [h for _ in range(7) for h in range(24)]},
                        schema={"weekday": pl.Int8, "hour": pl.Int64})
    labels = pl.DataFrame({"weekday": list(range(1, 8)),
                           "day": [d[:3].title() for d in WEEKDAYS]},
                          schema={"weekday": pl.Int8, "day": pl.String})
    minutes = hourly.select(pl.col("weekday").cast(pl.Int8), pl.col("hour").cast(pl.Int64),
                            "minutes")
    return (grid.join(minutes, on=["weekday", "hour"], how="left")
            .join(labels, on="weekday", how="left")
            .with_columns(pl.col("minutes").fill_null(0.0).round(1)))


def heatmap_chart(cells: pl.DataFrame, *, title: str) -> alt.Chart:
    """Work minutes per weekday and hour of the day (`heatmap_data`)."""
    return alt.Chart(cells).mark_rect(stroke="white", strokeWidth=1).encode(
        x=alt.X("hour:O", title="hour of the day", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("day:N", sort=[d[:3].title() for d in WEEKDAYS], title=None),
        color=alt.Color("minutes:Q", title="work min",  # an empty hour is (almost) white
                        scale=alt.Scale(domain=[0, 60], range=["#F7F9FC", "#08519C"])),
        tooltip=[alt.Tooltip("day:N"), alt.Tooltip("hour:O"),
                 alt.Tooltip("minutes:Q", format=".0f", title="work minutes")],
    ).properties(height=230, width="container", title=title)


def trend_data(figures: pl.DataFrame, chosen: date) -> pl.DataFrame:
    """`weekly_figures` rows with a label, the chosen week marked and the coverage the
    focus target would need."""
    return figures.sort("week").with_columns(
        pl.col("week").dt.strftime("%d %b").alias("label"),
        pl.int_range(pl.len()).alias("order"),
        (pl.col("week") == chosen).alias("chosen"),
        pl.when(pl.col("working") > 0)
        .then(pl.min_horizontal(pl.col("focus_target") / pl.col("working"), pl.lit(1.0)))
        .otherwise(None).alias("target_coverage"),
    )


def spark_data(trend: pl.DataFrame, column: str, scale: float = 1.0) -> pl.DataFrame:
    """One KPI across the weeks of `trend_data`: ``label``, ``order``, ``chosen``, ``value``."""
    return trend.select("label", "order", "chosen",
                        (pl.col(column) * scale).round(2).alias("value"))


def sparkline_chart(data: pl.DataFrame, *, unit: str) -> alt.Chart:
    """A KPI's last weeks as small neutral bars, the chosen week darker: the colour says
    which week it is, not whether the change was good (the badge says that)."""
    return alt.Chart(data).mark_bar(cornerRadiusTopLeft=1, cornerRadiusTopRight=1).encode(
        x=alt.X("label:N", sort=_BY_ORDER, axis=None),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=True)),
        color=alt.condition("datum.chosen", alt.value("#4A5568"), alt.value("#C3CAD5")),
        tooltip=[alt.Tooltip("label:N", title="week of"),
                 alt.Tooltip("value:Q", format=".1f", title=unit)],
    ).properties(height=44, width="container").configure_view(stroke=None)


def _count_axis(field: str, title: str) -> alt.Y:
    """A quantity axis that stays readable when every week is 0 (no "0.000000" ticks)."""
    return alt.Y(f"{field}:Q", title=title, axis=alt.Axis(tickMinStep=1, format="d"),
                 scale=alt.Scale(domainMin=0, nice=True))


def _week_axis() -> alt.X:
    return alt.X("label:N", sort=_BY_ORDER, title=None,
                 axis=alt.Axis(labelAngle=-50, labelOverlap=False, labelFontSize=10))


def trend_work_chart(data: pl.DataFrame) -> alt.Chart:
    return alt.Chart(data).mark_bar().encode(
        x=_week_axis(), y=_count_axis("work", "work hours"),
        color=alt.condition("datum.chosen", alt.value("#1F3B5C"), alt.value("#9DB3CE")),
        tooltip=[alt.Tooltip("label:N", title="week of"),
                 alt.Tooltip("work:Q", format=".1f", title="work hours")],
    ).properties(height=210, width="container", title="Work hours")


BOUNDARY_NAMES = {"non_working_day": "days off", "late_night": "late night",
                  "after_hours": "after hours", "protected_time": "protected time",
                  "no_meeting_day": "no-meeting day", "long_day": "long day"}


def boundary_trend_data(data: pl.DataFrame) -> pl.DataFrame:
    """`trend_data` in long form: one row per week and boundary type (the engine's
    minutes of `audit.trends.weekly_trend`)."""
    return (data.select("label", "order", "chosen", *BOUNDARY_NAMES)
            .unpivot(index=["label", "order", "chosen"], variable_name="type",
                     value_name="minutes")
            .with_columns(pl.col("type").replace_strict(BOUNDARY_NAMES).alias("name")))


def trend_boundaries_chart(long: pl.DataFrame) -> alt.LayerChart:
    """Minutes of each boundary type per week (`boundary_trend_data`): one row per type,
    so each type's trend reads across and none is stacked on another (the last three
    overlap the first three, SPEC §7)."""
    y = alt.Y("name:N", sort=list(BOUNDARY_NAMES.values()), title=None)
    cells = alt.Chart(long).mark_rect(stroke="white").encode(
        x=_week_axis(), y=y,
        color=alt.condition("datum.minutes > 0",
                            alt.Color("minutes:Q", scale=alt.Scale(scheme="reds"),
                                      legend=None),
                            alt.value("#F3F3F3")),
        tooltip=[alt.Tooltip("label:N", title="week of"), alt.Tooltip("name:N", title="type"),
                 alt.Tooltip("minutes:Q", format=".0f", title="work minutes")])
    text = alt.Chart(long).transform_filter("datum.minutes > 0").mark_text(fontSize=9).encode(
        x=_week_axis(), y=y, text=alt.Text("minutes:Q", format=".0f"))
    return alt.layer(cells, text).properties(height=210, width="container",
                                             title="Boundary minutes by type")


def trend_coverage_chart(data: pl.DataFrame) -> alt.LayerChart:
    """Focus coverage per week; a week without working time has none (a gap in the line
    and "days off" under it), not 0 %."""
    line = alt.Chart(data).mark_line(point=True, color="#2E7D32",
                                     invalid="break-paths-show-domains").encode(
        x=_week_axis(), y=alt.Y("coverage:Q", title="share of working time",
                                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("label:N", title="week of"),
                 alt.Tooltip("coverage:Q", format=".0%"),
                 alt.Tooltip("focus:Q", format=".1f", title="focus hours")],
    )
    target = alt.Chart(data).mark_line(strokeDash=[4, 4], color="#555").encode(
        x=_week_axis(), y="target_coverage:Q",
        tooltip=[alt.Tooltip("target_coverage:Q", format=".0%", title="target needs")])
    off = alt.Chart(data).transform_filter("datum.coverage === null").mark_text(
        angle=270, align="left", color="#888", fontSize=10, text="days off").encode(
        x=_week_axis(), y=alt.datum(0.03))
    return alt.layer(target, line, off).properties(height=210, width="container",
                                                   title="Focus coverage (dashed: target)")


TREND_CHARTS = (trend_work_chart, trend_boundaries_chart, trend_coverage_chart)


def trend_frames(data: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """The frame each of `TREND_CHARTS` draws, from `trend_data`."""
    return data, boundary_trend_data(data), data
