"""Generate the demo calendars in sample_data/ (SPEC §2): one believable person, 2025–2028.

Alex Morgan, engineering manager at acme.example in Berlin, two kids, one side project:

- ``work.ics``          TZID=Europe/Berlin with its VTIMEZONE (as Google / Thunderbird write it)
- ``family.ics``        UTC times plus X-WR-TIMEZONE, no VTIMEZONE (as a Google export)
- ``side-project.ics``  Outlook: Windows TZID "W. Europe Standard Time" + Outlook VTIMEZONE

The dashboard opens on "the last complete week" of whatever day it runs, so the weekly
rhythm is RRULEs without an end, and the one-off events (incidents, interviews, customer
calls, appointments, weekends, time off) and the exceptions (EXDATE, RECURRENCE-ID) are
generated for every week from FIRST_DAY to LAST_DAY. ``random.Random(SEED)`` and fixed
DTSTAMPs make the output byte-for-byte reproducible: ``python sample_data/generate.py``.
Only the standard library and ``icalendar`` are used.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vRecur

HERE = Path(__file__).resolve().parent
SEED = 42
BERLIN = ZoneInfo("Europe/Berlin")
WINDOWS_TZID = "W. Europe Standard Time"
FIRST_DAY = date(2024, 12, 2)  # a Monday: series start here, one-offs from here on
LAST_DAY = date(2029, 1, 8)  # exclusive, a Monday: every week in between is populated
EXPORTED = datetime(2024, 11, 25, 8, 0, tzinfo=UTC)  # CREATED/DTSTAMP of the standing series
UID_DOMAIN = "sample.timeaudit"
MO, TU, WE, TH, FR, SA, SU = range(7)
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

OWNER = "alex@acme.example"
SAM, PRIYA, JONAS = "sam@acme.example", "priya@acme.example", "jonas@acme.example"
TOMAS, AYLIN, MEI = "tomas@acme.example", "aylin@acme.example", "mei@acme.example"
DANA, KIM, RAFAEL = "dana@acme.example", "kim@acme.example", "rafael@acme.example"
RAVI, JULIA = "ravi@acme.example", "julia@acme.example"  # Alex's peers, managers too
ONCALL, PEOPLE_TEAM, ALL_HANDS = "oncall@acme.example", "people@acme.example", "all@acme.example"
RECRUITER = "lena@talentbridge.example"
TEAM = (SAM, PRIYA, JONAS, TOMAS, AYLIN)
KEPLER, TURING, BOARDROOM = (
    "room-kepler@acme.example", "room-turing@acme.example", "boardroom@acme.example",
)
NGO_CHAIR, NGO_BOARD = "birgit@codeclub-berlin.example", "ole@codeclub-berlin.example"
MENTEE = "nora.ahmadi@mail.example"

NAMES = {
    OWNER: "Alex Morgan", SAM: "Sam Rivera", PRIYA: "Priya Natarajan", JONAS: "Jonas Weber",
    TOMAS: "Tomás Silva", AYLIN: "Aylin Kaya", MEI: "Mei Tanaka", DANA: "Dana Fischer",
    KIM: "Kim Okafor", RAFAEL: "Rafael Costa", RAVI: "Ravi Menon", JULIA: "Julia Schröder",
    ONCALL: "On-call (PagerDuty)", PEOPLE_TEAM: "People Team", ALL_HANDS: "Everyone at Acme",
    RECRUITER: "Lena Brandt",
    KEPLER: "Room Kepler (6)", TURING: "Room Turing (12)", BOARDROOM: "Boardroom",
    NGO_CHAIR: "Birgit Lange", NGO_BOARD: "Ole Hansen", MENTEE: "Nora Ahmadi",
}


@dataclass(frozen=True)
class Customer:
    name: str
    contact: str
    us: bool  # US customers call in the Berlin evening (or, rarely, at dawn)


CUSTOMERS = (
    Customer("Globex", "hank.scorpio@globex.example", us=True),
    Customer("Initech", "bill.lumbergh@initech.example", us=True),
    Customer("Umbrella", "a.wesker@umbrella.example", us=False),
    Customer("Stark Logistics", "pepper@stark-logistics.example", us=False),
    Customer("Wayne Retail", "lucius.fox@wayne-retail.example", us=False),
)
VENDORS = (("Datadog", "ae@datadog.example"), ("Snowflake", "se@snowflake.example"))
ROLES = ("Senior Backend Engineer", "Engineering Manager", "Staff Data Engineer",
         "Product Designer", "Site Reliability Engineer")
FIRST_NAMES = ("Amira", "Ben", "Chiara", "David", "Elif", "Felix", "Grace", "Hiro", "Ines",
               "Jakub", "Kofi", "Lara", "Marek", "Noah", "Olga", "Pablo", "Rosa", "Tariq")
LAST_NAMES = ("Becker", "Costa", "Dubois", "Eriksen", "Fontaine", "Gupta", "Horvat", "Ivanova",
              "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okoye", "Petrov", "Quinn")
DAY_SLOTS = ("10:00", "10:30", "11:00", "11:30", "13:00", "13:30", "14:00", "14:30", "15:00",
             "15:30", "16:00", "16:30")


# ---------------------------------------------------------------- time helpers


def at(day: date, hhmm: str) -> datetime:
    """Local wall-clock time in Berlin (the generator never uses 02:00–03:00: DST gaps)."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def days_between(first: date, last: date) -> Iterator[date]:
    day = first
    while day < last:
        yield day
        day += timedelta(days=1)


def easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, (b, c) = year % 19, divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def ahead(rng: random.Random, start: datetime, low_days: int, high_days: int) -> datetime:
    """CREATED for something planned ahead: `low_days`–`high_days` before `start`, in UTC."""
    delta = timedelta(days=rng.randint(low_days, high_days), minutes=rng.randrange(0, 600, 7))
    return (start - delta).astimezone(UTC)


def short_notice(rng: random.Random, start: datetime, low_min: int, high_min: int) -> datetime:
    """CREATED for something urgent: a few minutes to hours before `start`, in UTC."""
    return (start - timedelta(minutes=rng.randint(low_min, high_min))).astimezone(UTC)


# ---------------------------------------------------------------- events


@dataclass
class Item:
    """One VEVENT to write; `people` are the attendees other than the owner."""

    uid: str
    title: str
    start: datetime | date
    end: datetime | date
    organizer: str | None = None
    people: tuple[str, ...] = ()
    response: str = "ACCEPTED"  # the owner's PARTSTAT, written when there are attendees
    rooms: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    location: str | None = None
    description: str | None = None
    created: datetime | None = None
    transparent: bool = False
    busystatus: str | None = None  # X-MICROSOFT-CDO-BUSYSTATUS (OOF = out of office)
    status: str | None = None
    rrule: str | None = None
    exdates: list[datetime | date] = field(default_factory=list)
    recurrence_id: datetime | date | None = None
    sequence: int = 0
    duration: bool = False  # write DURATION instead of DTEND
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def busy(self) -> bool:
        """Whether it takes the owner's time (for placing one-offs plausibly)."""
        return (isinstance(self.start, datetime) and not self.transparent
                and self.response != "DECLINED" and self.status != "CANCELLED")

    @property
    def instant(self) -> datetime:
        start = self.start
        return start if isinstance(start, datetime) else at(start, "00:00")


def address(email: str, **params: str) -> vCalAddress:
    return vCalAddress.new(email, cn=NAMES.get(email), **params)


