"""Every reason the engine can give has words for the host and for the invitee."""

import pytest

from slotwise.engine import Reason
from slotwise.scheduling.reasons import WORDING, for_host, for_invitee, short


@pytest.mark.parametrize("reason", list(Reason), ids=str)
def test_every_engine_reason_has_short_host_and_invitee_wording(reason):
    words = WORDING.get(reason)
    assert words is not None, f"Reason.{reason.name} has no wording in scheduling/reasons.py"
    assert words.short and words.host and words.invitee
    assert " " not in words.short  # it fits a week-grid cell, joined with "+"


def test_no_wording_for_a_reason_the_engine_does_not_have():
    assert set(WORDING) == set(Reason)


def test_the_words_follow_the_order_they_are_given_in():
    both = [Reason.BUSY, Reason.NOTICE]
    assert for_invitee(both) == ["the host is busy then", "it is in the past or sooner than the minimum notice"]
    assert for_host(both) == ["you are busy", "past, or sooner than the minimum notice"]
    assert short(both) == ["busy", "notice"]
