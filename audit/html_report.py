"""The one-page report a manager reads without the tool (issue 14): ``export --format html``.

One self-contained HTML file: no script, no external file, font or image; the charts are
inline SVG; a print style keeps it on A4. Everything on it comes from the report of
`audit.report.build_report` (nothing is recomputed) and is redacted as the CSV export of
`audit.export` is at the same privacy level:

* **strict** — figures only: no event title anywhere (no violation list, no cut list
  titles, no people);
* **standard** — violation rows as ``violations.csv`` has them, and each series named as
  ``events.csv`` names its latest occurrence (so a private series reads "Personal");
  the people and domains of meetings only when asked for (``--with-people``);
* **full** — titles as they are; people and domains included.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import polars as pl

from audit.engine import Audit
from audit.export import PRIVACY_LEVELS, _replace_set, events_frame, violations_frame
from audit.report import build_report
from core.errors import AuditError

HTML_FILE = "report.html"
MOST_ITEMS = 10
COLOURS = {"work": "#3b6ea8", "life": "#5aa05a", "integrated": "#d39b2a",
           "unclassified": "#9a9a9a", "focus": "#7b4fa8", "target": "#222222"}
TYPE_NAMES = {"non_working_day": "work on days off", "late_night": "late-night work",
              "after_hours": "work after hours", "protected_time": "work in protected time",
              "no_meeting_day": "meetings on no-meeting days",
              "long_day": "long day (over the limit)"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _h(hours: float) -> str:
    return f"{hours:.1f} h"


def summary_sentences(report: dict[str, Any]) -> list[str]:
    """The plain-language summary, written from the report's figures."""
    focus, violations, meetings = report["focus"], report["violations"], report["meetings"]
    by_type = violations["minutes_by_type"]
    sentences = []
    outside = {t: by_type[t] for t in ("after_hours", "late_night", "non_working_day")}
    outside_days = len({item["date"] for item in violations["items"]
                        if item["type"] in outside})
    total_outside = sum(outside.values())
    if total_outside:
        days = f" on {outside_days} day{'s' * (outside_days != 1)}" if outside_days else ""
        sentences.append(f"Work outside working hours{days}: "
                         f"{_h(total_outside / 60)} in total.")
    else:
        sentences.append("No work outside working hours.")
    if focus["working_hours"]:
        verdict = "met" if focus["target_met"] else "not met"
        sentences.append(f"Focus {_h(focus['hours'])} of a {_h(focus['target_hours'])} "
                         f"target ({verdict}); {focus['coverage']:.0%} of working time.")
    else:
        sentences.append("No working time in this period (days off): no focus target.")
    if meetings["count"]:
        series = meetings["series"]
        share = sum(s["hours"] for s in series) / meetings["hours"] if meetings["hours"] else 0
        sentences.append(
            f"{meetings['count']} meetings, {_h(meetings['hours'])}; {share:.0%} of meeting "
            f"time in {len(series)} recurring series; {meetings['back_to_back']['count']} "
            "back-to-back.")
    missed = [g for g in report["goals"] if not g["met"]]
    if missed:
        sentences.append("Budgets missed: " + ", ".join(
            f"{g['goal'].replace('_', ' ')} ({g['actual']:g} of {g['limit']:g} {g['unit']})"
            for g in missed) + ".")
    return sentences


# ------------------------------------------------------------------ SVG charts


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-label="{_e(label)}">' + "".join(body) + "</svg>")


def week_shape_svg(days: list[dict[str, Any]]) -> str:
    """Stacked bars per day: hours of work, life, integrated and unclassified time."""
    keys = ("work", "life", "integrated", "unclassified")
    width, height, top, bottom = 640, 170, 10, 30
    largest = max([sum(d[k] for k in keys) for d in days] + [1.0])
    slot = (width - 40) / max(len(days), 1)
    body = [f'<line x1="36" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
            'stroke="#888"/>',
            f'<text x="0" y="{top + 8}" font-size="10">{largest:.0f} h</text>']
    for i, day in enumerate(days):
        x, y = 40 + i * slot, height - bottom
        for key in keys:
            size = day[key] / largest * (height - top - bottom)
            if size > 0:
                y -= size
                body.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{slot - 2:.1f}" '
                            f'height="{size:.1f}" fill="{COLOURS[key]}"><title>'
                            f'{_e(day["date"])} {key} {day[key]:.2f} h</title></rect>')
        if len(days) <= 31 and (len(days) <= 14 or i % 7 == 0):
            body.append(f'<text x="{x + slot / 2:.1f}" y="{height - 14}" font-size="9" '
                        f'text-anchor="middle">{_e(day["date"][5:])}</text>')
    return _svg(width, height, body, "hours per day by domain")


