"""The words for each reason the engine gives for a time not being offered: the one place they are written.

`engine.Reason` is the code; people read these. Each reason has three wordings: `short` for a week-grid
cell, `host` for the host looking at their own hours ("you are busy"), `invitee` for whoever tries to book
("the host is busy then"). tests/scheduling/test_reasons.py fails when a Reason has no wording here, so a
new rule gets its words in the change that adds it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from slotwise.engine import Reason


@dataclass(frozen=True)
class Wording:
    short: str
    host: str
    invitee: str


WORDING: dict[Reason, Wording] = {
    Reason.OFF_GRID: Wording(
        "grid", "not on the start-time increment", gettext_noop("it is not on this event's start-time increment")
    ),
    Reason.OUTSIDE_HOURS: Wording("hours", "outside your hours", gettext_noop("it is outside the host's hours")),
    Reason.BUSY: Wording("busy", "you are busy", gettext_noop("the host is busy then")),
    Reason.BUFFER: Wording(
        "buffer", "too close to another meeting (buffer)", gettext_noop("it is too close to another meeting (buffer)")
    ),
    Reason.NOTICE: Wording(
        "notice",
        "past, or sooner than the minimum notice",
        gettext_noop("it is in the past or sooner than the minimum notice"),
    ),
    Reason.WINDOW: Wording("window", "outside the booking window", gettext_noop("it is outside the booking window")),
    Reason.DAILY_LIMIT: Wording(
        "limit", "the daily limit is reached", gettext_noop("the host's daily limit for this event is reached")
    ),
    Reason.OUT_OF_OFFICE: Wording("away", "you are out of office", gettext_noop("the host is out of office that day")),
    Reason.WEEKLY_LIMIT: Wording(
        "week-limit",
        "this event's weekly limit is reached",
        gettext_noop("the host's weekly limit for this event is reached"),
    ),
    Reason.MONTHLY_LIMIT: Wording(
        "month-limit",
        "this event's monthly limit is reached",
        gettext_noop("the host's monthly limit for this event is reached"),
    ),
    Reason.DAILY_MINUTES: Wording(
        "day-min",
        "this event's minutes for the day are used up",
        gettext_noop("the host's daily time for this event is used up"),
    ),
    Reason.WEEKLY_MINUTES: Wording(
        "week-min",
        "this event's minutes for the week are used up",
        gettext_noop("the host's weekly time for this event is used up"),
    ),
    Reason.HOST_DAILY_LIMIT: Wording(
        "my-day-limit",
        "your own limit of meetings a day is reached",
        gettext_noop("the host takes no more meetings that day"),
    ),
    Reason.HOST_WEEKLY_LIMIT: Wording(
        "my-week-limit",
        "your own limit of meetings a week is reached",
        gettext_noop("the host takes no more meetings that week"),
    ),
    Reason.HOST_MONTHLY_LIMIT: Wording(
        "my-month-limit",
        "your own limit of meetings a month is reached",
        gettext_noop("the host takes no more meetings that month"),
    ),
    Reason.HOST_DAILY_MINUTES: Wording(
        "my-day-min",
        "your own meeting minutes for the day are used up",
        gettext_noop("the host's meeting time for that day is used up"),
    ),
    Reason.HOST_WEEKLY_MINUTES: Wording(
        "my-week-min",
        "your own meeting minutes for the week are used up",
        gettext_noop("the host's meeting time for that week is used up"),
    ),
    Reason.FULL: Wording("full", "all seats taken", gettext_noop("all seats are taken")),
    Reason.CUTOFF: Wording(
        "cut-off",
        "too close to the start for the invitee to change",
        gettext_noop("it is too close to the start to change it"),
    ),
    Reason.STARTED: Wording("started", "the meeting has started", gettext_noop("the meeting has already started")),
    Reason.NOT_SYNCED: Wording(
        "unsynced",
        "your calendar is not synced that far ahead",
        gettext_noop("the host's calendar is not synced that far ahead, so their busy time then is unknown"),
    ),
    Reason.NO_SUCH_TIME: Wording(
        "no-time",
        "the clocks change that day and skip this time",
        "the clocks change that day in the host's time zone and skip this time",
    ),
}


def for_invitee(reasons: Iterable[Reason]) -> list[str]:
    return [gettext(WORDING[r].invitee) for r in reasons]


def for_host(reasons: Iterable[Reason]) -> list[str]:
    return [WORDING[r].host for r in reasons]


def short(reasons: Iterable[Reason]) -> list[str]:
    return [WORDING[r].short for r in reasons]
