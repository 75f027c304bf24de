"""What the one-page report says (issue 14), apart from how it is drawn.

`build_page` turns the report of `audit.report.build_report` into a `Page`: sections of
sentences, tables and charts. `audit.html_report` writes it as HTML with inline SVG and
`audit.pdf_report` as PDF, so both show the same figures with the same redaction, and
nothing is recomputed. A chart is a list of shapes on a canvas of fixed size (`Chart`),
which either renderer scales:

    (0,0) ─────────── width
      │   Rect  Line  Text  Dot      y grows downwards, as in SVG
    height

Redaction follows the CSV export of `audit.export` at the same privacy level:

* **strict** — figures only: no event title anywhere (no violation list, no cut list,
  no people);
* **standard** — violation rows as ``violations.csv`` has them, and each series named as
  ``events.csv`` names its latest occurrence (so a private series reads "Personal");
  the people and domains of meetings only when asked for (``with_people``);
* **full** — titles as they are; people and domains included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from audit.engine import Audit
from audit.export import PRIVACY_LEVELS, events_frame, violations_frame
from audit.report import build_report

MOST_ITEMS = 10
COLOURS = {"work": "#3b6ea8", "life": "#5aa05a", "integrated": "#d39b2a",
           "unclassified": "#9a9a9a", "focus": "#7b4fa8", "target": "#222222",
           "boundary": "#c0504d", "axis": "#888888", "text": "#222222"}
TYPE_NAMES = {"non_working_day": "work on days off", "late_night": "late-night work",
              "after_hours": "work after hours", "protected_time": "work in protected time",
              "no_meeting_day": "meetings on no-meeting days",
              "long_day": "long day (over the limit)"}
DOMAIN_KEYS = ("work", "life", "integrated", "unclassified")
OUTSIDE = ("after_hours", "late_night", "non_working_day")


# ------------------------------------------------------------------ shapes and blocks


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    dashed: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = 10
    anchor: str = "start"  # start | middle | end


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    fill: str


Shape = Rect | Line | Text | Dot


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    shapes: tuple[Shape, ...]
    label: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]  # all empty: no header row
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Legend:
    items: tuple[tuple[str, str], ...]  # (colour, text)


Block = str | Chart | Table | Legend | tuple[str, ...]  # a paragraph, …, bullet points


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Page:
    title: str
    meta: str
    sections: list[Section]


# ------------------------------------------------------------------ numbers as words


def hours_text(hours: float) -> str:
    """``6.5 h``, ``4 h`` (one decimal, none when it is .0), as issue 14 writes them."""
    text = f"{hours:.1f}"
    return f"{text.removesuffix('.0')} h"


def percent_text(share: float) -> str:
    return f"{share * 100:.0f} %"


def signed_hours(hours: float) -> str:
    return ("+" if hours > 0 else "−" if hours < 0 else "±") + hours_text(abs(hours))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def summary_sentences(report: dict[str, Any]) -> list[str]:
    """The plain-language summary, written from the report's figures, in the style of
    issue 14: "3 evenings past 20:00, 6.5 h in total; focus 4 h of a 10 h target; 62 % of
    meeting time in 4 recurring series"."""
    focus, violations, meetings = report["focus"], report["violations"], report["meetings"]
    by_type = violations["minutes_by_type"]
    outside_minutes = sum(by_type[t] for t in OUTSIDE)
    workdays = {i["date"] for i in violations["items"] if i["type"] in OUTSIDE[:2]}
    days_off = {i["date"] for i in violations["items"] if i["type"] == "non_working_day"}
    if outside_minutes:
        where = [_plural(len(workdays), "workday") if workdays else "",
                 _plural(len(days_off), "day") + " off" if days_off else ""]
        days = " and ".join(w for w in where if w)
        first = (f"Work outside working hours on {days}, "
                 f"{hours_text(outside_minutes / 60)} in total" if days else
                 f"Work outside working hours: {hours_text(outside_minutes / 60)} in total")
    else:
        first = "No work outside working hours"
    if focus["coverage"] is None:
        second = "no working time (days off), so no focus target"
    else:
        verdict = "met" if focus["target_met"] else "missed"
        second = (f"focus {hours_text(focus['hours'])} of a "
                  f"{hours_text(focus['target_hours'])} target ({verdict}, "
                  f"{percent_text(focus['coverage'])} of working time)")
    parts = [first, second]
    if meetings["count"]:
        series = meetings["series"]
        share = sum(s["hours"] for s in series) / meetings["hours"] if meetings["hours"] else 0
        parts.append(f"{percent_text(share)} of meeting time in "
                     f"{len(series)} recurring series")
    sentences = ["; ".join(parts) + "."]
    if meetings["count"]:
        b2b = meetings["back_to_back"]["count"]
        sentences.append(f"{_plural(meetings['count'], 'meeting')}, "
                         f"{hours_text(meetings['hours'])}; {b2b} back-to-back.")
    if "previous" in report:
        before, change = report["previous"], report["change"]
        outside_change = sum(change["minutes_by_type"][t] for t in OUTSIDE) / 60
        changes = [f"meetings {signed_hours(change['meetings'])}",
                   f"outside working hours {signed_hours(outside_change)}",
                   f"focus {signed_hours(change['focus'])}"]
        sentences.append(f"Against the previous period ({period_name(before)}): "
                         + ", ".join(changes) + ".")
    missed = [g for g in report["goals"] if not g["met"]]
    if missed:
        sentences.append("Budgets missed: " + ", ".join(
            f"{g['goal'].replace('_', ' ')} ({g['actual']:g} of {g['limit']:g} {g['unit']})"
            for g in missed) + ".")
    return sentences