def bars_svg(rows: list[tuple[str, float]], unit: str, colour: str,
             marker: float | None = None) -> str:
    """Horizontal bars with labels; ``marker`` draws a target line."""
    width, bar, label_width = 640, 18, 230
    largest = max([v for _, v in rows] + [marker or 0.0, 1e-9])
    height = len(rows) * (bar + 6) + 6
    body = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * (bar + 6)
        size = value / largest * (width - label_width - 70)
        body += [f'<text x="{label_width - 6}" y="{y + 13}" font-size="11" '
                 f'text-anchor="end">{_e(label[:38])}</text>',
                 f'<rect x="{label_width}" y="{y}" width="{size:.1f}" height="{bar}" '
                 f'fill="{colour}"/>',
                 f'<text x="{label_width + size + 4:.1f}" y="{y + 13}" font-size="11">'
                 f'{value:g} {unit}</text>']
    if marker:
        x = label_width + marker / largest * (width - label_width - 70)
        body.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" '
                    f'stroke="{COLOURS["target"]}" stroke-dasharray="4 3"/>')
    return _svg(width, height, body, "bars")


def trend_svg(groups: list[dict[str, Any]]) -> str:
    """Counted hours (bars) and focus hours (dots) per group."""
    width, height, bottom = 640, 150, 30
    largest = max([g["hours"] for g in groups] + [g["focus"]["hours"] for g in groups] + [1.0])
    slot = (width - 40) / max(len(groups), 1)
    scale = (height - bottom - 10) / largest
    body = [f'<line x1="36" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
            'stroke="#888"/>',
            f'<text x="0" y="18" font-size="10">{largest:.0f} h</text>']
    for i, group in enumerate(groups):
        x = 40 + i * slot
        size = group["hours"] * scale
        body.append(f'<rect x="{x + 2:.1f}" y="{height - bottom - size:.1f}" '
                    f'width="{slot - 4:.1f}" height="{size:.1f}" fill="{COLOURS["work"]}"/>')
        y = height - bottom - group["focus"]["hours"] * scale
        body.append(f'<circle cx="{x + slot / 2:.1f}" cy="{y:.1f}" r="6" '
                    f'fill="{COLOURS["target"]}" stroke="white" stroke-width="2"/>')
        body.append(f'<text x="{x + slot / 2:.1f}" y="{height - 14}" font-size="9" '
                    f'text-anchor="middle">{_e(group["label"])}</text>')
    return _svg(width, height, body, "hours and focus per group")


# ------------------------------------------------------------------ the page


def _series_titles(audit: Audit, privacy: str) -> dict[str, str]:
    """series_id → the title ``events.csv`` shows for its latest occurrence."""
    shown = events_frame(audit, privacy).get_column("title")
    frame = audit.minutes_per_event().select("series_id", "start").with_columns(shown)
    return dict(frame.filter(pl.col("series_id").is_not_null()).sort("start")
                .group_by("series_id").agg(pl.col("title").last()).iter_rows())


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header) if any(header) else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    head = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table>{head}<tbody>{body}</tbody></table>"


STYLE = """
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;
  max-width:760px;margin:24px auto;padding:0 16px}
h1{font-size:20px;margin:0}h2{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #ccc}
.meta{color:#555;margin:2px 0 10px}ul.summary{padding-left:18px;margin:6px 0}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;
  padding:2px 6px;border-bottom:1px solid #eee}th{font-weight:600;background:#f5f5f5}
.legend span{display:inline-block;margin-right:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.cols{display:flex;gap:16px}.cols>div{flex:1}
svg{max-width:100%;height:auto}
@page{size:A4;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}
  section{break-inside:avoid}}
"""