def put_time(event: Event, name: str, values: list[datetime | date], style: str) -> None:
    """Write DTSTART/DTEND/EXDATE/RECURRENCE-ID the way the calendar's client would."""
    value: object = values if name == "exdate" else values[0]
    if not isinstance(values[0], datetime) or style == "tzid":
        event.add(name, value)
    elif style == "utc":
        utc = [v.astimezone(UTC) for v in values]
        event.add(name, utc if name == "exdate" else utc[0])
    else:  # "windows": wall-clock time with a Windows zone name, as Outlook writes it
        naive = [v.replace(tzinfo=None) for v in values]
        event.add(name, naive if name == "exdate" else naive[0],
                  parameters={"TZID": WINDOWS_TZID})


def add_people(event: Event, item: Item) -> None:
    if item.organizer:
        event.add("organizer", address(item.organizer))
    if not item.people and not item.rooms:
        return
    event.add("attendee", address(OWNER, partstat=item.response))
    for person in item.people:  # ROLE defaults to REQ-PARTICIPANT (RFC 5545 §3.2.16)
        event.add("attendee", address(person, partstat="ACCEPTED"))
    for room in item.rooms:
        event.add("attendee", address(room, cutype="ROOM", partstat="ACCEPTED",
                                      role="NON-PARTICIPANT"))


def to_event(item: Item, style: str) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", item.created or EXPORTED)
    put_time(event, "dtstart", [item.start], style)
    if item.duration:
        event.add("duration", item.end - item.start)
    else:
        put_time(event, "dtend", [item.end], style)
    if item.recurrence_id is not None:
        put_time(event, "recurrence-id", [item.recurrence_id], style)
    if item.rrule:
        event.add("rrule", vRecur.from_ical(item.rrule))
    if item.exdates:
        put_time(event, "exdate", sorted(item.exdates, key=str), style)
    event.add("summary", item.title)
    optional = (("location", item.location), ("description", item.description),
                ("status", item.status), ("created", item.created),
                ("sequence", item.sequence), ("x-microsoft-cdo-busystatus", item.busystatus))
    for name, value in optional:
        if value:
            event.add(name, value)
    if item.categories:
        event.add("categories", list(item.categories))
    event.add("transp", "TRANSPARENT" if item.transparent else "OPAQUE")
    add_people(event, item)
    for name, value in item.extra:
        event.add(name, value)
    return event


# ---------------------------------------------------------------- recurrence


@dataclass(frozen=True)
class Rhythm:
    """An RRULE and the same rule as a predicate, to put exceptions on real occurrences."""

    rrule: str
    occurs: Callable[[date], bool]


