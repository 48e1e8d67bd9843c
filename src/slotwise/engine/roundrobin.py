"""Choosing the host of a round-robin booking among those free at the chosen start."""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal


@dataclass(frozen=True, slots=True)
class PoolCandidate:
    host_id: Hashable
    priority: int  # higher goes first
    weight: int = 100
    last_booked_at: datetime | None = None  # None: never booked, goes first
    recent_count: int = 0

    def __post_init__(self) -> None:
        if self.weight <= 0:
            raise ValueError(f"weight must be positive, got {self.weight}")
        if self.last_booked_at is not None and self.last_booked_at.utcoffset() is None:
            raise ValueError("last_booked_at must be an aware datetime")


def _recency(c: PoolCandidate) -> tuple:
    # Never booked sorts before any booking; otherwise the older booking goes first.
    return (0,) if c.last_booked_at is None else (1, c.last_booked_at)


def choose_round_robin(
    candidates: Sequence[PoolCandidate],
    *,
    strategy: Literal["availability", "equal"],
    rng: random.Random,
):
    """host_id of the chosen candidate.

    availability: highest priority, then least recently booked, then a random pick among the ties.
    equal: lowest recent_count / weight, then highest priority, then least recently booked, then random.
    """
    if not candidates:
        raise ValueError("no candidates to choose from")
    if strategy == "availability":

        def key(c):
            return (-c.priority, _recency(c))
    elif strategy == "equal":

        def key(c):
            return (Fraction(c.recent_count, c.weight), -c.priority, _recency(c))
    else:
        raise ValueError(f"strategy is availability or equal, got {strategy!r}")
    best = min(key(c) for c in candidates)
    ties = [c for c in candidates if key(c) == best]
    # Input order is kept so a seeded rng picks the same host every time.
    return ties[0].host_id if len(ties) == 1 else rng.choice(ties).host_id