def render_html(audit: Audit, privacy: str = "standard", *, by: str | None = None,
                with_people: bool = False) -> str:
    """The one-page report of ``audit`` at ``privacy`` (see the module docstring)."""
    if privacy not in PRIVACY_LEVELS:
        raise ValueError(privacy)
    report = build_report(audit, by)
    period, hours, focus = report["period"], report["hours"], report["focus"]
    meetings, goals = report["meetings"], report["goals"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>timeaudit {_e(period['from'])} – {_e(period['to'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Where the time went: {_e(period['from'])} to {_e(period['to'])}</h1>",
        f"<p class='meta'>{len(report['days'])} days, {_e(period['timezone'])}; "
        f"privacy level {_e(privacy)}. Made by timeaudit from the calendar; "
        "hours are counted time, shared equally where events overlap.</p>",
        "<section><h2>Summary</h2><ul class='summary'>",
        *(f"<li>{_e(s)}</li>" for s in summary_sentences(report)),
        "</ul></section>",
        "<section><h2>The shape of the period</h2>",
        "<div class='legend'>" + "".join(
            f"<span><i style='background:{COLOURS[k]}'></i>{k} {hours['by_domain'][k]:.1f} h"
            "</span>" for k in ("work", "life", "integrated", "unclassified")) + "</div>",
        week_shape_svg(report["days"]),
        "</section>",
        "<section><h2>Focus</h2>",
        bars_svg([("focus time", focus["hours"]), ("scheduled focus", focus["protected_hours"]),
                  ("fragmented", focus["fragmented_hours"])], "h", COLOURS["focus"],
                 marker=focus["target_hours"]),
        f"<p>Target {focus['target_hours']:g} h (dashed line); working time "
        f"{focus['working_hours']:g} h.</p></section>",
        "<section><h2>Boundaries</h2>",
        bars_svg([(TYPE_NAMES[t], m) for t, m in
                  report["violations"]["minutes_by_type"].items()], "min", "#c0504d"),
        "</section>",
    ]
    if privacy != "strict":
        items = violations_frame(audit).filter(pl.col("minutes") > 0)
        largest = items.sort("minutes", "date", descending=[True, False]).head(MOST_ITEMS)
        if items.height:
            more = (f"<p>{items.height - largest.height} smaller ones in violations.csv.</p>"
                    if items.height > largest.height else "")
            parts.append("<section><h2>Largest boundary violations</h2>" + _table(
                ["date", "type", "minutes", "event"],
                [[d, TYPE_NAMES[t], m, title] for d, t, m, title in
                 largest.sort("date").select("date", "type", "minutes", "title").iter_rows()])
                + more + "</section>")
    def split_cells(split: str) -> list[object]:
        return [f"{name.replace('_', ' ')} {p['count']} ({p['hours']:g} h)"
                for name, p in meetings[split].items()]

    b2b, outside = meetings["back_to_back"], meetings["outside_working_hours"]
    parts.append(
        "<section><h2>Meetings</h2>"
        f"<p>{meetings['count']} meetings, {meetings['hours']:g} h "
        f"({meetings['attendee_hours']:g} attendee-hours); back-to-back {b2b['count']} "
        f"({b2b['hours']:g} h); outside working hours {outside['count']} "
        f"({outside['hours']:g} h).</p>" + _table(
            ["", "", "", ""],
            [["size", *split_cells("by_size")],
             ["recurrence", *split_cells("by_recurrence"), ""],
             ["organised by", *split_cells("by_organizer"), ""],
             ["with", *split_cells("by_audience"), ""]]) + "</section>")
    if meetings["series"] and privacy != "strict":
        titles = _series_titles(audit, privacy)
        series = meetings["series"][:10]
        parts.append("<section><h2>Recurring meetings: the cut list</h2>" + bars_svg(
            [(titles.get(s["series_id"], "Personal"), s["hours"]) for s in series], "h",
            COLOURS["work"]) + _table(
            ["series", "meetings", "hours", "share", "1st half", "2nd half", "trend"],
            [[titles.get(s["series_id"], "Personal"), s["count"], s["hours"],
              f"{s['share']:.0%}", s["first_half_hours"], s["second_half_hours"], s["trend"]]
             for s in series]) + "</section>")
    if privacy == "full" or (with_people and privacy == "standard"):
        parts.append("<section><h2>Most meeting time with</h2><div class='cols'><div>"
                     + _table(["person", "meetings", "hours"],
                              [[p["person"], p["count"], p["hours"]]
                               for p in meetings["people"]])
                     + "</div><div>" + _table(["domain", "meetings", "hours"],
                                              [[d["domain"], d["count"], d["hours"]]
                                               for d in meetings["domains"]])
                     + "</div></div></section>")
    parts.append("<section><h2>Budgets</h2>" + _table(
        ["goal", "limit", "actual", "", "margin"],
        [[g["goal"].replace("_", " "), f"{'≤' if g['kind'] == 'max' else '≥'} {g['limit']:g} "
          f"{g['unit']}", f"{g['actual']:g} {g['unit']}", "met" if g["met"] else "missed",
          f"{g['margin']:+g}"] for g in goals]) + "</section>")
    if report.get("groups"):
        parts.append("<section><h2>Trend</h2>" + trend_svg(report["groups"])
                     + "<p>Bars: counted hours; black dots: focus hours.</p>" + _table(
                         ["", "hours", "meetings", "focus", "coverage", "violations",
                          "change"],
                         [[g["label"], g["hours"], g["meetings"], g["focus"]["hours"],
                           "—" if g["focus"]["coverage"] is None
                           else f"{g['focus']['coverage']:.0%}",
                           f"{g['violation_minutes']} min",
                           "" if g["change"]["hours"] is None
                           else f"{g['change']['hours']:+g} h"]
                          for g in report["groups"]]) + "</section>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_html(audit: Audit, out_dir: str | Path, privacy: str = "standard", *,
               by: str | None = None, with_people: bool = False) -> Path:
    """Write ``report.html`` into ``out_dir`` (created if needed), atomically."""
    directory = Path(out_dir)
    page = render_html(audit, privacy, by=by, with_people=with_people).encode("utf-8")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _replace_set(directory, {HTML_FILE: page}, ())  # owner-only, all or nothing
    except OSError as error:
        raise AuditError(f"{directory}: cannot write the report: "
                         f"{error.strerror or error}") from None
    return directory / HTML_FILE