def weekly(*days: int, every: int = 1, anchor: date = FIRST_DAY) -> Rhythm:
    """Every `every` weeks on `days`; `anchor` is the Monday of a week that has them."""
    interval = f"INTERVAL={every};" if every > 1 else ""
    rule = f"FREQ=WEEKLY;{interval}BYDAY={','.join(BYDAY[d] for d in days)}"
    return Rhythm(rule, lambda d: d.weekday() in days and ((d - anchor).days // 7) % every == 0)


def monthly(nth: int, weekday: int, every: int = 1, first_month: int = 1) -> Rhythm:
    """The `nth` (-1 = last) `weekday` of every `every` months, counted from `first_month`."""

    def occurs(d: date) -> bool:
        if d.weekday() != weekday or (d.month - first_month) % every:
            return False
        if nth > 0:
            return (d.day - 1) // 7 == nth - 1
        return (d + timedelta(days=7)).month != d.month

    interval = f"INTERVAL={every};" if every > 1 else ""
    return Rhythm(f"FREQ=MONTHLY;{interval}BYDAY={nth}{BYDAY[weekday]}", occurs)


def month_day(day: int) -> Rhythm:
    return Rhythm(f"FREQ=MONTHLY;BYMONTHDAY={day}", lambda d: d.day == day)


def yearly(month: int, day: int) -> Rhythm:
    return Rhythm("FREQ=YEARLY", lambda d: (d.month, d.day) == (month, day))


@dataclass
class Series:
    """A recurring event: its master VEVENT, its rhythm and its exceptions."""

    master: Item
    rhythm: Rhythm
    overrides: list[Item] = field(default_factory=list)
    touched: set[date] = field(default_factory=set)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.master.start, datetime)

    def dates(self) -> list[date]:
        first = self.master.instant.date()
        return [d for d in days_between(first, LAST_DAY) if self.rhythm.occurs(d)]

    def span_on(self, day: date) -> tuple[datetime | date, datetime | date]:
        start, end = self.master.start, self.master.end
        if isinstance(start, datetime) and isinstance(end, datetime):
            begins = at(day, f"{start:%H:%M}")
            return begins, begins + (end - start)
        return day, day + (end - start)

    def skip(self, day: date) -> None:
        """EXDATE one occurrence (RFC 5545 §3.8.5.1)."""
        if day not in self.touched:
            self.touched.add(day)
            self.master.exdates.append(self.span_on(day)[0])

    def move(self, day: date, start: datetime | None = None, end: datetime | None = None,
             **changes: object) -> None:
        """Override one occurrence with RECURRENCE-ID (RFC 5545 §3.8.4.4)."""
        if day in self.touched:
            return
        self.touched.add(day)
        original_start, original_end = self.span_on(day)
        self.overrides.append(replace(
            self.master, start=start or original_start, end=end or original_end,
            recurrence_id=original_start, rrule=None, exdates=[], sequence=1,
            **changes,
        ))

    def occurrences(self) -> Iterator[Item]:
        """The occurrences as the calendar will show them (for the generator's agenda)."""
        for day in self.dates():
            if day not in self.touched:
                start, end = self.span_on(day)
                yield replace(self.master, start=start, end=end, rrule=None, exdates=[])
        yield from self.overrides

    def items(self) -> list[Item]:
        return [self.master, *self.overrides]


def make_series(key: str, title: str, hours: str | None, rhythm: Rhythm,
                **fields: object) -> Series:
    """A series starting on the rhythm's first day on or after FIRST_DAY; `hours` "HH:MM-HH:MM"
    (None = all day)."""
    first = next(d for d in days_between(FIRST_DAY, LAST_DAY) if rhythm.occurs(d))
    start: datetime | date = first
    end: datetime | date = first + timedelta(days=1)
    if hours:
        begin, finish = hours.split("-")
        start, end = at(first, begin), at(first, finish)
    fields.setdefault("created", EXPORTED)
    master = Item(uid=f"{key}@{UID_DOMAIN}", title=title, start=start, end=end,
                  rrule=rhythm.rrule, **fields)
    return Series(master, rhythm)


def one_per_month(series: Series, rng: random.Random, every: int = 1, offset: int = 0,
                  weekdays: tuple[int, ...] = (MO, TU, WE, TH, FR, SA, SU)) -> list[date]:
    """One untouched occurrence (on one of `weekdays`) per `every` months, at random."""
    by_month: dict[tuple[int, int], list[date]] = defaultdict(list)
    for day in series.dates():
        if day not in series.touched and day.weekday() in weekdays:
            by_month[(day.year, day.month)].append(day)
    return [rng.choice(by_month[month]) for index, month in enumerate(sorted(by_month))
            if index % every == offset % every]


# ---------------------------------------------------------------- time off


@dataclass
class Plan:
    """Holidays, vacations and out-of-office time, shared by the work and family calendars."""

    holidays: dict[date, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)  # work all-day / timed OOO entries
    work_off: set[date] = field(default_factory=set)  # days without work
    vacation_days: set[date] = field(default_factory=set)  # single "Vacation" days
    afternoons: set[date] = field(default_factory=set)  # timed OOO from 13:00
    long_days: set[date] = field(default_factory=set)  # on site at a customer, dinner after
    family_away: set[date] = field(default_factory=set)  # the family is travelling
    school_off: set[date] = field(default_factory=set)  # no school run, no training
    family_items: list[Item] = field(default_factory=list)


FIXED_HOLIDAYS = {(1, 1): "New Year's Day", (3, 8): "International Women's Day (Berlin)",
                  (5, 1): "Labour Day", (10, 3): "German Unity Day", (12, 25): "Christmas Day",
                  (12, 26): "Second Day of Christmas"}
EASTER_HOLIDAYS = {-2: "Good Friday", 1: "Easter Monday", 39: "Ascension Day",
                   50: "Whit Monday"}


def add_holidays(plan: Plan) -> None:
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        for (month, day), name in FIXED_HOLIDAYS.items():
            plan.holidays[date(year, month, day)] = name
        for shift, name in EASTER_HOLIDAYS.items():
            plan.holidays[easter(year) + timedelta(days=shift)] = name
    for day in plan.holidays:
        if day.weekday() < SA:
            plan.work_off.add(day)
            plan.school_off.add(day)
    for day, name in sorted(plan.holidays.items()):
        if (day.month, day.day) not in FIXED_HOLIDAYS and FIRST_DAY <= day < LAST_DAY:
            plan.items.append(Item(
                uid=f"holiday-{day:%Y%m%d}@{UID_DOMAIN}", title=f"Holiday: {name}", start=day,
                end=day + timedelta(days=1), transparent=True, categories=("Holiday",),
                created=EXPORTED))


def add_vacation(plan: Plan, first: date, last: date, title: str, *, family: str | None,
                 oof: bool = True) -> None:
    """A work vacation from `first` to `last` (inclusive) and the family trip around it."""
    plan.items.append(Item(
        uid=f"vacation-{first:%Y%m%d}@{UID_DOMAIN}", title=title, start=first,
        end=last + timedelta(days=1), transparent=not oof, busystatus="OOF" if oof else None,
        created=at(first, "09:00").astimezone(UTC) - timedelta(days=60)))
    days = set(days_between(first, last + timedelta(days=1)))
    plan.work_off |= days
    plan.school_off |= days
    if family:
        trip_first = first - timedelta(days=(first.weekday() + 2) % 7)  # the Saturday before
        trip_last = last + timedelta(days=(SU - last.weekday()) % 7)  # the Sunday after
        plan.family_away |= set(days_between(trip_first, trip_last + timedelta(days=1)))
        plan.family_items.append(Item(
            uid=f"trip-{trip_first:%Y%m%d}@{UID_DOMAIN}", title=family, start=trip_first,
            end=trip_last + timedelta(days=1), categories=("Family", "Travel"),
            created=at(first, "20:00").astimezone(UTC) - timedelta(days=90)))


def add_big_vacations(plan: Plan, rng: random.Random) -> None:
    for year in range(FIRST_DAY.year, LAST_DAY.year):
        christmas = date(year, 12, 23)
        if christmas.weekday() >= SA:
            christmas += timedelta(days=7 - christmas.weekday())
        add_vacation(plan, christmas, date(year + 1, 1, 2) - timedelta(days=1),
                     "Vacation – Christmas break", family=None, oof=False)
        plan.family_items.append(Item(
            uid=f"christmas-{year}@{UID_DOMAIN}", title="Christmas at Oma & Opa's (Hamburg)",
            start=date(year, 12, 24), end=date(year, 12, 27), categories=("Family",),
            created=datetime(year, 10, 1, 19, 0, tzinfo=UTC)))
        plan.family_away |= set(days_between(date(year, 12, 24), date(year, 12, 27)))
        if year == FIRST_DAY.year:
            continue
        first = date(year, 7, 14) + timedelta(days=-date(year, 7, 14).weekday() % 7)
        first += timedelta(weeks=rng.randint(0, 3))
        place = rng.choice(("Usedom", "Lake Garda", "Bornholm", "the Alps"))
        add_vacation(plan, first, first + timedelta(days=11), f"Vacation – summer ({place})",
                     family=f"Summer holiday – {place}")
        autumn = date(year, 10, 20) + timedelta(days=-date(year, 10, 20).weekday() % 7)
        plan.school_off |= set(days_between(autumn, autumn + timedelta(days=5)))


def add_single_day_off(plan: Plan, rng: random.Random, day: date) -> None:
    """Every ~6 weeks: a vacation day, a sick day, a conference or a timed OOO afternoon."""
    kind = rng.choices(("vacation", "conference", "afternoon", "sick"), (4, 2, 3, 1))[0]
    uid = f"ooo-{day:%Y%m%d}@{UID_DOMAIN}"
    if kind == "vacation":
        day += timedelta(days=FR - day.weekday())  # a long weekend
        plan.items.append(Item(uid=f"ooo-{day:%Y%m%d}@{UID_DOMAIN}", title="Vacation", start=day,
                               end=day + timedelta(days=1), transparent=True,
                               created=ahead(rng, at(day, "09:00"), 14, 40)))
        plan.work_off.add(day)
        plan.vacation_days.add(day)
        place = rng.choice(("Spreewald", "Leipzig", "Baltic coast", "Dresden", "Harz"))
        plan.family_away |= set(days_between(day, day + timedelta(days=3)))
        plan.family_items.append(Item(
            uid=f"longweekend-{day:%Y%m%d}@{UID_DOMAIN}", title=f"Long weekend – {place}",
            start=day, end=day + timedelta(days=3), categories=("Family", "Travel"),
            created=ahead(rng, at(day, "09:00"), 14, 40)))
    elif kind == "conference":
        day += timedelta(days=TU - day.weekday())
        name = rng.choice(("QCon London", "LeadDev Berlin", "Craft Budapest", "KubeCon Paris",
                           "GOTO Amsterdam"))
        plan.items.append(Item(uid=uid, title=f"Out of office – conference ({name})",
                               start=day, end=day + timedelta(days=2), busystatus="OOF",
                               categories=("Conference",), created=ahead(rng, at(day, "09:00"),
                                                                         30, 90)))
        plan.work_off |= {day, day + timedelta(days=1)}
    elif kind == "afternoon":
        day += timedelta(days=rng.choice((MO, TU, TH)) - day.weekday())
        title = rng.choice(("OOO – Leo's school sports day", "OOO – Mia's school concert",
                            "OOO – moving day (Oma's flat)", "OOO – doctor's appointment"))
        plan.items.append(Item(uid=uid, title=title, start=at(day, "13:00"),
                               end=at(day, "17:30"), busystatus="OOF",
                               created=ahead(rng, at(day, "13:00"), 5, 20)))
        plan.afternoons.add(day)
    else:
        day += timedelta(days=rng.choice((MO, TU, WE, TH)) - day.weekday())
        plan.items.append(Item(uid=uid, title="Sick day", start=day, end=day + timedelta(days=1),
                               transparent=True, created=at(day, "07:40").astimezone(UTC)))
        plan.work_off.add(day)


def add_weekend_trips(plan: Plan, rng: random.Random) -> None:
    """Every two or three months the family goes away for a weekend (Saturday–Sunday)."""
    saturday = FIRST_DAY + timedelta(days=SA + 7 * 5)
    while saturday < LAST_DAY:
        weekend = {saturday, saturday + timedelta(days=1)}
        if not weekend & plan.family_away:
            place = rng.choice(("Spreewald", "Usedom", "Harz", "Leipzig", "Rügen", "Potsdam"))
            plan.family_away |= weekend
            plan.family_items.append(Item(
                uid=f"weekend-trip-{saturday:%Y%m%d}@{UID_DOMAIN}",
                title=f"Weekend trip – {place}", start=saturday,
                end=saturday + timedelta(days=2), categories=("Family", "Travel"),
                created=ahead(rng, at(saturday, "09:00"), 20, 60)))
        saturday += timedelta(weeks=rng.randint(8, 12))


def plan_time_off(rng: random.Random) -> Plan:
    plan = Plan()
    add_holidays(plan)
    add_big_vacations(plan, rng)
    monday = FIRST_DAY + timedelta(weeks=3)
    while monday < LAST_DAY - timedelta(weeks=1):
        week = set(days_between(monday, monday + timedelta(days=5)))
        if not week & (plan.work_off | plan.family_away):
            add_single_day_off(plan, rng, monday)
        monday += timedelta(weeks=rng.randint(5, 7))
    add_weekend_trips(plan, rng)
    monday = FIRST_DAY + timedelta(weeks=2)
    while monday < LAST_DAY:
        day = monday + timedelta(days=rng.choice((TU, TH)))
        last_tuesday = day.weekday() == TU and (day + timedelta(days=7)).month != day.month
        if day not in plan.work_off | plan.afternoons and not last_tuesday:  # board, L&L
            plan.long_days.add(day)
        monday += timedelta(weeks=rng.randint(5, 8))
    return plan


# ---------------------------------------------------------------- placing one-offs


class Agenda:
    """Busy minutes per day, so one-offs land mostly in free slots (and sometimes don't)."""

    def __init__(self) -> None:
        self.busy: dict[date, list[tuple[int, int]]] = defaultdict(list)

    def add(self, item: Item) -> None:
        if item.busy:
            start, end = item.start, item.end
            assert isinstance(start, datetime)
            assert isinstance(end, datetime)
            last = end.hour * 60 + end.minute if end.date() == start.date() else 24 * 60
            self.busy[start.date()].append((start.hour * 60 + start.minute, last))

    def is_free(self, day: date, start: int, minutes: int) -> bool:
        return all(end <= start or begin >= start + minutes for begin, end in self.busy[day])

    def place(self, rng: random.Random, day: date, minutes: int, slots: tuple[str, ...],
              overlap: float = 0.1) -> datetime | None:
        """A start among `slots`: a free one, or with probability `overlap` any (double booking)."""
        order = list(slots)
        rng.shuffle(order)
        if rng.random() < overlap:
            return at(day, order[0])
        for slot in order:
            hour, minute = (int(part) for part in slot.split(":"))
            if self.is_free(day, hour * 60 + minute, minutes):
                return at(day, slot)
        return None


@dataclass
class Week:
    """One week of one-offs for one calendar."""

    monday: date
    rng: random.Random
    agenda: Agenda
    off: set[date]
    items: list[Item] = field(default_factory=list)

    @property
    def workdays(self) -> list[date]:
        days = (self.monday + timedelta(days=i) for i in range(5))
        return [d for d in days if d not in self.off]

    def pick_day(self, weights: tuple[float, ...] = (1, 1, 0.25, 1, 0.8)) -> date | None:
        """A working day; Wednesday is the no-meeting day, so it is picked rarely."""
        days = [d for d in self.workdays if weights[d.weekday()] > 0]
        if not days:
            return None
        return self.rng.choices(days, [weights[d.weekday()] for d in days])[0]

    def add(self, kind: str, title: str, start: datetime, minutes: int, **fields: object) -> Item:
        item = Item(uid=f"{kind}-{start:%Y%m%dT%H%M}-{len(self.items)}@{UID_DOMAIN}",
                    title=title, start=start, end=start + timedelta(minutes=minutes),
                    **fields)
        self.items.append(item)
        self.agenda.add(item)
        return item

    def slot(self, minutes: int, slots: tuple[str, ...] = DAY_SLOTS, overlap: float = 0.1,
             day: date | None = None) -> datetime | None:
        day = day or self.pick_day()
        return None if day is None else self.agenda.place(self.rng, day, minutes, slots, overlap)


# ---------------------------------------------------------------- work.ics


def work_series() -> dict[str, Series]:
    team_and_pm = (*TEAM, MEI)
    second_week = FIRST_DAY + timedelta(weeks=1)
    series = [
        make_series("weekly-planning", "Weekly planning", "09:00-09:30", weekly(MO),
                    organizer=OWNER, categories=("Planning",)),
        make_series("triage", "Inbox & Slack triage", "09:00-09:30", weekly(TU, TH, FR),
                    organizer=OWNER),
        make_series("standup", "Daily standup", "09:30-09:45", weekly(MO, TU, TH, FR),
                    organizer=OWNER, people=team_and_pm, location="Team corner / Zoom",
                    description="No standup on Wednesdays (no-meeting day): post in #team."),
        make_series("leadership-sync", "Engineering leadership sync", "16:00-17:00",
                    weekly(MO), organizer=DANA, people=(DANA, RAVI, JULIA), rooms=(TURING,)),
        make_series("ops-review", "Ops review", "14:30-15:00", weekly(TU), organizer=SAM,
                    people=(SAM, JONAS, TOMAS), location="Zoom", categories=("Operations",)),
        make_series("product-eng-sync", "Product / engineering sync", "10:00-10:30", weekly(TH),
                    organizer=MEI, people=(MEI,)),
        make_series("one-on-one-sam", "1:1 Alex / Sam", "14:00-14:30", weekly(MO),
                    organizer=OWNER, people=(SAM,)),
        make_series("one-on-one-priya", "1:1 Alex / Priya", "11:00-11:30", weekly(TU),
                    organizer=OWNER, people=(PRIYA,)),
        make_series("one-on-one-jonas", "1:1 Alex / Jonas", "11:30-12:00", weekly(TH),
                    organizer=OWNER, people=(JONAS,)),
        make_series("one-on-one-dana", "1:1 Dana / Alex", "13:30-14:15", weekly(FR, every=2),
                    organizer=DANA, people=(DANA,)),
        make_series("sprint-planning", "Sprint planning", "10:00-11:30", weekly(MO, every=2),
                    organizer=MEI, people=team_and_pm, rooms=(KEPLER,), categories=("Sprint",)),
        make_series("sprint-retro", "Sprint retro", "14:30-15:30",
                    weekly(FR, every=2, anchor=second_week), organizer=MEI, people=team_and_pm,
                    rooms=(KEPLER,), categories=("Sprint",)),
        make_series("team-sync", "Team sync", "14:00-15:00", weekly(TH), organizer=OWNER,
                    people=team_and_pm, rooms=(TURING,)),
        make_series("all-hands", "Acme all-hands", "16:00-17:00", monthly(1, TH),
                    organizer=KIM, people=(ALL_HANDS,), location="Cafeteria + livestream",
                    categories=("Company",)),
        make_series("focus-wednesday", "Focus: deep work", "13:00-15:00", weekly(WE),
                    organizer=OWNER, categories=("Focus",), busystatus="BUSY"),
        make_series("focus-friday", "Focus block – writing & reviews", "10:00-12:00",
                    weekly(FR), organizer=OWNER, categories=("Focus",)),
        make_series("board-review", "Quarterly board review", "14:00-17:00",
                    monthly(-1, TU, every=3), organizer=KIM, people=(KIM, DANA, RAFAEL),
                    rooms=(BOARDROOM,), categories=("Board",)),
        make_series("architecture-guild", "Architecture guild", "16:00-17:00",
                    weekly(WE, every=2), organizer=JONAS, people=(JONAS, TOMAS, AYLIN),
                    response="DECLINED", rooms=(TURING,)),
        make_series("product-council", "Product council", "16:30-17:30", weekly(TH),
                    organizer=MEI, people=(MEI, DANA, PRIYA), response="TENTATIVE"),
        make_series("lunch-and-learn", "Lunch & learn", "12:00-13:00", monthly(-1, TU),
                    organizer=PEOPLE_TEAM, people=(PEOPLE_TEAM,), response="NEEDS-ACTION",
                    categories=("Learning",), location="Cafeteria"),
        make_series("team-lunch", "Team lunch", "12:00-13:30", monthly(-1, FR),
                    organizer=OWNER, people=team_and_pm, location="Markthalle Neun",
                    categories=("Team",)),
        make_series("hiring-sync", "Hiring sync with TalentBridge", "16:00-16:30",
                    weekly(TU, every=2), organizer=RECRUITER, people=(RECRUITER, PRIYA),
                    categories=("Hiring",)),
        make_series("timesheet-reminder", "Reminder: submit timesheet", "16:45-17:00",
                    weekly(FR), transparent=True, duration=True),
        make_series("expenses-due", "Expenses due", None, month_day(25), transparent=True,
                    categories=("Admin",)),
    ]
    for (month, day), name in FIXED_HOLIDAYS.items():
        key = "holiday-" + name.lower().split(" (")[0].replace(" ", "-").replace("'", "")
        series.append(make_series(key, f"Holiday: {name}", None, yearly(month, day),
                                  transparent=True, categories=("Holiday",)))
    return {s.master.uid.split("@")[0]: s for s in series}


def add_time_off_to_work(series: dict[str, Series], plan: Plan, rng: random.Random) -> None:
    """Cancel what falls on days off; now and then the standup survives a vacation day."""
    for s in series.values():
        if s.all_day:
            continue
        for day in s.dates():
            forgotten = day in plan.vacation_days and s is series["standup"]
            hour = s.span_on(day)[0].hour
            if ((day in plan.work_off and not (forgotten and rng.random() < 0.3))
                    or (day in plan.afternoons and hour >= 13)
                    or (day in plan.long_days and hour < 17)):
                s.skip(day)


def add_work_exceptions(series: dict[str, Series], plan: Plan, rng: random.Random) -> None:
    standup = series["standup"]
    for day in one_per_month(standup, rng):
        standup.skip(day)
    for day in one_per_month(standup, rng):
        new = rng.choice(("09:00", "10:30", "11:00"))
        standup.move(day, at(day, new), at(day, new) + timedelta(minutes=15),
                     title=rng.choice(("Daily standup", "Daily standup (moved – release)")))
    sam = series["one-on-one-sam"]
    for day in one_per_month(sam, rng):
        sam.move(day, end=at(day, "14:45"), title="Walking 1:1 with Sam",
                 location="Tiergarten – meet at the Großer Stern")
    for offset, key in enumerate(("one-on-one-priya", "one-on-one-jonas")):
        one_on_one = series[key]
        for day in one_per_month(one_on_one, rng, every=2, offset=offset):
            one_on_one.skip(day)
        for day in one_per_month(one_on_one, rng, every=2, offset=offset + 1):
            one_on_one.move(day, at(day, "15:30"), at(day, "16:00"))
    sync = series["team-sync"]
    for day in one_per_month(sync, rng, every=3):
        wednesday = day - timedelta(days=1)
        if wednesday not in plan.work_off:
            sync.move(day, at(wednesday, "10:00"), at(wednesday, "11:00"),
                      title="Team sync (moved – offsite on Thursday)")
    retro = series["sprint-retro"]
    for day in one_per_month(retro, rng, every=4):
        retro.move(day, status="CANCELLED")  # a cancelled instance, as Thunderbird writes it
    council = series["product-council"]
    for day in one_per_month(council, rng, every=2):
        council.move(day, response="ACCEPTED")


def add_interviews(w: Week) -> None:
    for _ in range(w.rng.choice((0, 1, 1, 1, 2, 2))):
        minutes = w.rng.choice((45, 60, 60))
        start = w.slot(minutes)
        if start is None:
            continue
        candidate = f"{w.rng.choice(FIRST_NAMES)} {w.rng.choice(LAST_NAMES)}"
        email = f"{candidate.lower().replace(' ', '.')}@mail.example"
        NAMES[email] = candidate
        in_room = w.rng.random() < 0.5
        w.add("interview", f"Interview: {w.rng.choice(ROLES)} – {candidate}", start, minutes,
              organizer=RECRUITER, people=(email, RECRUITER, w.rng.choice(TEAM)),
              rooms=(KEPLER,) if in_room else (), location=None if in_room else "Zoom",
              response=w.rng.choices(("ACCEPTED", "NEEDS-ACTION", "TENTATIVE"), (7, 2, 1))[0],
              categories=("Hiring",), created=ahead(w.rng, start, 2, 10))


def add_customer_calls(w: Week) -> None:
    topics = ("Weekly check-in", "Roadmap preview", "Contract renewal", "Escalation review",
              "Integration kick-off", "QBR")
    for _ in range(w.rng.choice((0, 1, 1, 2))):
        customer = w.rng.choice(CUSTOMERS)
        evening = customer.us and w.rng.random() < 0.5  # US afternoon = Berlin evening
        start = w.slot(45, ("18:00", "18:30") if evening else DAY_SLOTS, overlap=0.15)
        if start is None:
            continue
        title = f"{w.rng.choice(topics)} – {customer.name}"
        w.add("customer", title, start, 45, organizer=w.rng.choice((OWNER, customer.contact)),
              people=(customer.contact, w.rng.choice((MEI, SAM))), location="Google Meet",
              categories=("Customer",), created=ahead(w.rng, start, 3, 14))
    if w.rng.random() < 0.25:  # the 06:30 call that only works for the US West Coast
        day = w.pick_day()
        if day:
            start = at(day, "06:30")
            w.add("customer", "Call with Initech (US) – contract renewal", start, 45,
                  organizer="bill.lumbergh@initech.example",
                  people=("bill.lumbergh@initech.example",), location="Zoom",
                  categories=("Customer",), created=ahead(w.rng, start, 1, 4))


INTERNAL = (
    ("Budget review with Finance", (RAFAEL, DANA), 60),
    ("Roadmap review", (MEI, DANA, PRIYA), 60),
    ("Design review: checkout v2", (SAM, TOMAS, MEI), 60),
    ("Design review: event pipeline", (JONAS, AYLIN), 60),
    ("Skip-level with Tomás", (TOMAS,), 30),
    ("Skip-level with Aylin", (AYLIN,), 30),
    ("Performance calibration", (DANA, PRIYA), 90),
    ("Quarterly planning", (DANA, MEI, KIM), 120),
    ("Coffee chat with a new hire", (AYLIN,), 30),
    ("Security review", (JONAS, SAM), 45),
    ("Postmortem review", (*TEAM,), 60),
    ("Career conversation – Priya", (PRIYA,), 45),
)


def add_internal(w: Week) -> None:
    for _ in range(w.rng.choice((0, 1, 1, 2, 2))):
        title, people, minutes = w.rng.choice(INTERNAL)
        start = w.slot(minutes)
        if start is None:
            continue
        organizer = w.rng.choice((OWNER, people[0]))
        response = w.rng.choices(("ACCEPTED", "TENTATIVE", "NEEDS-ACTION"), (8, 1, 1))[0]
        w.add("meeting", title, start, minutes, organizer=organizer, people=people,
              response="ACCEPTED" if organizer == OWNER else response,
              rooms=(w.rng.choice((KEPLER, TURING)),) if len(people) > 2 else (),
              created=ahead(w.rng, start, 3, 21))
    if w.rng.random() < 0.2:
        vendor, contact = w.rng.choice(VENDORS)
        start = w.slot(45)
        if start:
            w.add("vendor", f"Vendor demo: {vendor}", start, 45, organizer=contact,
                  people=(contact, JONAS), response="NEEDS-ACTION",
                  created=ahead(w.rng, start, 5, 15))


def add_urgent(w: Week) -> None:
    """Short-notice work: escalations squeezed in (often on top of other meetings)."""
    if w.rng.random() < 0.4:
        title = w.rng.choice(("Escalation: Globex SLA breach", "Urgent: security patch review",
                              "Hotfix go/no-go", "Escalation: Umbrella data export"))
        start = w.slot(30, overlap=0.5)
        if start:
            w.add("urgent", title, start, 30, organizer=w.rng.choice((DANA, SAM, OWNER)),
                  people=(DANA, SAM, JONAS), created=short_notice(w.rng, start, 60, 30 * 60))


def add_evenings(w: Week) -> None:
    """Most weeks: one or two late-evening e-mail sessions or calls."""
    options = (("Catch up on e-mail", "21:00", 45, ()),
               ("Reply to board e-mails", "22:15", 30, ()),
               ("Quick call with Dana", "20:00", 20, (DANA,)),
               ("Review PRs", "21:30", 45, ()),
               ("Prep tomorrow's customer demo", "21:00", 60, ()))
    for _ in range(w.rng.choice((0, 1, 1, 1, 2))):
        day = w.pick_day((1, 1, 1, 1, 0.5))
        if day is None:
            continue
        title, hhmm, minutes, people = w.rng.choice(options)
        start = at(day, hhmm)
        w.add("evening", title, start, minutes, organizer=OWNER if people else None,
              people=people, created=short_notice(w.rng, start, 30, 600))


INCIDENTS = ("Incident: payments outage", "Incident: login errors spike",
             "Incident: search index lagging", "Incident: EU cluster degraded",
             "Incident: checkout latency")
INCIDENT_TIMES = (("21:30", 105), ("23:40", 90), ("19:40", 80), ("07:10", 80), ("14:05", 135),
                  ("04:15", 70))


def add_incident(w: Week) -> None:
    """Every few weeks something breaks, sometimes at night or on a weekend."""
    if w.rng.random() >= 0.3:
        return
    day = w.monday + timedelta(days=w.rng.randrange(7))
    if day in w.off:
        return
    hhmm, minutes = w.rng.choice(INCIDENT_TIMES)
    start = at(day, hhmm)
    w.add("incident", w.rng.choice(INCIDENTS), start, minutes, organizer=ONCALL,
          people=(ONCALL, SAM, JONAS), location="#inc-war-room / Zoom",
          categories=("Incident",), created=short_notice(w.rng, start, 3, 25))


def add_long_day(w: Week, long_days: set[date]) -> None:
    """Every ~6 weeks a day on site with the customer and dinner after (> 10 h span)."""
    day = next((d for d in w.workdays if d in long_days), None)
    if day is None:
        return
    customer = w.rng.choice(("Umbrella", "Stark Logistics", "Wayne Retail"))
    contact = next(c.contact for c in CUSTOMERS if c.name == customer)
    start = at(day, "08:00")
    w.add("workshop", f"Customer workshop – {customer} (on site)", start, 9 * 60,
          organizer=OWNER, people=(contact, MEI, SAM), categories=("Customer",),
          location="Hamburg", created=ahead(w.rng, start, 14, 30))
    w.add("dinner", f"Dinner with the {customer} team", at(day, "19:00"), 150,
          organizer=contact, people=(contact, MEI), location="Hamburg – Speicherstadt",
          categories=("Customer",), created=ahead(w.rng, start, 7, 20))


def add_weekend_work(w: Week) -> None:
    """The one weekend item of the month (called for one chosen week per month)."""
    saturday = w.monday + timedelta(days=SA)
    options = ("release", "metrics", "prep")
    kind = w.rng.choice(options)
    if kind == "release":
        start = at(saturday, "10:00")
        version = f"v{saturday.year - 2022}.{saturday.month}"
        w.add("release", f"Saturday release {version}", start, 210, organizer=SAM,
              people=(SAM, JONAS, TOMAS), categories=("Release",),
              created=ahead(w.rng, start, 5, 12))
    elif kind == "metrics":
        start = at(saturday + timedelta(days=1), "20:00")
        w.add("weekend", "Check release metrics", start, 30, created=ahead(w.rng, start, 0, 1))
    else:
        start = at(saturday + timedelta(days=1), "19:00")
        w.add("weekend", "Prep: Monday leadership sync", start, 90,
              created=ahead(w.rng, start, 0, 2))


def add_board_prep(w: Week, board_days: set[date]) -> None:
    """The Sunday evening before each quarterly board review goes into the deck."""
    for day in board_days:
        if w.monday <= day < w.monday + timedelta(days=7):
            start = at(w.monday - timedelta(days=1), "19:30")
            w.add("board-prep", "Board deck prep", start, 120, created=ahead(w.rng, start, 7, 14))


def add_meetup(w: Week) -> None:
    if w.rng.random() < 0.15:
        day = w.pick_day((0, 1, 0, 1, 0))
        if day:
            start = at(day, "19:00")
            w.add("meetup", "Meetup: Berlin Engineering Leaders", start, 150,
                  organizer="events@engleaders.example", people=("events@engleaders.example",),
                  response="TENTATIVE", categories=("Community",),
                  location="Factory Görlitzer Park",
                  created=ahead(w.rng, start, 10, 30))


def add_vacation_intrusion(w: Week) -> None:
    """A week fully off still gets a call or two (a `non_working_day` violation to find)."""
    if w.workdays:
        return
    for _ in range(w.rng.choice((1, 1, 2))):
        day = w.monday + timedelta(days=w.rng.randrange(5))
        title, hhmm, people = w.rng.choice((
            ("Quick check-in with Sam", "17:00", (SAM,)),
            ("Approve hotfix release", "20:00", (JONAS,)),
            ("Call with Dana – reorg news", "11:30", (DANA,))))
        start = at(day, hhmm)
        w.add("intrusion", title, start, 20, organizer=people[0], people=people,
              created=short_notice(w.rng, start, 60, 20 * 60))


def weekend_weeks(rng: random.Random, off: set[date]) -> set[date]:
    """The Monday of one week per month whose weekend gets a work item."""
    by_month: dict[tuple[int, int], list[date]] = defaultdict(list)
    for monday in days_between(FIRST_DAY, LAST_DAY):
        saturday = monday + timedelta(days=SA)
        if monday.weekday() == MO and saturday not in off:
            by_month[(saturday.year, saturday.month)].append(monday)
    return {rng.choice(mondays) for _, mondays in sorted(by_month.items())}


def build_work(plan: Plan, rng: random.Random) -> list[Item]:
    series = work_series()
    add_time_off_to_work(series, plan, rng)
    add_work_exceptions(series, plan, rng)
    agenda = Agenda()
    for s in series.values():
        for occurrence in s.occurrences():
            agenda.add(occurrence)
    for item in plan.items:
        agenda.add(item)
    board_days = {d for d in series["board-review"].dates()
                  if d not in series["board-review"].touched}
    weekends = weekend_weeks(rng, plan.work_off | plan.family_away)
    singles: list[Item] = []
    for monday in days_between(FIRST_DAY, LAST_DAY):
        if monday.weekday() != MO:
            continue
        week = Week(monday, rng, agenda, plan.work_off)
        for step in (add_interviews, add_customer_calls, add_internal, add_urgent,
                     add_evenings, add_incident, add_meetup,
                     add_vacation_intrusion):
            step(week)
        if monday in weekends:
            add_weekend_work(week)
        add_board_prep(week, board_days)
        add_long_day(week, plan.long_days)
        singles += week.items
    masters = [item for s in series.values() for item in s.items()]
    return masters + sorted(plan.items + singles, key=lambda i: (i.instant, i.uid))


# ---------------------------------------------------------------- family.ics


def family_series() -> dict[str, Series]:
    birthdays = (("mia-birthday", "Mia's birthday", 3, 14),
                 ("leo-birthday", "Leo's birthday", 9, 2),
                 ("jo-birthday", "Jo's birthday", 6, 21),
                 ("oma-birthday", "Oma Helga's birthday", 1, 30),
                 ("anniversary", "Wedding anniversary", 5, 24))
    series = [
        make_series("school-run", "School run (Alex)", "07:45-08:15", weekly(MO, WE, FR),
                    location="Grundschule am Weinberg"),
        make_series("football", "Leo – football training", "17:00-18:30", weekly(TU, TH),
                    location="Sportplatz Jahnpark", categories=("Kids",)),
        make_series("family-dinner", "Family dinner", "18:30-19:30",
                    weekly(MO, TU, WE, TH, FR)),
        make_series("gym", "Gym", "20:30-21:30", weekly(MO, TH), location="Urban Sports Club"),
        make_series("piano", "Mia – piano lesson", "16:15-17:00", weekly(WE),
                    categories=("Kids",)),
        make_series("swimming", "Leo – swimming course", "09:00-10:00", weekly(SA),
                    location="Stadtbad Mitte", categories=("Kids",)),
        make_series("groceries", "Groceries (weekly shop)", "11:00-12:00", weekly(SA)),
        make_series("date-night", "Date night", "19:30-22:30", monthly(2, FR)),
        make_series("brunch", "Sunday brunch with Oma & Opa", "11:00-14:00", monthly(-1, SU)),
        make_series("mentoring", "Mentoring coffee with Nora", "08:15-09:00",
                    weekly(TH, every=2), organizer=OWNER, people=(MENTEE,),
                    location="Café Einstein"),
    ]
    series += [make_series(key, title, None, yearly(month, day), transparent=True,
                           categories=("Birthday",)) for key, title, month, day in birthdays]
    return {s.master.uid.split("@")[0]: s for s in series}


SCHOOL_THINGS = ("school-run", "football", "piano", "swimming")


def add_family_exceptions(series: dict[str, Series], plan: Plan, rng: random.Random) -> None:
    for key, s in series.items():
        if s.all_day:
            continue
        for day in s.dates():
            if day in plan.family_away or (key in SCHOOL_THINGS and day in plan.school_off):
                s.skip(day)
    for day in one_per_month(series["football"], rng):
        series["football"].skip(day)  # rain, or the coach is ill
    football = series["football"]
    for day in one_per_month(football, rng, every=3):
        saturday = day + timedelta(days=SA - day.weekday())
        if saturday not in plan.family_away:
            football.move(day, at(saturday, "10:00"), at(saturday, "12:00"),
                          title="Leo – football match (away)", location="Sportplatz Köpenick")
    dinner = series["family-dinner"]
    for day in one_per_month(dinner, rng, weekdays=(MO, TU, WE, TH)):
        dinner.move(day, at(day, "19:30"), at(day, "20:15"),
                    title="Family dinner (late – Jo at choir)")
    for day in one_per_month(series["gym"], rng):
        series["gym"].skip(day)


ERRANDS = ("Pick up parcel (Packstation)", "Car service – Autohaus Schmidt",
           "Bürgeramt – new passport", "Haircut", "Pharmacy & dry cleaning",
           "Bike repair – pick up", "IKEA run", "Call the insurance about the bike",
           "Buy a birthday present for Emma")
DOCTORS = ("Dentist (Alex)", "Pediatrician – Leo check-up", "Pediatrician – Mia vaccination",
           "Physio (Alex) – back", "Dentist – kids' check-up", "Eye doctor (Jo)")
WEEKEND = ("Playground & picnic – Volkspark Friedrichshain", "Zoo with the kids",
           "Hike in Grunewald", "Museum für Naturkunde", "Flea market at Mauerpark",
           "Birthday party – Emma (Mia's friend)", "Bike tour along the Spree",
           "Kids' cinema matinee")
SEASONAL = {6: "Swimming at Müggelsee", 7: "Swimming at Müggelsee", 8: "Swimming at Müggelsee",
            10: "Pumpkin carving", 12: "Christmas market"}


TRIP_ACTIVITIES = {
    "summer": ("Beach day", "Boat trip", "Mini golf & ice cream", "Bike tour around the island",
               "Rainy day: aquarium", "Sandcastle contest", "Fish market & harbour walk"),
    "winter": ("Walk along the Elbe", "Board games with the cousins", "Ice skating",
               "Christmas lunch with the cousins", "Sledging (if there is snow)"),
    "other": ("Old town walk", "Thermal baths", "Castle tour", "Canoeing", "Museum visit"),
}


def add_trip_activities(w: Week) -> None:
    """Days away are not empty: the family does things (life time on a non-working day)."""
    for day in sorted(d for d in w.off if w.monday <= d < w.monday + timedelta(days=7)):
        if (day.month, day.day) == (12, 24):
            start = at(day, "17:00")
            w.add("trip", "Christmas Eve with the family", start, 300, categories=("Family",),
                  created=ahead(w.rng, start, 30, 60))
        elif w.rng.random() < 0.6:
            season = {7: "summer", 8: "summer", 12: "winter", 1: "winter"}.get(day.month, "other")
            start = at(day, w.rng.choice(("10:00", "11:00", "14:00", "15:00")))
            w.add("trip", w.rng.choice(TRIP_ACTIVITIES[season]), start,
                  w.rng.choice((120, 180, 240)), categories=("Family",),
                  created=ahead(w.rng, start, 0, 3))


def family_week(w: Week) -> None:
    rng = w.rng
    add_trip_activities(w)
    if rng.random() < 0.7:
        day = w.monday + timedelta(days=rng.randrange(6))
        hhmm = "12:15" if day.weekday() == SA else rng.choice(("12:30", "17:45", "08:30"))
        if day not in w.off:
            w.add("errand", rng.choice(ERRANDS), at(day, hhmm), 45,
                  created=ahead(rng, at(day, hhmm), 1, 10))
    if rng.random() < 0.2:
        day = w.pick_day((1, 1, 1, 1, 1))
        if day:
            start = at(day, rng.choice(("08:00", "15:00", "16:00")))
            w.add("doctor", rng.choice(DOCTORS), start, 45, categories=("Health",),
                  created=ahead(rng, start, 10, 45))
    weekend_family_items(w)
    if rng.random() < 0.12:
        day = w.pick_day((1, 1, 1, 1, 0))
        if day:
            start = at(day, "19:00")
            w.add("school", rng.choice(("Parent-teacher evening (Elternabend)",
                                        "School play – Mia on stage")), start, 90,
                  categories=("Kids",), created=ahead(rng, start, 10, 30))


def weekend_family_items(w: Week) -> None:
    rng = w.rng
    saturday = w.monday + timedelta(days=SA)
    if rng.random() < 0.85:
        day = saturday + timedelta(days=rng.choice((0, 1, 1)))
        if day not in w.off:
            options = (*WEEKEND, SEASONAL.get(day.month, "Visit Oma & Opa"))
            start = at(day, rng.choice(("10:30", "13:00", "14:30")))
            w.add("weekend", rng.choice(options), start, rng.choice((120, 180, 240)),
                  categories=("Family",), created=ahead(rng, start, 1, 14))
    if rng.random() < 0.25 and saturday not in w.off:
        start = at(saturday, "19:00")
        w.add("friends", rng.choice(("Friends over for dinner", "Dinner at Kai & Mara's")),
              start, 240, created=ahead(rng, start, 3, 20))


def build_family(plan: Plan, rng: random.Random) -> list[Item]:
    series = family_series()
    add_family_exceptions(series, plan, rng)
    agenda = Agenda()
    singles: list[Item] = []
    for year in range(FIRST_DAY.year + 1, LAST_DAY.year):
        party = date(year, 6, 1) + timedelta(days=(SA - date(year, 6, 1).weekday()) % 7 + 14)
        if party not in plan.family_away:
            singles.append(Item(
                uid=f"summer-party-{year}@{UID_DOMAIN}",
                title="Acme summer party (families welcome)", start=at(party, "14:00"),
                end=at(party, "18:00"), organizer=PEOPLE_TEAM, people=(PEOPLE_TEAM,),
                location="Acme roof terrace", created=datetime(year, 4, 2, 9, tzinfo=UTC)))
    for monday in days_between(FIRST_DAY, LAST_DAY):
        if monday.weekday() == MO:
            week = Week(monday, rng, agenda, plan.family_away)
            family_week(week)
            singles += week.items
    masters = [item for s in series.values() for item in s.items()]
    return masters + sorted(plan.family_items + singles, key=lambda i: (i.instant, i.uid))


# ---------------------------------------------------------------- side-project.ics


OUTLOOK_EXTRA = (("class", "PUBLIC"), ("priority", "5"), ("x-microsoft-cdo-importance", "1"))


def build_side_project(plan: Plan, rng: random.Random) -> list[Item]:
    ngo: dict[str, object] = {"organizer": NGO_CHAIR, "people": (NGO_CHAIR, NGO_BOARD),
                              "busystatus": "BUSY", "extra": OUTLOOK_EXTRA}
    board = make_series("ngo-board", "Board meeting – non-profit (Code Club Berlin)",
                        "19:30-21:00", monthly(2, TU), location="Code Club office, Wedding",
                        **ngo)
    dojo = make_series("ngo-dojo", "CoderDojo – mentoring kids", "10:00-12:30", monthly(1, SA),
                       location="Stadtbibliothek Pankow", **ngo)
    books = make_series("ngo-books", "Treasurer: monthly bookkeeping", "20:00-21:00",
                        monthly(-1, SU), organizer=OWNER, busystatus="BUSY", extra=OUTLOOK_EXTRA)
    for s in (board, dojo, books):
        for day in s.dates():
            if day.month == 8 or day in plan.family_away:
                s.skip(day)  # summer break
    for day in one_per_month(board, rng, every=6):
        wednesday = day + timedelta(days=1)
        board.move(day, at(wednesday, "19:00"), at(wednesday, "20:30"))
    singles = []
    for monday in days_between(FIRST_DAY, LAST_DAY):
        if monday.weekday() != MO or rng.random() >= 0.25:
            continue
        day = monday + timedelta(days=rng.randrange(5))
        if day in plan.family_away:
            continue
        title, hhmm, minutes = rng.choice((
            ("Grant application call – Stiftung Digitale Bildung", "20:00", 60),
            ("Sponsor call", "12:30", 30), ("Volunteer onboarding", "19:00", 90)))
        start = at(day, hhmm)
        singles.append(Item(
            uid=f"ngo-{start:%Y%m%dT%H%M}@{UID_DOMAIN}", title=title, start=start,
            end=start + timedelta(minutes=minutes), created=ahead(rng, start, 4, 20), **ngo))
    masters = [*board.items(), *dojo.items(), *books.items()]
    return masters + sorted(singles, key=lambda i: (i.instant, i.uid))


# ---------------------------------------------------------------- writing


BERLIN_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""

OUTLOOK_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def write_calendar(name: str, header: dict[str, str], items: list[Item], style: str,
                   vtimezone: str | None) -> int:
    calendar = Calendar()
    for key, value in header.items():
        calendar.add(key, value)
    if vtimezone:
        calendar.add_component(Timezone.from_ical(vtimezone.replace("\n", "\r\n")))
    for item in items:
        calendar.add_component(to_event(item, style))
    data = calendar.to_ical()
    (HERE / name).write_bytes(data)
    return len(data)


def evergreen_work() -> list[Item]:
    """Weekly habits that cross boundaries, from LAST_DAY on, with no end.

    The one-off incidents, late e-mails and weekend releases stop at LAST_DAY. So that the
    dashboard, which opens on the last complete week of whatever day it runs, still shows
    a believable week with boundary violations years later, these series start there (and
    only there: the weeks before LAST_DAY stay exactly as generated)."""
    first = LAST_DAY  # a Monday
    team = (SAM, PRIYA, JONAS)

    def series(key: str, title: str, day: int, hours: str, rhythm: Rhythm,
               **fields: object) -> Item:
        begin, finish = hours.split("-")
        start = at(first + timedelta(days=day), begin)
        return Item(uid=f"{key}@{UID_DOMAIN}", title=title, start=start,
                    end=at(first + timedelta(days=day), finish), rrule=rhythm.rrule,
                    created=EXPORTED, **fields)

    return [
        series("release-go-no-go", "Release go/no-go (US launch window)", TH, "19:00-20:00",
               weekly(TH), organizer=OWNER, people=team, location="Zoom"),
        series("on-call-review", "On-call review with the US team", TU, "22:30-23:15",
               weekly(TU, every=2), organizer=SAM, people=(SAM, TOMAS)),
        series("saturday-release", "Release watch", SA, "10:00-11:30", weekly(SA, every=3),
               organizer=JONAS, people=(JONAS, AYLIN), categories=("Release",)),
    ]


def main() -> None:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    plan = plan_time_off(rng)
    work = [*build_work(plan, rng), *evergreen_work()]
    family = build_family(plan, rng)
    side = build_side_project(plan, rng)
    written = {
        "work.ics": write_calendar("work.ics", {
            "prodid": "-//timeaudit//sample work calendar//EN", "version": "2.0",
            "calscale": "GREGORIAN", "method": "PUBLISH", "x-wr-calname": "Work",
        }, work, "tzid", BERLIN_VTIMEZONE),
        "family.ics": write_calendar("family.ics", {
            "prodid": "-//Google Inc//Google Calendar 70.9054//EN", "version": "2.0",
            "calscale": "GREGORIAN", "method": "PUBLISH", "x-wr-calname": "Family",
            "x-wr-timezone": "Europe/Berlin",
        }, family, "utc", None),
        "side-project.ics": write_calendar("side-project.ics", {
            "prodid": "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN", "version": "2.0",
            "method": "PUBLISH", "x-wr-calname": "Side project",
            "x-ms-olk-forceinspectoropen": "TRUE",
        }, side, "windows", OUTLOOK_VTIMEZONE),
    }
    for name, size in written.items():
        print(f"{name}: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
