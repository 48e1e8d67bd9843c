"""The words for each reason the engine gives for a time not being offered: the one place they are written.

`engine.Reason` is the code; people read these. Each reason has three wordings: `short` for a week-grid
cell, `host` for the host looking at their own hours ("you are busy"), `invitee` for whoever tries to book
("the host is busy then"). tests/scheduling/test_reasons.py fails when a Reason has no wording here, so a
new rule gets its words in the change that adds it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from slotwise.engine import Reason


@dataclass(frozen=True)
class Wording:
    short: str
    host: str
    invitee: str


WORDING: dict[Reason, Wording] = {
    Reason.OFF_GRID: Wording(
        "grid", "not on the start-time increment", "it is not on this event's start-time increment"
    ),
    Reason.OUTSIDE_HOURS: Wording("hours", "outside your hours", "it is outside the host's hours"),
    Reason.BUSY: Wording("busy", "you are busy", "the host is busy then"),
    Reason.BUFFER: Wording(
        "buffer", "too close to another meeting (buffer)", "it is too close to another meeting (buffer)"
    ),
    Reason.NOTICE: Wording(
        "notice", "past, or sooner than the minimum notice", "it is in the past or sooner than the minimum notice"
    ),
    Reason.WINDOW: Wording("window", "outside the booking window", "it is outside the booking window"),
    Reason.DAILY_LIMIT: Wording(
        "limit", "the daily limit is reached", "the host's daily limit for this event is reached"
    ),
    Reason.FULL: Wording("full", "all seats taken", "all seats are taken"),
    Reason.NOT_SYNCED: Wording(
        "unsynced",
        "your calendar is not synced that far ahead",
        "the host's calendar is not synced that far ahead, so their busy time then is unknown",
    ),
}


def for_invitee(reasons: Iterable[Reason]) -> list[str]:
    return [WORDING[r].invitee for r in reasons]


def for_host(reasons: Iterable[Reason]) -> list[str]:
    return [WORDING[r].host for r in reasons]


def short(reasons: Iterable[Reason]) -> list[str]:
    return [WORDING[r].short for r in reasons]
