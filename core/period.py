"""The audit period: local dates in the audit time zone, ``from`` inclusive, ``to`` exclusive.

SPEC §9: ``--from``/``--to`` are local dates; ``--week 2026-W47`` is an ISO week (which
always starts on Monday); the default is the last complete week that starts on the
configured ``week_start`` day.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from core import clock
from core.errors import UsageError

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q(\d)$", re.IGNORECASE)
# The dates an audit period may cover (``LAST_DAY`` exclusive): far enough for any
# calendar, near enough that a period, its neighbours and every instant in any zone exist.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(3000, 1, 1)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@functools.lru_cache(maxsize=256)
def is_zone(name: str) -> bool:
    """True when both `zoneinfo` and Polars (chrono-tz) know the zone ``name``."""
    try:
        ZoneInfo(name)
        pl.select(pl.lit(0).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(name))
    except (ZoneInfoNotFoundError, ValueError, OSError, pl.exceptions.PolarsError):
        return False
    return True


def resolve_zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name`` (one Polars knows too), or a `UsageError` saying so."""
    try:
        if not name.strip() or not is_zone(name):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or "
            "America/New_York"
        ) from None


@dataclass(frozen=True)
class Period:
    """Local dates [start, end) in the zone ``timezone``."""

    start: date
    end: date
    timezone: str

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise UsageError(f"empty period: --to {self.end} is not after --from {self.start}")
        if self.start < FIRST_DAY or self.end > LAST_DAY:
            raise UsageError(f"the period {self.start} to {self.end} is outside the dates "
                             f"timeaudit audits ({FIRST_DAY} to {LAST_DAY - timedelta(days=1)})")

    @property
    def zone(self) -> ZoneInfo:
        return resolve_zone(self.timezone)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants: local midnight of ``start`` and of ``end``."""
        return local_midnight(self.start, self.zone), local_midnight(self.end, self.zone)

    def previous(self) -> Period:
        length = self.end - self.start
        return Period(self.start - length, self.start, self.timezone)

    def next(self) -> Period:
        length = self.end - self.start
        return Period(self.end, self.end + length, self.timezone)


def previous_period(period: Period) -> Period | None:
    """The period of the same length just before ``period`` (issue 14): the previous
    calendar month(s) when ``period`` is whole months (a month, a quarter, a year), else
    the same number of days before it (the previous week for a week). None when it would
    start before the first date timeaudit audits."""
    start, end = period.start, period.end
    try:
        if start.day == 1 and end.day == 1:
            months = (end.year - start.year) * 12 + end.month - start.month
            first = _first_of_month(start.year, start.month - months)
            return Period(first, start, period.timezone)
        return period.previous()
    except (UsageError, ValueError):
        return None


def period_label(period: Period, week_start: str = "monday") -> str:
    """A short name for ``period``: ``2026-11``, ``2026-Q4``, ``2026-W47`` (an ISO week
    when weeks start on Monday), else ``2026-11-02 to 2026-11-23`` (``to`` exclusive)."""
    start, end = period.start, period.end
    if start.day == 1 and end == _first_of_month(start.year, start.month + 1):
        return f"{start:%Y-%m}"
    if (start.day == 1 and start.month % 3 == 1
            and end == _first_of_month(start.year, start.month + 3)):
        return f"{start.year}-Q{start.month // 3 + 1}"
    if (end - start).days == 7 and week_start == "monday" and start.weekday() == 0:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.isoformat()} to {end.isoformat()}"


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant of local midnight starting ``day`` (the first instant of the day).

    A zone whose clocks jump over midnight (America/Santiago; a whole skipped day such as
    Pacific/Apia's 2011-12-30) has no 00:00: the day then starts at the jump (`instant_at`).
    """
    return instant_at(datetime.combine(day, time()), zone)


def instant_at(wall: datetime, zone: tzinfo) -> datetime:
    """The UTC instant at which the clocks of ``zone`` show the naive wall-clock ``wall``.

    The one DST-gap rule (docs/counting.md): a wall time the clocks skip (inside a gap)
    maps to the first instant after the gap, the UTC instant of the transition, whatever
    the gap's size (an hour, 30 min, 44 min 30 s, a whole day) or alignment. A time shown
    twice (the fall-back hour) is its earlier instant.
    """
    wall = wall.replace(tzinfo=None)
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if _wall_clock(instant, zone) == wall:
        return instant
    return _jump_over(wall, zone)


