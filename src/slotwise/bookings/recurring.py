"""Recurring bookings: one picked time, repeated weekly or every two weeks for the event type's count.

Occurrences keep the host's wall time (engine.occurrences, the one DST policy): across a DST change the
UTC instant moves and the local time stays, as in the invitee's calendar, which expands the same RRULE
with the host's TZID. Every occurrence is checked by the engine and held through the same database guard
as any booking: each is created by the single-booking path (services._create_locked), all inside one
write transaction, so a series commits whole (or, with partial bookings allowed, with its unavailable
occurrences skipped) or writes nothing.

Round robin: one host for the whole series, the first candidate free for every occurrence (with partial
bookings, the first free for the most); the others' fairness counters are not consulted, since no one
host is "next" for twenty weeks at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from slotwise import engine
from slotwise.accounts.models import Membership
from slotwise.core.errors import InvalidInput, SlotUnavailable
from slotwise.scheduling import reasons as reason_words
from slotwise.scheduling import selectors
from slotwise.scheduling.models import EventType

from . import availability, calendar_object, services
from .models import Booking, Invitee, RecurringSeries

INTERVALS = {EventType.Recurrence.WEEKLY: 1, EventType.Recurrence.BIWEEKLY: 2}
MIN_COUNT, MAX_COUNT = 2, 24


@dataclass(frozen=True)
class OccurrenceCheck:
    index: int
    wall: datetime  # naive, the host's wall clock
    start: datetime | None  # UTC; None when the host's clocks skip that wall time
    reasons: tuple[engine.Reason, ...]  # () when free

    @property
    def free(self) -> bool:
        return self.start is not None and not self.reasons


@dataclass(frozen=True)
class SeriesPlan:
    """What booking `start` as a series would give: the host chosen for it and each occurrence's answer."""

    host: Membership
    zone: str
    interval: int
    occurrences: tuple[OccurrenceCheck, ...]
    partial_allowed: bool

    @property
    def free(self) -> list[OccurrenceCheck]:
        return [o for o in self.occurrences if o.free]

    @property
    def unavailable(self) -> list[OccurrenceCheck]:
        return [o for o in self.occurrences if not o.free]

    @property
    def bookable(self) -> bool:
        """All free; or, partial bookings allowed, the picked time (the first) is."""
        if not self.unavailable:
            return True
        return self.partial_allowed and self.occurrences[0].free


def is_recurring(event_type: EventType) -> bool:
    return event_type.recurrence in INTERVALS


def _check(
    event_type: EventType, hosts: list[Membership], zone: str, *, start: datetime, now: datetime, interval: int
) -> tuple[OccurrenceCheck, ...]:
    """Each occurrence of `start` in `zone`, checked for `hosts` together (all must be free)."""
    out = []
    for occ in engine.occurrences(first_start=start, zone=zone, interval=interval, count=event_type.recurrence_count):
        if occ.start is None:
            out.append(OccurrenceCheck(occ.index, occ.wall, None, (engine.Reason.NO_SUCH_TIME,)))
            continue
        end = occ.start + timedelta(minutes=event_type.duration_minutes)
        inputs = availability.host_inputs(event_type, hosts, start=occ.start, end=end)
        reasons: list[engine.Reason] = []
        for h in inputs.hosts:
            reasons += [r for r in engine.explain(inputs.rules, h, now=now, start=occ.start) if r not in reasons]
        out.append(OccurrenceCheck(occ.index, occ.wall, occ.start, tuple(r for r in engine.Reason if r in reasons)))
    return tuple(out)


def series_plan(*, event_type: EventType, start: datetime, now: datetime, host: Membership | None = None) -> SeriesPlan:
    """The occurrences of a series starting at `start` and which are free, for the booking page and the
    create below (which decides again under the hosts' locks). `host`: the host the invitee picked."""
    if not is_recurring(event_type):
        raise InvalidInput(_("This event does not repeat"), field="recurrence")
    interval = INTERVALS[EventType.Recurrence(event_type.recurrence)]
    candidates = [host] if host is not None else selectors.event_hosts(event_type)
    # The host's home zone (their schedule's), also while they travel: the series outlasts a trip.
    zones = {pk: schedule.timezone for pk, schedule in selectors.host_schedules(event_type, candidates).items()}
    if event_type.kind == EventType.Kind.COLLECTIVE:
        # One meeting with every host: the first host's wall clock sets the rule.
        first = candidates[0]
        checks = _check(event_type, candidates, zones[first.pk], start=start, now=now, interval=interval)
        return SeriesPlan(first, zones[first.pk], interval, checks, event_type.recurrence_partial)
    plans = []
    for c in candidates:
        checks = _check(event_type, [c], zones[c.pk], start=start, now=now, interval=interval)
        plan = SeriesPlan(c, zones[c.pk], interval, checks, event_type.recurrence_partial)
        if not plan.unavailable:
            return plan
        plans.append(plan)
    # No host is free for every meeting. Partial bookings: the host free for the most (with the picked
    # time free; the first such of equals). Otherwise the first candidate's plan says what is not free.
    startable = [p for p in plans if p.occurrences[0].free]
    if event_type.recurrence_partial and startable:
        return max(startable, key=lambda p: len(p.free))
    return plans[0]


