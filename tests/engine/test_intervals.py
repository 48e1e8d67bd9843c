"""Half-open interval algebra: tables and Hypothesis properties."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotwise.engine import Interval, intersect, merge, overlaps, subtract
from tests.hypo import examples


def U(h, mi=0):
    return datetime(2026, 6, 1, h, mi, tzinfo=UTC)


def iv(a, b):
    return Interval(U(a), U(b))


def test_interval_validates_and_normalises_to_utc():
    with pytest.raises(ValueError):
        Interval(U(10), U(10))
    with pytest.raises(ValueError):
        Interval(datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10))  # noqa: DTZ001 - naive on purpose
    plus2 = timezone(timedelta(hours=2))
    iv = Interval(datetime(2026, 6, 1, 11, tzinfo=plus2), U(10))
    assert iv.start == U(9) and iv.start.tzinfo is UTC


@pytest.mark.parametrize(
    "x, y, expected",
    [(iv(9, 10), iv(10, 11), False), (iv(9, 11), iv(10, 12), True), (iv(9, 12), iv(10, 11), True)],
)
def test_overlaps_is_half_open(x, y, expected):
    assert overlaps(x, y) is expected and overlaps(y, x) is expected


def test_tables():
    assert merge([iv(12, 13), iv(9, 10), iv(10, 11), iv(9, 10)]) == [iv(9, 11), iv(12, 13)]
    assert subtract([iv(9, 17)], [iv(10, 11), iv(12, 13), iv(16, 18)]) == [iv(9, 10), iv(11, 12), iv(13, 16)]
    assert intersect([iv(9, 12), iv(13, 17)], [iv(11, 14)]) == [iv(11, 12), iv(13, 14)]
    assert subtract([iv(9, 10)], []) == [iv(9, 10)]
    assert intersect([], [iv(9, 10)]) == []


minutes = st.integers(min_value=0, max_value=600)
intervals = st.lists(
    st.tuples(minutes, st.integers(min_value=1, max_value=120)).map(
        lambda p: Interval(U(0) + timedelta(minutes=p[0]), U(0) + timedelta(minutes=p[0] + p[1]))
    ),
    max_size=8,
)


def _points(ivs):
    out = set()
    for iv in ivs:
        t = iv.start
        while t < iv.end:
            out.add(t)
            t += timedelta(minutes=1)
    return out


@settings(max_examples=examples(150), deadline=None)
@given(intervals, intervals)
def test_interval_algebra_matches_point_sets(a, b):
    diff, both = subtract(a, b), intersect(a, b)
    assert _points(diff) == _points(a) - _points(b)
    assert _points(both) == _points(a) & _points(b)
    assert not any(overlaps(x, y) for x in diff for y in b)  # subtract never overlaps what was removed
    assert both == intersect(b, a)  # intersect commutes
    assert merge(a) == merge(merge(a))
    assert merge(diff + both) == merge(a)
    for left, right in itertools.pairwise(diff):  # normalised: sorted, disjoint, not touching
        assert left.end < right.start