# ------------------------------------------------------------------ charts


def week_shape_chart(days: list[dict[str, Any]]) -> Chart:
    """Stacked bars per day: hours of work, life, integrated and unclassified time."""
    width, height, top, bottom = 640, 170, 10, 30
    largest = max([sum(d[k] for k in DOMAIN_KEYS) for d in days] + [1.0])
    slot = (width - 40) / max(len(days), 1)
    shapes: list[Shape] = [Line(36, height - bottom, width, height - bottom, COLOURS["axis"]),
                           Text(0, top + 8, f"{largest:.0f} h", 10)]
    for i, day in enumerate(days):
        x, y = 40 + i * slot, height - bottom
        for key in DOMAIN_KEYS:
            size = day[key] / largest * (height - top - bottom)
            if size > 0:
                y -= size
                shapes.append(Rect(x + 1, y, slot - 2, size, COLOURS[key],
                                   f"{day['date']} {key} {day[key]:.2f} h"))
        if len(days) <= 31 and (len(days) <= 14 or i % 7 == 0):
            shapes.append(Text(x + slot / 2, height - 14, day["date"][5:], 9, "middle"))
    return Chart(width, height, tuple(shapes), "hours per day by domain")


def bars_chart(rows: list[tuple[str, float]], unit: str, colour: str,
               marker: float | None = None, label: str = "bars") -> Chart:
    """Horizontal bars with labels; ``marker`` draws a dashed target line."""
    width, bar, label_width = 640, 18, 230
    largest = max([v for _, v in rows] + [marker or 0.0, 1e-9])
    height = len(rows) * (bar + 6) + 6
    shapes: list[Shape] = []
    for i, (name, value) in enumerate(rows):
        y = 4 + i * (bar + 6)
        size = value / largest * (width - label_width - 70)
        shapes += [Text(label_width - 6, y + 13, name[:38], 11, "end"),
                   Rect(label_width, y, size, bar, colour),
                   Text(label_width + size + 4, y + 13, f"{value:g} {unit}", 11)]
    if marker:
        x = label_width + marker / largest * (width - label_width - 70)
        shapes.append(Line(x, 0, x, height, COLOURS["target"], dashed=True))
    return Chart(width, height, tuple(shapes), label)


def trend_chart(groups: list[dict[str, Any]]) -> Chart:
    """Counted hours (bars) and focus hours (dots; none without working time) per group."""
    width, height, bottom = 640, 150, 30
    largest = max([g["hours"] for g in groups] + [g["focus"]["hours"] for g in groups] + [1.0])
    slot = (width - 40) / max(len(groups), 1)
    scale = (height - bottom - 10) / largest
    shapes: list[Shape] = [Line(36, height - bottom, width, height - bottom, COLOURS["axis"]),
                           Text(0, 18, f"{largest:.0f} h", 10)]
    for i, group in enumerate(groups):
        x = 40 + i * slot
        size = group["hours"] * scale
        shapes.append(Rect(x + 2, height - bottom - size, slot - 4, size, COLOURS["work"]))
        if group["focus"]["coverage"] is not None:
            shapes.append(Dot(x + slot / 2, height - bottom - group["focus"]["hours"] * scale,
                              6, COLOURS["target"]))
        else:
            shapes.append(Text(x + slot / 2, height - bottom - 4, "days off", 8, "middle"))
        shapes.append(Text(x + slot / 2, height - 14, group["label"], 9, "middle"))
    return Chart(width, height, tuple(shapes), "hours and focus per group")