def refusal_message(plan: SeriesPlan) -> str:
    """Why the series cannot be booked, occurrence by occurrence, in the host's wall time."""
    said = "; ".join(
        f"{o.wall:%Y-%m-%d %H:%M}: " + ("; ".join(reason_words.for_invitee(o.reasons)) or "not offered")
        for o in plan.unavailable
    )
    if not plan.occurrences[0].free:
        return _("The first meeting of the series cannot be booked (%(said)s). Pick one of the times offered.") % {
            "said": said
        }
    return _(
        "%(n)s of the %(count)s meetings cannot be booked (%(said)s), and this event books the whole series or "
        "nothing. Pick another time."
    ) % {"n": len(plan.unavailable), "count": len(plan.occurrences), "said": said}


@dataclass(frozen=True)
class SeriesBooked:
    series: RecurringSeries
    invitees: list[Invitee]  # one per booked occurrence, in order; each .booking is a scheduled event

    @property
    def first(self) -> Invitee:
        return self.invitees[0]


def recurring_booking_create(
    *,
    event_type: EventType,
    start: datetime,
    invitee: services.InviteeInput,
    now: datetime,
    source: str = Booking.Source.PAGE,
    host: Membership | None = None,
    location: str | None = None,
    guests: list[str] | None = None,
) -> SeriesBooked:
    """Book the series that starts at `start`, or raise and write nothing. All occurrences free: all are
    booked. Some not: SlotUnavailable naming them, unless the event type allows partial bookings, in which
    case the free ones are booked and the others become the series' EXDATEs (the first, the picked time,
    must be free either way)."""
    if not is_recurring(event_type):
        raise InvalidInput(_("This event does not repeat"), field="recurrence")
    if event_type.seats > 1 or event_type.requires_confirmation:
        # The event type service refuses these settings together; an older row may still have them.
        raise InvalidInput(_("This event cannot be booked as a series"), field="recurrence")
    invitee, answers, guest_emails, candidates = services.check_request(
        event_type=event_type, start=start, invitee=invitee, guests=guests, location=location, host=host
    )
    try:
        with transaction.atomic():
            services.lock_hosts(candidates)
            plan = series_plan(event_type=event_type, start=start, now=now, host=host)
            if not plan.bookable:
                raise SlotUnavailable(refusal_message(plan), field="start")
            series = RecurringSeries.objects.create(
                organization_id=event_type.organization_id,
                event_type=event_type,
                host=plan.host,
                interval=plan.interval,
                count=len(plan.occurrences),
                booked_count=len(plan.occurrences),
                first_start=start,
                host_timezone=plan.zone,
                skipped=[f"{o.wall:%Y-%m-%dT%H:%M}" for o in plan.unavailable],
                created_at=now,
            )
            series.ical_uid = f"{series.uid}@{calendar_object.uid_domain()}"
            series.save(update_fields=["ical_uid"])
            collective = event_type.kind == EventType.Kind.COLLECTIVE
            hosts = candidates if collective else [plan.host]
            duration = timedelta(minutes=event_type.duration_minutes)
            made = []
            for occ in plan.free:
                assert occ.start is not None  # noqa: S101 - free occurrences have an instant
                inputs = availability.host_inputs(event_type, hosts, start=occ.start, end=occ.start + duration)
                try:
                    made.append(
                        services._create_locked(
                            event_type=event_type,
                            start=occ.start,
                            invitee=invitee,
                            answers=answers,
                            now=now,
                            source=source,
                            inputs=inputs,
                            assigned=[h.pk for h in hosts],
                            single_use_token=None,
                            duration=event_type.duration_minutes,
                            location=location,
                            rescheduled_from=None,
                            rescheduling=False,
                            guests=guest_emails,
                            series=series,
                            series_index=occ.index,
                        )
                    )
                except services.Taken as exc:
                    # The plan was made under the hosts' locks, so only a guard race gets here: all or nothing.
                    raise SlotUnavailable(services.unavailable_message(occ.start, exc.reasons), field="start") from None
            return SeriesBooked(series=series, invitees=made)
    except IntegrityError as exc:
        if services.is_overlap(exc):
            raise SlotUnavailable(
                _("A meeting of this series was just taken by another booking; pick another time"), field="start"
            ) from None
        raise


def occurrence_cancel(
    *,
    booking: Booking,
    now: datetime,
    later: bool = False,
    reason: str = "",
    canceled_by: str = "",
    canceler_type: str = "host",
) -> list[Booking]:
    """Cancel one occurrence (its date joins the series' EXDATE) or, later=True, it and every later one
    (the rule's COUNT ends before it). Calendars get one update of the series with SEQUENCE one higher."""
    if booking.series_id is None:
        raise InvalidInput(_("This booking is not part of a series"), field="booking")
    services.refuse_imported(booking)
    with transaction.atomic():
        series = RecurringSeries.objects.select_for_update().get(pk=booking.series_id)
        live = [Booking.Status.CONFIRMED, Booking.Status.PENDING]
        targets = list(
            Booking.objects.filter(series=series, status__in=live, series_index__gte=booking.series_index).order_by(
                "series_index"
            )
            if later
            else Booking.objects.filter(pk=booking.pk, status__in=live)
        )
        if not targets:
            raise InvalidInput(f"booking {booking.uid} is already {booking.status}", field="booking")
        # Every occurrence carries the series' SEQUENCE; cancel_any raises the canceled ones by one, so the
        # series goes one up with them, and the emails each cancel queues agree on the number.
        series.ical_sequence += 1
        if later:
            series.count = booking.series_index
        series.save(update_fields=["ical_sequence", "count", "updated_at"])
        Booking.objects.filter(series=series).update(ical_sequence=series.ical_sequence - 1)
        done = [
            services.cancel_any(booking=b, now=now, reason=reason, canceled_by=canceled_by, canceler_type=canceler_type)
            for b in targets
        ]
        Booking.objects.filter(series=series).update(ical_sequence=series.ical_sequence)
    return done
