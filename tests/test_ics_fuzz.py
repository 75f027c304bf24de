"""Fuzzing `read_ics` with damaged real calendars, and absurd recurrence rules.

Files of the shared corpus are mutated (cut at a random byte, bytes flipped, lines
dropped, duplicated or swapped, a property value replaced with junk); each result must
either read into a frame that passes `core.schema.validate_events` or raise
`InvalidCalendar` with a one-line message — never another exception, never a hang.

The default run is bounded for CI (60 examples over small and medium corpus files). For
a longer local session, raise the number of examples and, optionally, fuzz every corpus
file (the large ones and `malformed/` too)::

    TIMEAUDIT_FUZZ_EXAMPLES=5000 python3 tasks.py test tests/test_ics_fuzz.py
    TIMEAUDIT_FUZZ_EXAMPLES=5000 TIMEAUDIT_FUZZ_ALL_FILES=1 python3 tasks.py test \\
        tests/test_ics_fuzz.py

Hypothesis keeps failing examples in `.hypothesis/` and replays them first next time.
A hang shows up as a failure: on POSIX every example runs under a 60 s alarm. The
absurd-RRULE tests run in a child process that is killed after 60 s.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import queue
import re
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.ics import MAX_OCCURRENCES_PER_SERIES, CalendarWarning, read_ics
from core import schema as s
from core.errors import InvalidCalendar

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "ics-corpus"
BERLIN = "Europe/Berlin"
EXAMPLE_SECONDS = 60
CHILD_SECONDS = 60

# Small and medium files (≤ 16 KB, each read in well under 0.1 s) that between them
# have RRULE/RDATE/EXDATE, overrides (also THISANDFUTURE and orphans), VTIMEZONEs with
# Windows and custom names, X-WR-TIMEZONE, floating and all-day times, DURATION, bad
# encodings and attendees.
FUZZ_FILES = [
    "fastmail-cyrus__two-rrules.ics",
    "reservas__range-thisandfuture.ics",
    "google__lisbon-weekly-across-dst.ics",
    "exchange__daily-for-one-year.ics",
    "exchange__multi-exdate-one-line.ics",
    "lotus-notes__orphan-override-rdate-period.ics",
    "thunderbird__override-dtend-and-duration.ics",
    "exchange-cdo__tzid-with-escaped-comma.ics",
    "google__sydney-moved-instances.ics",
    "sabredav__floating-and-all-day.ics",
    "apple-ical__daily-count-exdate-brisbane.ics",
    "exchange__recurrence-id-mismatch.ics",
    "zimbra__rdate-period-empty-vtimezone.ics",
    "exchange__gmt-standard-time-weekly-overrides.ics",
    "exchange__attendees-partstat.ics",
    "office365__customized-time-zone.ics",
    "icloud__caldav-export.ics",
    "google__weekly-chicago-exdates-across-dst.ics",
    "thunderbird__overrides-same-time.ics",
    "apple-ical__christian-holidays.ics",
    "bloc-jp__mangled-utf8-multi-day.ics",
    "google__x-wr-timezone-utc-events.ics",
    "hackerpublicradio__rdate-x-wr-timezone.ics",
    "owncloud__mixed-floating-and-tz.ics",
    "sabredav__dtend-before-dtstart.ics",
]

JUNK_VALUES = [
    b"", b" ", b"-0011130T100000", b"99999999T999999Z", b"20260230", b"20261301T000000",
    b"20260101T250000", b"20260101T000000+0100", b"0", b"-1", b"PT-2H", b"P", b"PT", b"P1Y",
    b"P99999999W", b"FREQ=", b"FREQ=SECONDLY;INTERVAL=0", b"FREQ=DAILY;COUNT=-1",
    b"FREQ=DAILY;COUNT=0", b"FREQ=WEEKLY;BYDAY=XX", b"FREQ=MONTHLY;BYMONTHDAY=0",
    b"FREQ=YEARLY;BYMONTH=13", b"FREQ=DAILY;UNTIL=garbage", b"FREQ=HOURLY;BYSETPOS=0",
    b"FREQ=MINUTELY", b"FREQ=DAILY;INTERVAL=99999999999999999999",
    b"19700101T000000Z/19690101T000000Z", b"20260101T000000Z/PT-1H", b";;", b"\\", b'"',
    b"mailto:", b"MAILTO:@", b"TENTATIVE,CANCELLED", b"\x00", b"\xff\xfe", b"\xc3",
    b"BEGIN:VEVENT", b"END:VCALENDAR", b"BEGIN:VTIMEZONE", b"Europe/Nowhere", b"+5328",
    b"-0000", b"+2400", b"\r\n ", b"\r\nBEGIN:VALARM\r\nEND:VEVENT",
]

MUTATIONS = ["truncate", "flip", "drop", "duplicate", "swap", "junk"]


def _window(data: bytes) -> tuple[date, date]:
    """A year around the middle DTSTART of the file's VEVENTs, where its events are."""
    text = data.decode("latin-1")
    days = sorted(
        date(int(m[:4]), int(m[4:6]), int(m[6:8]))
        for block in re.findall(r"BEGIN:VEVENT(.*?)END:VEVENT", text, re.S)
        for m in re.findall(r"^DTSTART[^:\r\n]*:(\d{8})", block, re.M)
        if 1 <= int(m[4:6]) <= 12 and 1 <= int(m[6:8]) <= 28
    )
    middle = days[len(days) // 2] if days else date(2020, 1, 1)
    return middle - timedelta(days=60), middle + timedelta(days=305)


def _fuzz_files() -> list[str]:
    if os.environ.get("TIMEAUDIT_FUZZ_ALL_FILES"):
        return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.ics"))
    return FUZZ_FILES


# Without the corpus the `corpus` fixture skips these tests (and fails them under CI).
FILES = _fuzz_files() if CORPUS.is_dir() else ["(no corpus)"]
_BYTES: dict[str, bytes] = {}


def corpus_bytes(name: str) -> bytes:
    if name not in _BYTES:
        _BYTES[name] = (CORPUS / name).read_bytes()
    return _BYTES[name]


# ------------------------------------------------------------------ mutations


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def mutate(draw: st.DrawFn, data: bytes, how: str) -> bytes:
    if not data:
        return data
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1), label="cut at")]
    if how == "flip":
        flipped = bytearray(data)
        for _ in range(draw(st.integers(1, 8), label="flips")):
            at = draw(st.integers(0, len(flipped) - 1), label="flip at")
            flipped[at] ^= draw(st.integers(1, 255), label="xor")
        return bytes(flipped)
    lines = _lines(data)
    pick = st.integers(0, len(lines) - 1)
    if how == "drop":
        for _ in range(draw(st.integers(1, 3), label="drops")):
            if len(lines) > 1:
                del lines[draw(st.integers(0, len(lines) - 1), label="drop line")]
    elif how == "duplicate":
        line = lines[draw(pick, label="duplicate line")]
        lines.insert(draw(st.integers(0, len(lines)), label="insert at"), line)
    elif how == "swap":
        i, j = draw(pick, label="swap"), draw(pick, label="with")
        lines[i], lines[j] = lines[j], lines[i]
    else:  # junk: a property's value replaced
        with_value = [i for i, line in enumerate(lines) if b":" in line]
        if with_value:
            i = draw(st.sampled_from(with_value), label="junk line")
            name, _, rest = lines[i].partition(b":")
            ending = rest[len(rest.rstrip(b"\r\n")):]
            junk = draw(st.one_of(st.sampled_from(JUNK_VALUES), st.binary(max_size=24),
                                  st.text(max_size=24).map(str.encode)), label="junk")
            lines[i] = name + b":" + junk + ending
    return b"".join(lines)


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(FILES), label="file")
    data = corpus_bytes(name)
    for how in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4),
                    label="mutations"):
        data = mutate(draw, data, how)
    return name, data