def _wall_clock(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _jump_over(wall: datetime, zone: tzinfo) -> datetime:
    """The transition T of the gap ``wall`` lies in: the clocks show ``T + before`` just
    before T and ``T + after`` at T, and ``T + before <= wall < T + after``, so T is in
    (wall - after, wall - before]. Found exactly by bisection on microseconds: the wall
    clock is below ``wall`` before T and above it from T on (≈ 40 steps for a whole day)."""
    offsets = [wall.replace(tzinfo=zone, fold=fold).utcoffset() or timedelta(0)
               for fold in (0, 1)]
    low = (wall - max(offsets)).replace(tzinfo=UTC)  # the clocks show less than wall
    high = (wall - min(offsets)).replace(tzinfo=UTC)  # the clocks show more than wall
    if _wall_clock(low, zone) >= wall or _wall_clock(high, zone) <= wall:
        # not what zoneinfo's fold gives for a gap: search the two days around it
        low, high = low - timedelta(days=1), high + timedelta(days=1)
    step = timedelta(microseconds=1)
    while high - low > step:
        middle = low + (high - low) // 2
        if _wall_clock(middle, zone) < wall:
            low = middle
        else:
            high = middle
    return high


def parse_week(text: str, timezone: str) -> Period:
    """``2026-W47`` → the ISO week Monday..Sunday."""
    match = _WEEK.match(text.strip())
    if not match:
        raise UsageError(f"bad week {text!r}: write it as YYYY-Www, e.g. 2026-W47")
    year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise UsageError(f"bad week {text!r}: {year} has no week {week}") from None
    if not FIRST_DAY <= monday <= LAST_DAY - timedelta(days=7):
        raise UsageError(f"bad week {text!r}: timeaudit audits dates from {FIRST_DAY} to "
                         f"{LAST_DAY - timedelta(days=1)}")
    return Period(monday, monday + timedelta(days=7), timezone)


def _check_year(year: int, what: str) -> None:
    """Months and quarters of the years timeaudit audits (LAST_DAY is a 1 January)."""
    if not FIRST_DAY.year <= year < LAST_DAY.year:
        raise UsageError(f"{what}: timeaudit audits dates from {FIRST_DAY} to "
                         f"{LAST_DAY - timedelta(days=1)}")


def _first_of_month(year: int, month: int) -> date:
    """The first day of ``month`` (which may be 13: January of the next year)."""
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_month(text: str, timezone: str) -> Period:
    """``2026-11`` → the calendar month, first day to the first day of the next month."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise UsageError(f"bad month {text!r}: write it as YYYY-MM, e.g. 2026-11")
    year, month = int(match[1]), int(match[2])
    _check_year(year, f"bad month {text!r}")
    return Period(date(year, month, 1), _first_of_month(year, month + 1), timezone)


def parse_quarter(text: str, timezone: str) -> Period:
    """``2026-Q4`` → the calendar quarter (Q1 = January to March)."""
    match = _QUARTER.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 4 or int(match[1]) < 1:
        raise UsageError(f"bad quarter {text!r}: write it as YYYY-Qn, e.g. 2026-Q4")
    year, quarter = int(match[1]), int(match[2])
    _check_year(year, f"bad quarter {text!r}")
    first = 3 * (quarter - 1) + 1
    return Period(date(year, first, 1), _first_of_month(year, first + 3), timezone)


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"bad date for {option}: {text!r} (write YYYY-MM-DD)") from None


def week_containing(day: date, timezone: str, week_start: str = "monday") -> Period:
    """The week (starting on ``week_start``) that contains ``day``."""
    offset = (day.weekday() - WEEKDAYS.index(week_start)) % 7
    first = day - timedelta(days=offset)
    return Period(first, first + timedelta(days=7), timezone)


def last_complete_week(timezone: str, week_start: str = "monday",
                       now: datetime | None = None) -> Period:
    """The most recent full week that ended before today (local date in ``timezone``)."""
    zone = resolve_zone(timezone)
    today = (now or clock.now()).astimezone(zone).date()
    return week_containing(today, timezone, week_start).previous()


def resolve_period(*, timezone: str, week: str | None = None, start: str | None = None,
                   end: str | None = None, week_start: str = "monday",
                   now: datetime | None = None, month: str | None = None,
                   quarter: str | None = None) -> Period:
    """The period the CLI options describe (SPEC §9; --month and --quarter: issue 14)."""
    resolve_zone(timezone)
    given = [option for option, value in (("--week", week), ("--month", month),
                                          ("--quarter", quarter),
                                          ("--from/--to", start if start is not None else end))
             if value is not None]
    if (month is not None or quarter is not None) and len(given) > 1:
        raise UsageError(f"give one period: {' or '.join(given)}, not both")
    if month is not None:
        return parse_month(month, timezone)
    if quarter is not None:
        return parse_quarter(quarter, timezone)
    if week is not None and (start is not None or end is not None):
        raise UsageError("give either --week or --from/--to, not both")
    if week is not None:
        return parse_week(week, timezone)
    if start is not None or end is not None:
        if start is None or end is None:
            raise UsageError("--from and --to go together")
        return Period(parse_date(start, "--from"), parse_date(end, "--to"), timezone)
    return last_complete_week(timezone, week_start, now)