# ------------------------------------------------------------------ the page


def _series_titles(audit: Audit, privacy: str) -> dict[str, str]:
    """series_id → the title ``events.csv`` shows for its latest occurrence."""
    shown = events_frame(audit, privacy).get_column("title")
    frame = audit.minutes_per_event().select("series_id", "start").with_columns(shown)
    return dict(frame.filter(pl.col("series_id").is_not_null()).sort("start")
                .group_by("series_id").agg(pl.col("title").last()).iter_rows())


def _cells(*values: object) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _comparison(report: dict[str, Any]) -> Section:
    before, change = report["previous"], report["change"]
    focus = report["focus"]

    def row(name: str, then: float | None, diff: float | None, unit: str,
            now: float | None = None, percent: bool = False) -> tuple[str, ...]:
        if then is not None and diff is not None:
            now = round(then + diff, 2)

        def show(value: float | None, signed: bool = False) -> str:
            if value is None:
                return "—"
            if percent:
                return f"{value * 100:+.0f} pp" if signed else percent_text(value)
            return f"{value:+g} {unit}" if signed else f"{value:g} {unit}"
        return name, show(now), show(then), show(diff, signed=True)

    outside_then = sum(before["minutes_by_type"][t] for t in OUTSIDE)
    outside_change = sum(change["minutes_by_type"][t] for t in OUTSIDE)
    rows = [row("counted hours", before["hours"], change["hours"], "h"),
            row("work hours", before["by_domain"]["work"], change["by_domain"]["work"], "h"),
            row("meeting hours", before["meetings"], change["meetings"], "h"),
            row("focus hours", before["focus"]["hours"], change["focus"], "h"),
            row("focus coverage", before["focus"]["coverage"], change["coverage"], "",
                now=focus["coverage"], percent=True),
            row("work outside working hours", outside_then, outside_change, "min"),
            row("boundary minutes, all types", before["violation_minutes"],
                change["violation_minutes"], "min")]
    dates = days_text(before["from"], before["to"])
    name = period_name(before) if " to " in before["label"] else f"{before['label']}: {dates}"
    return Section(f"Against the previous period ({name})",
                   [Table(("", "this period", "previous", "change"), tuple(rows))])


def days_text(start: str, end: str) -> str:
    """The days of a period for a reader without the tool: first to last day, both
    included (the report's ``to`` is the day after: ``2026-11-16``, ``2026-11-23`` →
    ``2026-11-16 – 2026-11-22``)."""
    last = (date.fromisoformat(end) - timedelta(days=1)).isoformat()
    return start if last <= start else f"{start} – {last}"


def period_name(period: dict[str, Any]) -> str:
    """A ``previous`` period's name on the page: ``2026-W46``, ``2026-10``, or its days
    (`days_text`) when it has no shorter name."""
    label = period["label"]
    return days_text(period["from"], period["to"]) if " to " in label else label