# ------------------------------------------------------------------ hang guard


class Hang(BaseException):
    """An example ran longer than EXAMPLE_SECONDS (a BaseException: no `except Exception`
    in the code under test swallows it)."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise `Hang` in this (main) thread after ``seconds``; a no-op where SIGALRM is absent."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------------ the fuzz test


@pytest.fixture(autouse=True)
def _forget_fuzzed_timezones() -> Iterator[None]:
    yield
    icalendar.use_zoneinfo()


def read_fuzzed(name: str, data: bytes) -> None:
    """The property: a frame that passes validation, or a one-line `InvalidCalendar`.

    icalendar keeps every VTIMEZONE with a non-IANA TZID it parses in a process-global
    cache, and the first definition of a TZID wins for every later calendar (see
    test_ics_properties.py::test_a_calendar_does_not_change_how_the_next_one_is_read).
    A fuzzed "W. Europe Standard Time" with a damaged offset would then skew this and
    later tests, so the cache is emptied after each example (`icalendar.use_zoneinfo()`
    resets it).
    """
    try:
        _read_fuzzed(name, data)
    finally:
        icalendar.use_zoneinfo()


def _read_fuzzed(name: str, data: bytes) -> None:
    start, end = _window(corpus_bytes(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarWarning)  # skipped VEVENTs are expected
        try:
            with time_limit(EXAMPLE_SECONDS):
                frame = read_ics(data, start=start, end=end, tz=BERLIN,
                                 source="ics:fuzzed.ics", use_cache=False)
        except InvalidCalendar as error:
            message = str(error)
            assert message.startswith("ics:fuzzed.ics"), message
            if len(message.splitlines()) != 1:  # SPEC §9: one line on stderr
                raise UnprintableMessage(repr(message)) from None
            return
    s.validate_events(frame)


class UnprintableMessage(AssertionError):
    """An `InvalidCalendar` message that is not one line (CR, LF, U+2028 …)."""


@settings(
    max_examples=int(os.environ.get("TIMEAUDIT_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
@given(case=mutated_files())
def test_a_damaged_calendar_reads_or_raises_invalid_calendar(corpus: Path,
                                                             case: tuple[str, bytes]) -> None:
    name, data = case
    read_fuzzed(name, data)


@pytest.mark.parametrize("name", FUZZ_FILES)
def test_every_fuzzed_file_reads_unmutated(corpus: Path, name: str) -> None:
    """The baseline: each file chosen for fuzzing reads cleanly and has rows in its window."""
    start, end = _window(corpus_bytes(name))
    with warnings.catch_warnings():
        # The one file read with an assumption says so (its DTEND is before DTSTART).
        warnings.simplefilter("ignore" if name == "sabredav__dtend-before-dtstart.ics"
                              else "error")
        frame = read_ics(corpus_bytes(name), start=start, end=end, tz=BERLIN, use_cache=False)
    assert s.validate_events(frame).height > 0


# Hand-picked damage, run every time (the random search above varies from run to run).
@pytest.mark.parametrize(("name", "how"), [
    ("exchange__daily-for-one-year.ics", lambda d: d[: len(d) // 2]),
    ("exchange__daily-for-one-year.ics", lambda d: d.replace(b"UNTIL=20221111T093000Z;", b"")),
    ("reservas__range-thisandfuture.ics", lambda d: d.replace(b"RANGE=THISANDFUTURE", b"RANGE=")),
    ("google__sydney-moved-instances.ics", lambda d: d.replace(b"DTSTART", b"DTEND")),
    ("icloud__caldav-export.ics", lambda d: d.replace(b"END:VTIMEZONE", b"")),
    ("fastmail-cyrus__two-rrules.ics", lambda d: d.replace(b"RRULE:", b"RRULE:FREQ=SECONDLY;")),
], ids=["cut-in-half", "until-removed", "empty-range", "dtstart-renamed",
        "vtimezone-unterminated", "secondly-prefix"])
def test_known_damage(corpus: Path, name: str, how) -> None:
    read_fuzzed(name, how(corpus_bytes(name)))


TWO_UIDS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a@x\r\nUID:b@x\r\n"
    b"DTSTAMP:20260101T000000Z\r\nDTSTART:20260324T090000Z\r\nDTEND:20260324T100000Z\r\n"
    b"SUMMARY:two UIDs\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
TWO_TZIDS = (
    b"BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:A\r\nTZID:B\r\nEND:VTIMEZONE\r\n"
    b"END:VCALENDAR\r\n"
)
# From "BEGHN:VTIMEZONE" (one flipped byte) in lotus-notes__orphan-override-rdate-period.ics
END_VTIMEZONE_CLOSES_VCALENDAR = b"BEGIN:VCALENDAR\r\nTZID:E\r\nEND:VTIMEZONE\r\n"
BARE_CR = b"BEGIN:VCALENDAR\rX:1\r\nPRODID:x\r\nEND:VCALENDAR\r\n"
# From a duplicated DESCRIPTION continuation line in discourse__events-without-dtend.ics
FOLDED_AFTER_BEGIN = b"BEGIN:VCALENDAR\r\n one\\ntwo\r\nEND:VCALENDAR\r\n"


@pytest.mark.parametrize("rule", ["", "RRULE:FREQ=DAILY;COUNT=2\r\n"])
def test_a_vevent_with_two_uids(rule: str) -> None:
    """Found by fuzzing: a repeated UID line made the UID a list (ArrowTypeError)."""
    frame = read_ics(TWO_UIDS.replace(b"SUMMARY", rule.encode() + b"SUMMARY"),
                     start=date(2026, 3, 23), end=date(2026, 3, 30), tz=BERLIN,
                     use_cache=False)
    assert frame.height >= 1
    assert set(frame[s.EVENT_ID].str.split("@").list.first()) <= {"a"}


@pytest.mark.parametrize("data", [TWO_TZIDS, END_VTIMEZONE_CLOSES_VCALENDAR],
                         ids=["two-tzids", "end-vtimezone-closes-vcalendar"])
def test_a_parser_attribute_error_is_invalid_calendar(data: bytes) -> None:
    """Found by fuzzing: icalendar raised AttributeError past parse_calendar."""
    with pytest.raises(InvalidCalendar):
        read_ics(data, start=date(2026, 3, 23), end=date(2026, 3, 30), tz=BERLIN,
                 use_cache=False)


@pytest.mark.parametrize("data", [BARE_CR, FOLDED_AFTER_BEGIN], ids=["bare-cr", "folded"])
def test_an_error_message_is_one_line(data: bytes) -> None:
    """Found by fuzzing: a component name with a line break was echoed into the message."""
    with pytest.raises(InvalidCalendar) as raised:
        read_ics(data, start=date(2026, 3, 23), end=date(2026, 3, 30), tz=BERLIN,
                 use_cache=False)
    assert len(str(raised.value).splitlines()) == 1


# ------------------------------------------------------------------ absurd RRULEs


def absurd_calendar(dtstart: str, rule: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//timeaudit fuzz//EN\r\n"
        "BEGIN:VEVENT\r\nUID:absurd@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART{dtstart}\r\nRRULE:{rule}\r\nSUMMARY:absurd\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    ).encode()


def _read_in_child(cases: dict[str, bytes], start: date, end: date,
                   results: multiprocessing.Queue) -> None:
    for key, data in cases.items():
        try:
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                frame = read_ics(data, start=start, end=end, tz=BERLIN,
                                 source="ics:absurd.ics", use_cache=False)
            s.validate_events(frame)
            results.put((key, "ok", frame[s.START].to_list(), frame[s.EVENT_ID].n_unique(),
                         [f"{w.category.__name__}: {w.message}" for w in record]))
        except BaseException:  # reported to the parent, which fails the test
            results.put((key, "error", traceback.format_exc()))


def read_in_child(cases: dict[str, bytes], start: date, end: date) -> dict[str, tuple]:
    """`read_ics` of each case in one fresh process, killed after CHILD_SECONDS in all.

    Returns the answers by case; a case that is missing was still running (or never
    started) when the child was killed.
    """
    context = multiprocessing.get_context("spawn")  # no fork of polars' thread pool
    results = context.Queue()
    child = context.Process(target=_read_in_child, args=(cases, start, end, results),
                            daemon=True)
    child.start()
    answers: dict[str, tuple] = {}
    deadline = time.monotonic() + CHILD_SECONDS
    while len(answers) < len(cases):
        try:
            key, *answer = results.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        answers[key] = tuple(answer)
    child.join(max(deadline - time.monotonic(), 1))
    if child.is_alive():
        child.kill()
        child.join()
    return answers


WEEK = (date(2026, 3, 23), date(2026, 3, 30))  # Berlin; summer time starts on the 29th
ABSURD = {
    "secondly-count-1e9": (":19900101T000000Z", "FREQ=SECONDLY;COUNT=1000000000"),
    "minutely-no-end": (":19900101T000000Z", "FREQ=MINUTELY"),
    "secondly-berlin": (";TZID=Europe/Berlin:19900101T000000", "FREQ=SECONDLY;INTERVAL=1"),
    "minutely-floating-until-2099": (":19900101T000000", "FREQ=MINUTELY;UNTIL=20991231T235959"),
    "minutely-from-the-window": (";TZID=Europe/Berlin:20260323T000000", "FREQ=MINUTELY"),
    "daily-count-1e9": (";TZID=Europe/Berlin:20260323T090000", "FREQ=DAILY;COUNT=1000000000"),
}
CUT = (f"CalendarWarning: ics:absurd.ics: 1 recurring series repeats too often; each was "
       f"cut after {MAX_OCCURRENCES_PER_SERIES:,} steps of its rule, so later occurrences "
       "are missing")
WEEK_MINUTES = (7 * 24 - 1) * 60  # the week loses an hour to summer time


@pytest.fixture(scope="module")
def absurd_answers() -> dict[str, tuple]:
    """Every ABSURD case read in one child process (one start-up instead of six)."""
    cases = {key: absurd_calendar(*case) for key, case in ABSURD.items()}
    return read_in_child(cases, *WEEK)


def answer(answers: dict[str, tuple], key: str) -> tuple[list[datetime], int, list[str]]:
    if key not in answers:
        pytest.fail(f"{key} ({ABSURD[key][1]}): read_ics had not returned after "
                    f"{CHILD_SECONDS} s")
    if answers[key][0] == "error":
        pytest.fail(f"{key}: read_ics raised in the child process:\n{answers[key][1]}")
    return answers[key][1:]


def test_a_secondly_rule_with_a_huge_count_from_1990_is_cut_with_a_warning(
        absurd_answers: dict) -> None:
    # A COUNT is counted from DTSTART, so the walk starts there and stops at the bound.
    # (The billionth second after 1990 was in 2021: the true answer is empty, too.)
    starts, _ids, messages = answer(absurd_answers, "secondly-count-1e9")
    assert messages == [CUT]
    assert starts == []


@pytest.mark.parametrize("key", ["minutely-no-end", "minutely-floating-until-2099",
                                 "minutely-from-the-window"])
def test_a_minutely_rule_gives_every_minute_of_the_week(absurd_answers: dict, key: str) -> None:
    # Without COUNT the walk starts near the window, however long ago DTSTART was: no cut.
    starts, ids, messages = answer(absurd_answers, key)
    assert messages == []
    assert len(starts) == ids == WEEK_MINUTES
    assert starts[0] == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert starts[-1] == datetime(2026, 3, 29, 21, 59, tzinfo=UTC)


def test_a_secondly_rule_is_cut_inside_the_window_with_a_warning(absurd_answers: dict) -> None:
    # 600,000 seconds in the week: more than one series may take. What is kept is the
    # first of them (the walk begins a day before the window), never an invented one.
    starts, ids, messages = answer(absurd_answers, "secondly-berlin")
    assert messages == [CUT]
    assert 0 < len(starts) == ids < MAX_OCCURRENCES_PER_SERIES
    assert starts[0] == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(starts))


def test_a_daily_rule_with_a_huge_count_gives_the_days_of_the_window(absurd_answers: dict,
                                                                     ) -> None:
    starts, ids, messages = answer(absurd_answers, "daily-count-1e9")
    assert messages == []  # not capped: a daily series is not absurd
    assert ids == 7
    assert starts == [
        # 09:00 in Berlin: UTC+1 until Saturday, UTC+2 from Sunday 29 March
        *(datetime(2026, 3, day, 8, tzinfo=UTC) for day in range(23, 29)),
        datetime(2026, 3, 29, 7, tzinfo=UTC),
    ]
