"""`groups_in_window` picks a window's groups from the split's time index; it keeps exactly
the groups the plain scan over every VEVENT keeps, in the same (file) order.

Generated calendars of one-off events (short, long, DATE, unreadable times, shared UIDs)
and series, asked for windows of every length, edges on and beside the spans."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.ics_split import Split, Vevent, groups_in_window

_DAY = 86_400_000_000


def _scan(split: Split, lo: int, hi: int) -> dict[str, list[Vevent]]:
    """The rule of `groups_in_window` as one scan over every VEVENT."""
    groups: dict[str, list[Vevent]] = {}
    for event in split.events:
        groups.setdefault(event.group, []).append(event)
    visible = {}
    for key, events in groups.items():
        if len(events) == 1 and not events[0].repeats and events[0].span is not None:
            first, last = events[0].span
            if last < lo or first >= hi:
                continue
        visible[key] = events
    return visible


_TIME = st.integers(-400 * _DAY, 400 * _DAY)
_SPAN = st.one_of(
    st.none(),
    st.tuples(_TIME, st.integers(0, 3 * _DAY)),      # short
    st.tuples(_TIME, st.integers(30 * _DAY, 200 * _DAY)),  # around and past the bucket limit
)
_EVENT = st.tuples(st.integers(0, 40), st.booleans(), _SPAN)


@settings(max_examples=200, deadline=None)
@given(events=st.lists(_EVENT, max_size=60),
       windows=st.lists(st.tuples(_TIME, st.integers(1, 900 * _DAY)), min_size=1,
                        max_size=6))
def test_index_keeps_what_the_scan_keeps(events, windows) -> None:
    split = Split()
    for index, (uid, repeats, span) in enumerate(events):
        when = None if span is None else (span[0], span[0] + span[1])
        split.events.append(Vevent(index, "", f"u:{uid}", repeats, when))
    # windows on the spans' own edges too
    edges = [(e.span[0], e.span[1] + 1) for e in split.events[:3] if e.span] + \
        [(e.span[1] + 1, e.span[1] + _DAY) for e in split.events[:3] if e.span]
    for lo, length in windows:
        edges.append((lo, lo + length))
    for lo, hi in edges:
        got = groups_in_window(split, lo, hi)
        assert list(got.items()) == list(_scan(split, lo, hi).items())
    # a split that grew is indexed again
    split.events.append(Vevent(len(split.events), "", "u:new", False, (0, _DAY)))
    assert list(groups_in_window(split, 0, _DAY)) == list(_scan(split, 0, _DAY))