def build_page(audit: Audit, privacy: str = "standard", *, by: str | None = None,
               with_people: bool = False, previous: Audit | None = None) -> Page:
    """The one-page report of ``audit`` at ``privacy`` (see the module docstring)."""
    if privacy not in PRIVACY_LEVELS:
        raise ValueError(privacy)
    report = build_report(audit, by, previous)
    period, hours, focus = report["period"], report["hours"], report["focus"]
    meetings, goals = report["meetings"], report["goals"]
    sections = [
        Section("Summary", [tuple(summary_sentences(report))]),
        Section("The shape of the period", [
            Legend(tuple((COLOURS[k], f"{k} {hours['by_domain'][k]:.1f} h")
                         for k in DOMAIN_KEYS)),
            week_shape_chart(report["days"])]),
    ]
    focus_blocks: list[Block] = [bars_chart(
        [("focus time", focus["hours"]), ("scheduled focus", focus["protected_hours"]),
         ("fragmented", focus["fragmented_hours"])], "h", COLOURS["focus"],
        marker=focus["target_hours"] if focus["coverage"] is not None else None,
        label="focus hours against the target")]
    if focus["coverage"] is None:
        focus_blocks.append("No working time in this period (days off): no focus coverage "
                            "and no target to meet.")
    else:
        focus_blocks.append(f"Target {focus['target_hours']:g} h (dashed line); working time "
                            f"{focus['working_hours']:g} h, "
                            f"{percent_text(focus['coverage'])} of it focus time.")
    sections.append(Section("Focus", focus_blocks))
    sections.append(Section("Boundaries", [bars_chart(
        [(TYPE_NAMES[t], m) for t, m in report["violations"]["minutes_by_type"].items()],
        "min", COLOURS["boundary"], label="work minutes across each boundary")]))
    if "previous" in report:
        sections.append(_comparison(report))
    if privacy != "strict":
        items = violations_frame(audit, privacy).filter(pl.col("minutes") > 0)
        largest = items.sort("minutes", "date", descending=[True, False]).head(MOST_ITEMS)
        if items.height:
            blocks: list[Block] = [Table(("date", "type", "minutes", "event"), tuple(
                _cells(d, TYPE_NAMES[t], m, title) for d, t, m, title in
                largest.sort("date").select("date", "type", "minutes", "title").iter_rows()))]
            if items.height > largest.height:
                blocks.append(f"{items.height - largest.height} smaller ones in "
                              "violations.csv.")
            sections.append(Section("Largest boundary violations", blocks))

    def split_cells(split: str) -> list[str]:
        return [f"{name.replace('_', ' ')} {p['count']} ({p['hours']:g} h)"
                for name, p in meetings[split].items()]

    b2b, outside = meetings["back_to_back"], meetings["outside_working_hours"]
    sections.append(Section("Meetings", [
        f"{meetings['count']} meetings, {meetings['hours']:g} h "
        f"({meetings['attendee_hours']:g} attendee-hours); back-to-back {b2b['count']} "
        f"({b2b['hours']:g} h); outside working hours {outside['count']} "
        f"({outside['hours']:g} h).",
        Table(("", "", "", ""), (
            ("size", *split_cells("by_size")),
            ("recurrence", *split_cells("by_recurrence"), ""),
            ("organised by", *split_cells("by_organizer"), ""),
            ("with", *split_cells("by_audience"), "")))]))
    if meetings["series"] and privacy != "strict":
        titles = _series_titles(audit, privacy)
        series = meetings["series"][:MOST_ITEMS]
        sections.append(Section("Recurring meetings: the cut list", [
            bars_chart([(titles.get(s["series_id"], "Personal"), s["hours"]) for s in series],
                       "h", COLOURS["work"], label="hours per recurring series"),
            Table(("series", "meetings", "hours", "share", "1st half", "2nd half", "trend"),
                  tuple(_cells(titles.get(s["series_id"], "Personal"), s["count"], s["hours"],
                               percent_text(s["share"]), s["first_half_hours"],
                               s["second_half_hours"], s["trend"]) for s in series))]))
    if privacy == "full" or (with_people and privacy == "standard"):
        sections.append(Section("Most meeting time with", [
            Table(("person", "meetings", "hours"),
                  tuple(_cells(p["person"], p["count"], p["hours"])
                        for p in meetings["people"])),
            Table(("domain", "meetings", "hours"),
                  tuple(_cells(d["domain"], d["count"], d["hours"])
                        for d in meetings["domains"]))]))
    sections.append(Section("Budgets", [Table(
        ("goal", "limit", "actual", "", "margin"),
        tuple(_cells(g["goal"].replace("_", " "),
                     f"{'≤' if g['kind'] == 'max' else '≥'} {g['limit']:g} {g['unit']}",
                     f"{g['actual']:g} {g['unit']}", "met" if g["met"] else "missed",
                     f"{g['margin']:+g}") for g in goals))]))
    if report.get("groups"):
        groups = report["groups"]
        sections.append(Section("Trend", [
            trend_chart(groups),
            "Bars: counted hours; black dots: focus hours (none in a group without working "
            "time).",
            Table(("", "hours", "meetings", "focus", "coverage", "violations", "change"),
                  tuple(_cells(g["label"], g["hours"], g["meetings"], g["focus"]["hours"],
                               "—" if g["focus"]["coverage"] is None
                               else percent_text(g["focus"]["coverage"]),
                               f"{g['violation_minutes']} min",
                               "" if g["change"]["hours"] is None
                               else f"{g['change']['hours']:+g} h") for g in groups))]))
    return Page(
        title=f"Where the time went: {days_text(period['from'], period['to'])}",
        meta=(f"{len(report['days'])} days, {period['timezone']}; privacy level {privacy}. "
              "Made by timeaudit from the calendar; hours are counted time, shared equally "
              "where events overlap."),
        sections=sections)
