"""The period's figures (SPEC §9 `report --format json`) and their terminal table.

Hours are floats rounded to 2 decimals, minutes whole numbers. Every figure is a sum of
the attributed minutes of `audit.accounting` (so domains and quadrants add up to the
busy time), the violations of `audit.boundaries` and the focus of `audit.focus`.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO

import polars as pl

from audit.accounting import ATTRIBUTED_MINUTES, DATE, DOMAIN, QUADRANT, period_days
from audit.boundaries import VIOLATION_TYPES
from audit.compare import compare_periods, render_comparison
from audit.domains import Domain, Quadrant
from audit.engine import SIDE_BY_SIDE_BELOW, Audit, small_on_in_memory
from audit.goals import goal_rows, render_goals
from audit.groups import group_rows, render_groups
from audit.meetings import meeting_report

DOMAINS = tuple(d.value for d in Domain)
QUADRANTS = tuple(q.value for q in Quadrant)


def quadrant_column(quadrant: str) -> str:
    """The `day_table` column of a quadrant ("unclassified" is also a domain)."""
    return f"quadrant_{quadrant}"


def rounded_hours(minutes: float) -> float:
    """Minutes as hours, rounded to 2 decimals by Python's ``round``.

    Python rounds the exact binary value (``round(0.025, 2) == 0.03``: the float 0.025 is
    a little above the tie); Polars' ``round`` rounds ``x * 100`` and says 0.02 there, so
    every figure shown goes through this one function.
    """
    return round(minutes / 60, 2)


def hours_column(minutes: pl.Series) -> pl.Series:
    """`rounded_hours` of every value."""
    return rounded_column(minutes / 60)


ROUND_EACH_BELOW = 1_000  # see `rounded_column`


def rounded_column(values: pl.Series, digits: int = 2) -> pl.Series:
    """Python's ``round`` of every value, called once per distinct value: days repeat their
    figures (benchmarks/engine.py at 1M occurrences: 182k days, 0.44 s CPU for a call per
    value, 0.03 s per distinct value). A short column (a week's days) is rounded value by
    value: two Polars queries cost ≈ 0.5 ms, the calls ≈ 0.01 ms."""
    if values.len() <= ROUND_EACH_BELOW:
        return pl.Series(values.name, [None if v is None else round(v, digits)
                                       for v in values.to_list()], dtype=pl.Float64)
    distinct = values.unique()
    return values.replace_strict(
        distinct, [None if v is None else round(v, digits) for v in distinct],
        return_dtype=pl.Float64)


def target_hours(audit: Audit) -> float:
    """The focus target for the period: the weekly target, scaled to the period's length."""
    days = (audit.period.end - audit.period.start).days  # = len(audit.period.days)
    return audit.config.focus.target_hours_per_week * days / 7


def day_table(audit: Audit) -> pl.DataFrame:
    """One row per local date: minutes per domain and quadrant, focus, working, violations."""
    dates = period_days(audit.period).select(DATE)
    domain, quadrant = pl.col(DOMAIN), pl.col(QUADRANT)
    minutes = pl.col(ATTRIBUTED_MINUTES)
    # one pass over the attributed pieces for every domain and quadrant
    attributed = (
        audit.pieces_with(DOMAIN, QUADRANT).lazy()
        .select(DATE,
                *(pl.when(domain == d).then(minutes).otherwise(0.0).alias(d) for d in DOMAINS),
                *(pl.when(quadrant == q).then(minutes).otherwise(0.0).alias(quadrant_column(q))
                  for q in QUADRANTS))
        .group_by(DATE).agg(pl.all().sum())
    )
    violations = audit.violations.lazy().group_by(DATE).agg(
        pl.col("minutes").sum().alias("violation_minutes")
    )
    focus = audit.focus.lazy().group_by(DATE).agg(pl.all().sum())
    # The sums run side by side (one `collect_all`) and are joined onto the dates, which
    # are in order, keeping that order: one plan with the joins and a sort took ≈ 0.06 s
    # CPU more at 1M occurrences (182k days, benchmarks/engine.py).
    table, *parts = pl.collect_all([dates, attributed, focus, violations])
    parts.insert(2, audit.busy)
    for part in parts:
        table = table.join(part, on=DATE, how="left", maintain_order="left")
    return table.fill_null(0.0)


def _day_frame(days: pl.DataFrame) -> pl.DataFrame:
    """The report's ``days`` rows from `day_table`."""
    return days.select(
        pl.col(DATE).cast(pl.String),
        *(hours_column(days[d]) for d in DOMAINS),
        hours_column(days["focus_minutes"]).alias("focus"),
        hours_column(days["working_minutes"]).alias("working"),
        pl.col("violation_minutes").round(0, mode="half_to_even").cast(pl.Int64),  # = round(x)
    )


def _violation_frame(violations: pl.DataFrame) -> pl.DataFrame:
    """The report's violation items: whole minutes; a share under half a minute is none."""
    return violations.select(
        pl.col("date").cast(pl.String),
        "type",
        pl.col("minutes").round(0, mode="half_to_even").cast(pl.Int64),  # = round(x)
        "event_id", "title", "calendar",
    ).filter(pl.col("minutes") > 0)


@dataclass(frozen=True)
class Report:
    """The JSON report of SPEC §9 (`make_report`), with its two long lists — the
    violation items and the days — kept as frames until it is written out.

    A year of a busy calendar has hundreds of thousands of violation items; a Python dict
    per item, and ``json.dumps`` walking them, cost seconds (benchmarks/engine.py at 1M
    occurrences: 490k items, 0.9 s for the dicts and 5.6 s CPU for ``json.dumps`` with
    indentation), where Polars writes the same text in a fraction of a second.
    ``as_dict`` gives the plain dict (`build_report`), ``to_json`` the text of
    ``json.dumps(as_dict(), indent=2, ensure_ascii=False)``, byte for byte.
    """

    document: dict[str, Any]  # the report, "violations.items" and "days" left empty
    items: pl.DataFrame  # violations.items: date, type, minutes, event_id, title, calendar
    days: pl.DataFrame  # days: date, the domains' hours, focus, working, violation_minutes

    def as_dict(self) -> dict[str, Any]:
        """The report as plain Python values, in the key order of SPEC §9."""
        return self._filled(self.items.to_dicts(), self.days.to_dicts())

    def to_json(self) -> str:
        """The report as ``json.dumps(self.as_dict(), indent=2, ensure_ascii=False)``
        writes it (`write_json`, as text)."""
        buffer = io.BytesIO()
        self.write_json(buffer)
        return buffer.getvalue().decode()

    def write_json(self, out: BinaryIO) -> None:
        """Write `to_json`'s text, UTF-8, to ``out``: the rows of the two lists are written
        by Polars straight to ``out`` a block at a time, spliced into the rest, so the
        text of a year's report is never one string in memory (benchmarks/engine.py at 1M
        occurrences: 490k items; making that string and handing it to Python took 1 s and
        ≈ 0.4 GB)."""
        marker = f"timeaudit-rows-{secrets.token_hex(8)}"
        items, days = f"{marker}-items", f"{marker}-days"
        text = json.dumps(self._filled(items, days), indent=2, ensure_ascii=False)
        before, _, rest = text.partition(f'"{items}"')  # "violations" comes before "days"
        between, _, after = rest.partition(f'"{days}"')
        rows = [_json_rows(self.items, 2), _json_rows(self.days, 1)]
        if None in rows or text.count(marker) != 2 or not after:
            out.write(json.dumps(self.as_dict(), indent=2, ensure_ascii=False).encode())
            return
        out.write(before.encode())
        rows[0](out)
        out.write(between.encode())
        rows[1](out)
        out.write(after.encode())

    def _filled(self, items: Any, days: Any) -> dict[str, Any]:
        document = dict(self.document)
        document["violations"] = {**document["violations"], "items": items}
        document["days"] = days
        return document


_ESCAPED = ['"', "\\", *map(chr, range(0x20))]  # what json escapes with ensure_ascii=False
_BLOCK_ROWS = 100_000  # rows written by one Polars call (the text of one block in memory)


def _json_rows(frame: pl.DataFrame, depth: int) -> Callable[[BinaryIO], None] | None:
    """A writer of ``frame``'s rows as the JSON list ``json.dumps(rows, indent=2)`` writes
    for a list that is a value ``depth`` levels down (its rows indented ``2 * depth + 2``
    spaces), UTF-8, to a binary stream.

    Numbers and booleans are Polars' text of them, and strings are quoted as they are
    or, when a column holds a character ``json`` escapes, by Polars' ``json_encode``:
    both write them as Python's ``json`` module does (tests/test_report.py), except
    floats Python writes with an exponent (or NaN, infinity): then this gives None and
    the caller lets ``json`` write the list. Each row's text (with the comma after it,
    but the last) is one line of a headerless, unquoted CSV, which Polars writes
    directly to the stream.
    """
    if frame.is_empty():
        return lambda out: out.write(b"[]")
    floats = [c for c, dtype in frame.schema.items() if dtype.is_float()]
    if floats and not frame.select(
        pl.all_horizontal((pl.col(c).is_finite() & ((pl.col(c).abs() >= 1e-4)
                                                   | (pl.col(c) == 0))
                           & (pl.col(c).abs() < 1e16)).fill_null(True).all()
                          for c in floats)).item():
        return None
    row, field = " " * (2 * depth + 2), " " * (2 * depth + 4)
    # which text columns hold a character json escapes (with ensure_ascii=False: quotes,
    # backslash, controls): one query for all of them, searched side by side, for the
    # characters as literals (at 1M occurrences a regex query per column, one after the
    # other, took ≈ 0.14 s CPU and more wall time; this ≈ 0.08 s)
    texts = [c for c, dtype in frame.schema.items()
             if not (dtype.is_numeric() or dtype == pl.Boolean)]
    escaped = frame.select(pl.col(c).str.contains_any(_ESCAPED).any()
                           for c in texts).row(0, named=True) if texts else {}

    def value(column: str) -> tuple[str, pl.Expr, str]:
        """The column's JSON text, as text before it, an expression, text after it."""
        dtype = frame.schema[column]
        if dtype.is_numeric() or dtype == pl.Boolean:  # 12, 0.25, true: as Python writes them
            return "", pl.col(column).cast(pl.String).fill_null("null"), ""
        if not escaped[column]:
            # nothing json escapes (with ensure_ascii=False): quotes, backslash, controls;
            # without nulls the quotes join the text around it
            if not frame.get_column(column).has_nulls():
                return '"', pl.col(column), '"'
            return "", pl.concat_str([pl.lit('"'), pl.col(column), pl.lit('"')]) \
                .fill_null("null"), ""
        # {"column":"text"} → "text", escaped as json escapes it
        prefix = len(json.dumps({column: None}, separators=(",", ":"))) - len("null}")
        return "", (pl.struct(pl.col(column)).struct.json_encode()
                    .str.slice(prefix).str.strip_suffix("}")), ""

    # One concat of the columns with the text between them: the text joined into as few
    # literals as can be (a quoted column's quotes too: at 1M occurrences the items' text
    # of ≈ 0.5M rows took ≈ 0.28 s CPU with a concat per quoted column inside, ≈ 0.14 s
    # without, benchmarks/engine.py)
    parts: list[pl.Expr] = []
    text = ""
    for number, column in enumerate(frame.columns):
        opening = f"{row}{{\n" if number == 0 else ",\n"
        before, expression, after = value(column)
        parts += [pl.lit(f"{text}{opening}{field}{json.dumps(column, ensure_ascii=False)}: "
                         f"{before}"), expression]
        text = after
    closing = [pl.lit(f"{text}\n{row}}},"), pl.lit(f"{text}\n{row}}}")]  # after a row, the last

    def write(out: BinaryIO) -> None:
        out.write(b"[\n")
        for offset in range(0, frame.height, _BLOCK_ROWS):
            block = frame.slice(offset, _BLOCK_ROWS)
            last = offset + block.height == frame.height
            ends = (pl.when(pl.int_range(pl.len()) == block.height - 1).then(closing[1])
                    .otherwise(closing[0])) if last else closing[0]
            block.select(pl.concat_str([*parts, ends])).write_csv(
                out, include_header=False, quote_style="never", line_terminator="\n")
        out.write(f"{' ' * (2 * depth)}]".encode())

    return write


def make_report(audit: Audit, by: str | None = None,
                previous: Audit | None = None) -> Report:
    """The JSON report of SPEC §9, exactly its shape, then the figures of issue 14:
    ``meetings`` (`audit.meetings`), ``goals`` (`audit.goals`); with ``previous`` (the
    audit of the period before), ``previous`` and ``change`` (`audit.compare`); with
    ``by`` ("day", "week" or "month"), ``groups`` (`audit.groups`).

    A period without working time (a vacation week) has focus ``coverage`` and
    ``target_met`` null (issue 14): there was no working time to cover, so no verdict.

    Dates are ISO text, hours rounded to 2 decimals (`rounded_hours`), minutes whole numbers.
    """
    # a small audit's report is tens of tiny queries too (`report --sample`: ≈ 46 → 33 ms
    # of CPU on the in-memory engine, median of 12 in one process)
    with small_on_in_memory(audit.events):
        return _make_report(audit, by, previous)


def _make_report(audit: Audit, by: str | None, previous: Audit | None) -> Report:
    if audit.events.height < SIDE_BY_SIDE_BELOW:
        return _report_of(audit, by, previous, meeting_report(audit))
    # The meeting figures read nothing the day table does: a thread works them out
    # beside it (Polars releases the GIL). At 1M occurrences each is ≈ 0.2-0.3 s CPU
    # with stretches on one thread (benchmarks/engine.py); a week's report keeps them
    # one after the other (a thread costs more than its tens of tiny queries).
    with ThreadPoolExecutor(max_workers=1) as pool:
        meetings = pool.submit(meeting_report, audit)
        return _report_of(audit, by, previous, meetings)


def _report_of(audit: Audit, by: str | None, previous: Audit | None,
               meetings: dict[str, Any] | Future[dict[str, Any]]) -> Report:
    days = day_table(audit)
    items = _violation_frame(audit.violations)
    total = days.select(pl.exclude(DATE).sum()).row(0, named=True)
    working = total["working_minutes"]
    focus = total["focus_minutes"]
    target = target_hours(audit)
    by_type = audit.violations.group_by("type").agg(pl.col("minutes").sum())
    minutes_by_type = dict.fromkeys(VIOLATION_TYPES, 0)
    minutes_by_type.update({t: round(m) for t, m in by_type.iter_rows()})
    document = {
        "period": {"from": audit.period.start.isoformat(), "to": audit.period.end.isoformat(),
                   "timezone": audit.period.timezone},
        "hours": {
            "total": rounded_hours(total["busy_minutes"]),
            "by_domain": {d: rounded_hours(total[d]) for d in DOMAINS},
            "by_quadrant": {q: rounded_hours(total[quadrant_column(q)]) for q in QUADRANTS},
            "meetings": rounded_hours(total["meeting_minutes"]),
            "double_booked": rounded_hours(total["double_booked_minutes"]),
        },
        "focus": {
            "hours": rounded_hours(focus),
            "protected_hours": rounded_hours(total["protected_focus_minutes"]),
            "fragmented_hours": rounded_hours(total["fragmented_minutes"]),
            "working_hours": rounded_hours(working),
            "coverage": round(focus / working, 2) if working else None,
            "target_hours": round(target, 2),
            # judged on the figures shown, so "10.0 h of a 10.0 h target" is met
            "target_met": rounded_hours(focus) >= round(target, 2) if working else None,
        },
        "violations": {"count": items.height, "minutes_by_type": minutes_by_type,
                       "items": []},
        "days": [],
        "meetings": meetings.result() if isinstance(meetings, Future) else meetings,
        "goals": goal_rows(audit),
        **(compare_periods(audit, previous) if previous is not None else {}),
        **({"groups": group_rows(audit, by)} if by else {}),
    }
    return Report(document, items, _day_frame(days))


def build_report(audit: Audit, by: str | None = None,
                 previous: Audit | None = None) -> dict[str, Any]:
    """`make_report` as plain Python values (what the table, the one-page report and
    the tests read; ``report --format json`` writes `Report.to_json`)."""
    return make_report(audit, by, previous).as_dict()


# ------------------------------------------------------------------ the table


def _bar(value: float, largest: float, width: int = 24) -> str:
    if largest <= 0:
        return ""
    return "█" * round(width * value / largest)


def render_table(report: dict[str, Any]) -> str:
    """A readable terminal summary of a report (``report --format table``)."""
    period, hours, focus = report["period"], report["hours"], report["focus"]
    lines = [f"timeaudit — {period['from']} to {period['to']} (exclusive), "
             f"{period['timezone']}", ""]
    lines.append(f"Counted time  {hours['total']:6.2f} h   meetings {hours['meetings']:.2f} h   "
                 f"double-booked {hours['double_booked']:.2f} h")
    lines += ["", "Where it went"]
    largest = max(hours["by_domain"].values(), default=0)
    counted = sum(hours["by_domain"].values()) or 1
    for name, value in hours["by_domain"].items():
        # the share makes what is unknown as visible as what is known
        lines.append(f"  {name:<13}{value:6.2f} h  {value / counted:4.0%}  "
                     f"{_bar(value, largest)}")
    lines += ["", "Eisenhower matrix"]
    largest = max(hours["by_quadrant"].values(), default=0)
    total = hours["total"] or 1
    for name, value in hours["by_quadrant"].items():
        lines.append(f"  {name:<13}{value:6.2f} h  {value / total:4.0%}  {_bar(value, largest)}")
    if focus["coverage"] is None:
        lines += ["", "Focus  no working time in this period (days off): no coverage, "
                      "no target"]
    else:
        met = "met" if focus["target_met"] else "not met"
        lines += ["", f"Focus  {focus['hours']:.2f} h of {focus['working_hours']:.2f} working "
                      f"h ({focus['coverage']:.0%}); target {focus['target_hours']:.2f} h {met}"]
    lines.append(f"  scheduled focus {focus['protected_hours']:.2f} h, fragmented "
                 f"{focus['fragmented_hours']:.2f} h")
    violations = report["violations"]
    lines += ["", f"Boundary violations  {violations['count']}"]
    for kind, minutes in violations["minutes_by_type"].items():
        if minutes:
            lines.append(f"  {kind:<16}{minutes:5d} min")
    for item in violations["items"]:
        lines.append(f"    {item['date']}  {item['type']:<16}{item['minutes']:4d} min  "
                     f"{item['title']}")
    lines += ["", "Day          work   life  integr.  unclass.  focus  working  violations"]
    for day in report["days"]:
        lines.append(f"{day['date']}  {day['work']:5.2f}  {day['life']:5.2f}  "
                     f"{day['integrated']:7.2f}  {day['unclassified']:8.2f}  "
                     f"{day['focus']:5.2f}  {day['working']:7.2f}  "
                     f"{day['violation_minutes']:6d} min")
    lines += _meeting_lines(report.get("meetings"))
    if report.get("goals"):
        lines += render_goals(report["goals"])
    if "previous" in report:
        lines += render_comparison(report)
    if "groups" in report:
        lines += render_groups(report["groups"])
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _meeting_lines(meetings: dict[str, Any] | None) -> list[str]:
    """The table's meeting section (issue 14): splits, back-to-back and the cut list."""
    if not meetings:
        return []

    def parts(split: str) -> str:
        return ", ".join(f"{name.replace('_', ' ')} {part['count']} ({part['hours']:.2f} h)"
                         for name, part in meetings[split].items())

    lines = ["", f"Meetings  {meetings['count']}, {meetings['hours']:.2f} h "
                 f"({meetings['attendee_hours']:.2f} attendee-hours)"]
    lines += [f"  {label:<13}{parts(split)}" for label, split in (
        ("size", "by_size"), ("recurrence", "by_recurrence"), ("organised by", "by_organizer"),
        ("with", "by_audience"))]
    b2b, outside = meetings["back_to_back"], meetings["outside_working_hours"]
    lines.append(f"  back-to-back {b2b['count']} ({b2b['hours']:.2f} h); outside working "
                 f"hours {outside['count']} ({outside['hours']:.2f} h)")
    if meetings["series"]:
        lines += ["", "Recurring series (the cut list)   hours  share  1st half  2nd half  trend"]
        for item in meetings["series"]:
            lines.append(f"  {item['title'][:32]:<32}{item['hours']:6.2f}  {item['share']:5.0%}"
                         f"  {item['first_half_hours']:8.2f}  {item['second_half_hours']:8.2f}"
                         f"  {item['trend']}")
    return lines
