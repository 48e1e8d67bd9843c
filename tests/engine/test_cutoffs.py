"""When an invitee may still cancel or reschedule: the cut-off before the start, and never after it."""

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.engine import Reason, change_refusal

START = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # Sunday 10:00 CEST, the morning clocks sprang forward
H = timedelta(hours=1)


@pytest.mark.parametrize(
    "now, cutoff, expected",
    [
        (START - 25 * H, 24 * H, None),
        (START - 24 * H, 24 * H, None),  # exactly the cut-off ahead: still allowed
        (START - 24 * H + timedelta(seconds=1), 24 * H, Reason.CUTOFF),
        (START - timedelta(minutes=1), 0 * H, None),
        (START, 0 * H, Reason.STARTED),  # a meeting that has begun is past, whatever the cut-off
        (START + 2 * H, 24 * H, Reason.STARTED),
    ],
)
def test_change_refusal(now, cutoff, expected):
    assert change_refusal(start=START, now=now, cutoff=cutoff) == expected
