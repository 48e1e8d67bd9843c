"""choose_round_robin: both strategies, ties broken by a seeded rng."""

import random
from datetime import UTC, datetime

import pytest

from slotwise.engine import PoolCandidate, choose_round_robin


def U(y, mo, d, h=0):
    return datetime(y, mo, d, h, tzinfo=UTC)


def pick(cands, strategy, seed=1):
    return choose_round_robin(cands, strategy=strategy, rng=random.Random(seed))


@pytest.mark.parametrize(
    "cands, expected",
    [
        # highest priority wins over recency
        (
            [PoolCandidate("a", 1, last_booked_at=None), PoolCandidate("b", 2, last_booked_at=U(2026, 6, 1))],
            "b",
        ),
        # same priority: least recently booked
        (
            [
                PoolCandidate("a", 1, last_booked_at=U(2026, 6, 2)),
                PoolCandidate("b", 1, last_booked_at=U(2026, 6, 1)),
            ],
            "b",
        ),
        # never booked goes before any booking
        (
            [PoolCandidate("a", 1, last_booked_at=U(2020, 1, 1)), PoolCandidate("b", 1, last_booked_at=None)],
            "b",
        ),
        # weight and counts do not matter here
        (
            [
                PoolCandidate("a", 1, weight=1, recent_count=50, last_booked_at=U(2026, 1, 1)),
                PoolCandidate("b", 1, weight=1000, recent_count=0, last_booked_at=U(2026, 2, 1)),
            ],
            "a",
        ),
    ],
)
def test_availability(cands, expected):
    assert pick(cands, "availability") == expected


@pytest.mark.parametrize(
    "cands, expected",
    [
        # lowest recent_count / weight: 3/200 < 2/100
        (
            [
                PoolCandidate("a", 5, weight=100, recent_count=2),
                PoolCandidate("b", 1, weight=200, recent_count=3),
            ],
            "b",
        ),
        # equal share (2/100 == 1/50): higher priority
        (
            [
                PoolCandidate("a", 1, weight=100, recent_count=2),
                PoolCandidate("b", 2, weight=50, recent_count=1),
            ],
            "b",
        ),
        # equal share and priority: least recently booked
        (
            [
                PoolCandidate("a", 1, recent_count=1, last_booked_at=U(2026, 6, 2)),
                PoolCandidate("b", 1, recent_count=1, last_booked_at=U(2026, 6, 1)),
            ],
            "b",
        ),
    ],
)
def test_equal(cands, expected):
    assert pick(cands, "equal") == expected


def test_ties_go_to_the_seeded_rng():
    tied = [PoolCandidate("a", 1), PoolCandidate("b", 1), PoolCandidate("c", 0)]
    # random.Random(seed).choice over the tied candidates in input order
    assert [pick(tied, "availability", seed) for seed in range(6)] == [
        random.Random(seed).choice(["a", "b"]) for seed in range(6)
    ]
    assert {pick(tied, "availability", seed) for seed in range(20)} == {"a", "b"}
    assert {pick(tied, "equal", seed) for seed in range(20)} == {"a", "b"}


def test_rejects_empty_pool_and_unknown_strategy():
    with pytest.raises(ValueError):
        pick([], "equal")
    with pytest.raises(ValueError):
        pick([PoolCandidate("a", 1)], "loudest")
    with pytest.raises(ValueError):
        PoolCandidate("a", 1, weight=0)
