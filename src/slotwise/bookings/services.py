"""Booking writes: create, cancel, reschedule. Every door (pages, API, CLI, importer) calls these.

Race-freedom is the database's job, not a check before an insert:
- PostgreSQL: an exclusion constraint on BookingHost (host, [block_start, block_end)) over active rows;
- SQLite: a trigger that refuses the same overlap, inside a BEGIN IMMEDIATE transaction (settings).
A booking costs as much as the hosts it is for, not as much as the pool it comes from:
1. outside any write transaction, availability for the whole pool decides who can take the start, and
   the round-robin rules put those hosts in order (lazily: the next one only when the first fails);
2. per candidate, a short transaction locks that host's row (a collective event: all its hosts, in id
   order), re-reads only what a concurrent booking can change (their bookings: conflicts, limits, seats),
   and inserts; the guard has the last word. A candidate taken meanwhile is skipped for the next.
Daily limits and group seats, which no constraint can express, are thus decided one booking at a time per
host; limits across all of a host's event types hold too, since every booking of that host locks the same
row. Working hours, time off and calendars read in step 1 are not re-read: no booking changes them.
A reschedule goes the same way: its attempt's transaction locks and releases the old booking, then the
new host; the old booking's hosts stay candidates though step 1 still sees them busy with it.
Requests that need approval are held (approvals.hold) inside the same attempt.
"""

import functools
import random
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from slotwise import engine
from slotwise.accounts.models import Membership
from slotwise.accounts.services import membership_deactivate
from slotwise.contacts.models import Contact
from slotwise.core.errors import ChangeClosed, Conflict, InvalidInput, NotFound, SlotUnavailable, SlotwiseError
from slotwise.core.events import publish
from slotwise.core.languages import validate_language
from slotwise.core.text import clean_name, clean_text
from slotwise.core.timezones import validate_zone
from slotwise.scheduling import reasons as reason_words
from slotwise.scheduling import selectors
from slotwise.scheduling.models import EventType, PoolHost

from . import approvals, availability, calendar_object, links, tzdata
from . import selectors as booking_selectors
from .models import Booking, BookingHost, Guest, Invitee
from .selectors import upcoming_for_member

# The schedulers appointments are imported from (scheduling EventType.external_source), as people say them.
EXTERNAL_SOURCES = {"calendly": "Calendly"}

MAX_NAME = 200
MAX_ANSWER = 5000
MAX_REASON = 1000


@dataclass(frozen=True)
class InviteeInput:
    name: str
    email: str
    timezone: str
    answers: dict = field(default_factory=dict)
    first_name: str = ""
    last_name: str = ""
    language: str = ""  # the page's language; "" means the event type's default


def _clean_invitee(event_type: EventType, invitee: InviteeInput) -> tuple[InviteeInput, list[dict]]:
    name = clean_name(invitee.name, field="name", max_length=MAX_NAME)
    if not name:
        raise InvalidInput("name: " + _("tell us your name"), field="name")
    email = clean_name(invitee.email, field="email", label="Email", max_length=254).lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise InvalidInput(
            "email: " + _("%(email)s is not an email address") % {"email": repr(invitee.email)}, field="email"
        ) from None
    zone = validate_zone(invitee.timezone, field="timezone")
    answers = _clean_answers(event_type, invitee.answers or {})
    language = (
        validate_language(invitee.language, field="language") if invitee.language else event_type.default_language
    )
    return (
        InviteeInput(
            name=name,
            email=email,
            timezone=zone,
            answers=invitee.answers,
            first_name=clean_name(invitee.first_name, field="first_name", max_length=None)[:100],
            last_name=clean_name(invitee.last_name, field="last_name", max_length=None)[:100],
            language=language,
        ),
        answers,
    )


def _clean_answers(event_type: EventType, given: dict) -> list[dict]:
    """Check answers against the event's questions; return them as [{key, question, answer}]."""
    questions = {q["key"]: q for q in event_type.questions or []}
    unknown = set(given) - set(questions)
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(f"answers.{key}: this event has no such question", field=f"answers.{key}")
    out = []
    for key, q in questions.items():
        value = given.get(key)
        where = f"answers.{key}"
        empty = value is None or value == "" or value == []
        if empty:
            if q.get("required"):
                raise InvalidInput(
                    f"{where}: " + _("%(question)s needs an answer") % {"question": repr(q.get("label", key))},
                    field=where,
                )
            continue
        kind = q.get("type", "text")
        options = q.get("options") or []
        label = repr(q.get("label", key))
        for v in value if isinstance(value, list) else [value]:
            clean_text(v, field=where, label=f"The answer to {label}", multiline=True, strip=False)
        if kind == "multiple_choice":
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in options]
            if bad:
                raise InvalidInput(f"{where}: {bad[0]!r} is not one of {options}", field=where)
            text = ", ".join(str(v) for v in values)
        elif kind == "single_choice":
            if value not in options:
                raise InvalidInput(f"{where}: {value!r} is not one of {options}", field=where)
            text = str(value)
        else:
            text = str(value)
        clean_text(
            text, field=where, label=f"The answer to {label}", max_length=MAX_ANSWER, multiline=True, strip=False
        )
        out.append({"key": key, "question": q.get("label", key), "answer": text})
    return out


def _clean_guests(event_type: EventType, guests: list[str] | None, invitee_email: str) -> list[str]:
    """The guests' addresses, lower-cased, without repeats or the invitee's own; at most max_guests."""
    out: list[str] = []
    for raw in guests or []:
        email = str(raw or "").strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except DjangoValidationError:
            raise InvalidInput(
                "guests: " + _("%(email)s is not an email address") % {"email": repr(raw)}, field="guests"
            ) from None
        if email != invitee_email and email not in out:
            out.append(email)
    if len(out) > event_type.max_guests:
        if not event_type.max_guests:
            raise InvalidInput("guests: " + _("this event does not take guests"), field="guests")
        n = event_type.max_guests
        limit = ngettext("you can add at most %(n)d guest", "you can add at most %(n)d guests", n) % {"n": n}
        raise InvalidInput("guests: " + limit, field="guests")
    return out


def change_closed(*, booking: Booking, now: datetime) -> engine.Reason | None:
    """Why the invitee may no longer cancel or reschedule `booking` (Reason.CUTOFF or STARTED), or None."""
    hours = booking.event_type.cutoff_hours or 0
    return engine.change_refusal(start=booking.start, now=now, cutoff=timedelta(hours=hours))


# Whole sentences per action, so each language words "canceled here" its own way.
_STARTED = {
    "canceled": gettext_noop("This meeting has already started, so it can no longer be canceled here."),
    "rescheduled": gettext_noop("This meeting has already started, so it can no longer be rescheduled here."),
    "changed": gettext_noop("This meeting has already started, so it can no longer be changed here."),
}


def _cutoff_sentence(action: str, hours: int) -> str:
    # ngettext needs literal texts to be found by makemessages: one call per action.
    if action == "canceled":
        text = ngettext(
            "This meeting starts in less than %(hours)d hour, so it can no longer be canceled here.",
            "This meeting starts in less than %(hours)d hours, so it can no longer be canceled here.",
            hours,
        )
    elif action == "rescheduled":
        text = ngettext(
            "This meeting starts in less than %(hours)d hour, so it can no longer be rescheduled here.",
            "This meeting starts in less than %(hours)d hours, so it can no longer be rescheduled here.",
            hours,
        )
    else:
        text = ngettext(
            "This meeting starts in less than %(hours)d hour, so it can no longer be changed here.",
            "This meeting starts in less than %(hours)d hours, so it can no longer be changed here.",
            hours,
        )
    return text % {"hours": hours}


def change_closed_message(*, booking: Booking, reason: engine.Reason, action: str = "changed") -> str:
    """Why, and how to reach the host: the words the cancel and reschedule pages and the API give, in the
    active language (the page's, the invitee's). `action` is "canceled", "rescheduled" or "changed"."""
    if reason == engine.Reason.STARTED:
        why = _(_STARTED.get(action, _STARTED["changed"]))
    else:
        why = _cutoff_sentence(action, booking.event_type.cutoff_hours or 0)
    return why + " " + _("To change it, write to the host at %(email)s.") % {"email": booking.host.user.email}


def _check_invitee_may_change(booking: Booking, now: datetime, action: str) -> None:
    reason = change_closed(booking=booking, now=now)
    if reason is not None:
        raise ChangeClosed(change_closed_message(booking=booking, reason=reason, action=action), field="booking")


def unavailable_message(start: datetime, reasons: list) -> str:
    said = "; ".join(reason_words.for_invitee(reasons)) or _("it is not offered")
    return _("%(start)s cannot be booked: %(reasons)s. Pick one of the times offered.") % {
        "start": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "reasons": said,
    }


def lock_hosts(hosts: list[Membership]) -> None:
    lock_host_ids([h.pk for h in hosts])


def lock_host_ids(ids: Collection[int]) -> None:
    # In id order, so two bookings that need the same hosts never wait on each other in a cycle.
    list(Membership.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk").values("pk"))


def _round_robin_pick(event_type: EventType, free: list[int], now: datetime, rng: random.Random) -> int:
    pool = {p.membership_id: p for p in PoolHost.objects.filter(event_type=event_type, membership_id__in=free)}
    stats: dict[int, Mapping] = {
        row["host_id"]: row
        for row in Booking.objects.filter(
            event_type=event_type, host_id__in=free, created_at__gte=now - timedelta(days=30)
        )
        .exclude(status=Booking.Status.CANCELED)
        .values("host_id")
        .annotate(last=Max("created_at"), n=Count("id"))
    }
    candidates = [
        engine.PoolCandidate(
            host_id=h,
            priority=pool[h].priority if h in pool else 2,
            weight=pool[h].weight if h in pool else 100,
            last_booked_at=stats.get(h, {}).get("last"),
            recent_count=stats.get(h, {}).get("n", 0),
        )
        for h in free
    ]
    equal = event_type.distribution == EventType.Distribution.EQUAL
    return engine.choose_round_robin(candidates, strategy="equal" if equal else "availability", rng=rng)


def check_request(
    *,
    event_type: EventType,
    start: datetime,
    invitee: InviteeInput,
    guests: list[str] | None,
    location: str | None,
    host: Membership | None,
    keep_host: bool = False,
) -> tuple[InviteeInput, list[dict], list[str], list[Membership]]:
    """What every booking (one meeting or a series, bookings/recurring.py) checks before it locks: the
    start, the invitee, the guests, the location and the host asked for. Returns the cleaned invitee, their
    answers, the guests and the candidate hosts (the one asked for, else the event's)."""
    if start.tzinfo is None:
        raise InvalidInput("start: give an instant with a UTC offset", field="start")
    if start.second or start.microsecond:
        raise InvalidInput("start: must be a whole minute", field="start")
    if not event_type.active:
        raise NotFound(f"event type {event_type.slug} is not active")
    invitee, answers = _clean_invitee(event_type, invitee)
    guest_emails = _clean_guests(event_type, guests, invitee.email)
    if location is not None and len(location) > 500:
        raise InvalidInput("location: at most 500 characters", field="location")
    candidates = selectors.event_hosts(event_type)
    if host is not None:
        if host.pk not in {c.pk for c in candidates}:
            raise InvalidInput(f"host: {host.slug} does not host {event_type.name}", field="host")
        if event_type.kind == EventType.Kind.ROUND_ROBIN and not event_type.invitee_picks_host and not keep_host:
            raise InvalidInput("host: this event assigns its host; book without choosing one", field="host")
        if event_type.kind == EventType.Kind.COLLECTIVE:
            raise InvalidInput("host: a collective event meets with all its hosts", field="host")
        candidates = [host]
    return invitee, answers, guest_emails, candidates


def refusal_reason(exc: SlotwiseError) -> str:
    """A short code for a refused booking (counted per reason in /metrics): the engine's first reason, or
    the kind of error (invalid_input, not_found, link_used ...)."""
    return getattr(exc, "reason", "") or re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def _publishes_refusals(create: Callable[..., "Invitee"]) -> Callable[..., "Invitee"]:
    @functools.wraps(create)
    def booking_create(**kwargs) -> Invitee:
        try:
            return create(**kwargs)
        except SlotwiseError as exc:
            publish(
                "booking.refused", event_type=kwargs.get("event_type"), reason=refusal_reason(exc), now=kwargs["now"]
            )
            raise

    return booking_create


@_publishes_refusals
def booking_create(
    *,
    event_type: EventType,
    start: datetime,
    invitee: InviteeInput,
    now: datetime,
    source: str = Booking.Source.PAGE,
    host: Membership | None = None,
    single_use_token: str | None = None,
    duration_minutes: int | None = None,
    location: str | None = None,
    rescheduled_from: Booking | None = None,
    rng: random.Random | None = None,
    rescheduling: bool = False,
    keep_host: bool = False,
    guests: list[str] | None = None,
) -> Invitee:
    """Book `start` for `invitee`, or raise. keep_host: a host moving their own meeting keeps it, even on
    a round robin that assigns its host. Returns the invitee (its .booking is the scheduled event).

    Accepts only a start that the engine offers at `now` for this event type (and host, if the invitee
    picked one), decided for the whole pool first and again, for the host it goes to, under that host's
    lock (module docstring); when every candidate was taken meanwhile, SlotUnavailable. An event type that
    requires confirmation makes a request instead (status PENDING, bookings/approvals.py): it holds the time
    the same way and publishes booking.requested; a reschedule of an approved booking stays approved.
    Retries are made safe by the door that receives them (the API's Idempotency-Key, `slotwise.api.idempotency`)."""
    return _book(
        event_type=event_type,
        start=start,
        invitee=invitee,
        now=now,
        source=source,
        host=host,
        single_use_token=single_use_token,
        duration_minutes=duration_minutes,
        location=location,
        rescheduled_from=rescheduled_from,
        rng=rng,
        rescheduling=rescheduling,
        keep_host=keep_host,
        guests=guests,
    )


def _book(
    *,
    event_type: EventType,
    start: datetime,
    invitee: InviteeInput,
    now: datetime,
    source: str,
    host: Membership | None,
    single_use_token: str | None,
    duration_minutes: int | None,
    location: str | None,
    rescheduled_from: Booking | None,
    rng: random.Random | None,
    rescheduling: bool,
    keep_host: bool,
    guests: list[str] | None,
    freed: Collection[int] = (),
    inside: Callable[[Callable[..., Invitee]], Invitee] | None = None,
) -> Invitee:
    """booking_create, and the reschedule's way in. freed: hosts whose only obstacle in step 1 may be the
    booking being moved (it is released inside each attempt, before the recheck): candidates all the same.
    inside: runs in each attempt's transaction around the insert, given `create(**changes)` (reschedule
    marks and releases the old booking there, so the move is all or nothing per attempt)."""
    invitee, answers, guest_emails, candidates = check_request(
        event_type=event_type,
        start=start,
        invitee=invitee,
        guests=guests,
        location=location,
        host=host,
        keep_host=keep_host,
    )
    rng = rng or random.Random()  # noqa: S311 - round-robin ties, not a secret
    duration = duration_minutes or event_type.duration_minutes
    # Step 1, outside any write transaction (module docstring): who can take it, and in which order.
    inputs = availability.host_inputs(
        event_type, candidates, start=start, end=start + timedelta(minutes=duration), duration_minutes=duration
    )
    free = engine.free_hosts(inputs.rules, inputs.hosts, now=now, start=start)
    free += [h for h in inputs.members if h in freed and h not in free]
    mode = "one" if host is not None else inputs.mode
    if not free or (mode == "all" and len(free) < len(inputs.hosts)):
        reasons = _reasons(inputs.rules, inputs.hosts, now, start)
        raise SlotUnavailable(unavailable_message(start, reasons), field="start", reason=_first(reasons))
    # Step 2: one short transaction per candidate, until one holds.
    lost: list[engine.Reason] = []
    for assigned in _candidates(event_type, inputs, free, now, rng):
        create = partial(
            _create_locked,
            event_type=event_type,
            start=start,
            invitee=invitee,
            answers=answers,
            now=now,
            source=source,
            inputs=inputs,
            assigned=assigned,
            single_use_token=single_use_token,
            duration=duration,
            location=location,
            rescheduled_from=rescheduled_from,
            rescheduling=rescheduling,
            guests=guest_emails,
        )
        try:
            with transaction.atomic():
                return create() if inside is None else inside(create)
        except Taken as exc:
            lost.extend(r for r in exc.reasons if r not in lost)
        except IntegrityError as exc:
            # The database refused an overlapping block: a concurrent booking won the time with this host.
            if not is_overlap(exc):
                raise
    if lost:
        raise SlotUnavailable(unavailable_message(start, lost), field="start", reason=_first(lost))
    raise SlotUnavailable(
        _("%(start)s was just taken by another booking; pick another time") % {"start": f"{start:%Y-%m-%dT%H:%M:%SZ}"},
        field="start",
        reason="taken",
    )


def _first(reasons: list) -> str:
    """The code a refusal is counted under in /metrics: the engine's first reason."""
    return str(getattr(reasons[0], "value", reasons[0])) if reasons else "not_offered"


class Taken(Exception):  # noqa: N818 - this candidate can no longer take the start (also bookings/recurring.py)
    def __init__(self, reasons: list[engine.Reason]):
        super().__init__()
        self.reasons = reasons


def _reasons(rules: engine.EventRules, hosts: list[engine.HostInput], now: datetime, start: datetime) -> list:
    """Every reason any of `hosts` cannot take `start`, each once, in the hosts' order."""
    out: list[engine.Reason] = []
    for h in hosts:
        out.extend(r for r in engine.explain(rules, h, now=now, start=start) if r not in out)
    return out


def _candidates(
    event_type: EventType, inputs: availability.Inputs, free: list[int], now: datetime, rng: random.Random
) -> Iterator[list[int]]:
    """The hosts to try in turn, each attempt as the host ids it assigns. A collective event is one attempt
    with all its hosts; otherwise the free hosts one by one in round-robin order, each next one chosen by
    the same rules among those left (so the next choice costs its queries only when the first one fails)."""
    if event_type.kind == EventType.Kind.COLLECTIVE:
        yield list(inputs.members)  # every host, in the order of inputs.hosts
        return
    left = list(free)
    while left:
        pick = left[0] if len(left) == 1 else _round_robin_pick(event_type, left, now, rng)
        yield [pick]
        left.remove(pick)


# How far a limit's period reaches from a start: a local month, and a local day's slack, either way.
_COUNT_REACH = timedelta(days=32)


def _recheck(
    event_type: EventType, inputs: availability.Inputs, assigned: list[int], start: datetime
) -> list[engine.HostInput]:
    """The assigned hosts' engine inputs with their bookings read again (under their row locks): the
    conflicts, limit tallies and seats a concurrent booking can have changed since step 1."""
    rules = inputs.rules
    reach = rules.duration + rules.buffer_before + rules.buffer_after + timedelta(hours=27)
    mine = {h.host_id: h for h in inputs.hosts if h.host_id in assigned}
    limited = bool(rules.limits) or any(h.limits for h in mine.values())
    booked = booking_selectors.booked(
        event_type_id=event_type.pk,
        seats=event_type.seats,
        member_ids=assigned,
        start=start - reach,
        end=start + rules.duration + reach,
        count_start=start - _COUNT_REACH if limited else None,
        count_end=start + _COUNT_REACH if limited else None,
    )
    return [
        replace(
            mine[h],
            busy=tuple(booked.busy[h]),
            meetings=tuple(booked.meetings[h]),
            sessions=tuple(booked.sessions[h]),
        )
        for h in assigned
    ]


def is_overlap(exc: IntegrityError) -> bool:
    """The database guard (exclusion constraint / trigger) refused an overlapping block."""
    return "overlap" in str(exc).lower() or "slot_conflict" in str(exc) or "exclu" in str(exc).lower()


def _create_locked(
    *,
    event_type,
    start,
    invitee,
    answers,
    now,
    source,
    inputs,
    assigned,
    single_use_token,
    duration,
    location,
    rescheduled_from,
    rescheduling,
    guests,
    series=None,
    series_index=None,
) -> Invitee:
    """One booking, inside the caller's transaction. series/series_index: an occurrence of a recurring
    booking (bookings/recurring.py), which shares the series' calendar identity."""
    link = None
    if single_use_token is not None:
        link = links.link_use(token=single_use_token, event_type=event_type, now=now)
        answers = [*answers, *links.prefill_answers(link)]
        source = Booking.Source.SINGLE_USE

    lock_hosts([inputs.members[h] for h in assigned])
    fresh = _recheck(event_type, inputs, assigned, start)
    if len(engine.free_hosts(inputs.rules, fresh, now=now, start=start)) < len(fresh):
        raise Taken(_reasons(inputs.rules, fresh, now, start))
    primary = assigned[0]
    end = start + inputs.rules.duration
    host_zone = next(h.hours.zone for h in fresh if h.host_id == primary)
    booking = None
    if event_type.seats > 1:
        booking = (
            Booking.objects.select_for_update()
            .filter(event_type=event_type, host_id=primary, start=start, status=Booking.Status.CONFIRMED)
            .first()
        )
    if booking is None:
        booking = Booking.objects.create(
            organization_id=event_type.organization_id,
            event_type=event_type,
            host_id=primary,
            start=start,
            end=end,
            timezone=invitee.timezone,
            duration_minutes=duration,
            buffer_before_minutes=event_type.buffer_before_minutes,
            buffer_after_minutes=event_type.buffer_after_minutes,
            source=source,
            location_kind=event_type.location_kind,
            location=location if location is not None else event_type.location_value,
            rescheduled_from=rescheduled_from,
            **tzdata.booked_under(start=start, host_zone=host_zone, invitee_zone=invitee.timezone),
            link=link,
            series=series,
            series_index=series_index,
            created_at=now,
        )
        if series is not None:
            booking.ical_uid, booking.ical_sequence = series.ical_uid, series.ical_sequence
        elif rescheduled_from is not None:
            # The same meeting at another time: calendars move the entry they hold (calendar_object.py).
            booking.ical_uid, booking.ical_sequence = rescheduled_from.ical_uid, rescheduled_from.ical_sequence + 1
        else:
            booking.ical_uid = calendar_object.new_uid(booking)
        Booking.objects.filter(pk=booking.pk).update(ical_uid=booking.ical_uid, ical_sequence=booking.ical_sequence)
        block_start = start - inputs.rules.buffer_before
        block_end = end + inputs.rules.buffer_after
        BookingHost.objects.bulk_create(
            [
                BookingHost(booking=booking, membership_id=h, block_start=block_start, block_end=block_end)
                for h in assigned
            ]
        )
        if event_type.requires_confirmation and rescheduled_from is None and source != Booking.Source.IMPORT:
            approvals.hold(booking=booking, now=now)
    Guest.objects.bulk_create([Guest(booking=booking, email=g, created_at=now) for g in guests], ignore_conflicts=True)
    created = Invitee.objects.create(
        booking=booking,
        name=invitee.name,
        first_name=invitee.first_name,
        last_name=invitee.last_name,
        email=invitee.email,
        timezone=invitee.timezone,
        language=invitee.language,
        answers=answers,
        created_at=now,
    )
    contact_touch(booking=booking, invitee=created, now=now)
    # rescheduling=True: this invitee is moving here from another booking; "booking.rescheduled" follows in
    # the same transaction, and subscribers that must order cancel-before-create (webhooks) wait for it.
    if booking.status == Booking.Status.PENDING:
        publish("booking.requested", booking=booking, invitee=created, now=now)
    else:
        publish("booking.created", booking=booking, invitee=created, now=now, rescheduling=rescheduling)
    return created


def contact_touch(*, booking: Booking, invitee: Invitee, now: datetime, phone: str = "") -> None:
    """Create or update the invitee's contact with what this booking says about them (name, zone, phone,
    answers), then recompute its assigned user (contact_refresh)."""
    phone = phone or _phone_answer(booking.event_type, invitee.answers or [])
    fields = ["name", "timezone", "answers", "last_booked_at"] + (["phone"] if phone else [])
    Contact.objects.bulk_create(
        [
            Contact(
                organization_id=booking.organization_id,
                email=invitee.email,
                name=invitee.name,
                timezone=invitee.timezone,
                phone=phone,
                answers=invitee.answers or [],
                owner_id=booking.host_id,
                first_seen_at=now,
                last_booked_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["organization", "email"],
        update_fields=fields,
    )
    contact_refresh(organization_id=booking.organization_id, emails=[invitee.email])


def _phone_answer(event_type: EventType, answers: list[dict]) -> str:
    phones = {q["key"] for q in event_type.questions or [] if q.get("type") == "phone"}
    return next((a["answer"] for a in answers if a.get("key") in phones or a.get("key") == "phone"), "")


def contact_refresh(*, organization_id: int, emails: list[str]) -> None:
    """The contacts of these addresses after their appointments changed: the assigned user (owner) becomes
    the host of their latest appointment, meaning the latest start among their live ones (confirmed, the
    invitee still in it), native and imported alike; with none live, the latest start of any; with none at
    all (deleted), it stays. bookings_count is the number of bookings they were ever in that still exist."""
    order = ("-booking__start", "-booking__created_at", "-booking_id")
    for email in dict.fromkeys(emails):
        theirs = Invitee.objects.filter(booking__organization_id=organization_id, email=email)
        rows = list(theirs.order_by(*order).values_list("booking__host_id", "status", "booking__status"))
        live = [
            host
            for host, status, b_status in rows
            if status == Invitee.Status.ACTIVE and b_status == Booking.Status.CONFIRMED
        ]
        owner = live[0] if live else (rows[0][0] if rows else None)
        changes = {"bookings_count": len(rows)}
        if owner is not None:
            changes["owner_id"] = owner
        Contact.objects.filter(organization_id=organization_id, email=email).update(**changes)


def imported_message(booking: Booking) -> str:
    """What the pages and every refused change say about an imported appointment ("" for our own)."""
    if booking.source != Booking.Source.IMPORT:
        return ""
    source = booking.event_type.external_source
    where = EXTERNAL_SOURCES.get(source, source or "the scheduler it was imported from")
    return f"This appointment comes from {where}: change it there"


def refuse_imported(booking: Booking) -> None:
    """Imported appointments are changed where they were booked; the import follows (imports/sync.py)."""
    if booking.source == Booking.Source.IMPORT:
        raise Conflict(imported_message(booking))


def _release(booking: Booking) -> None:
    BookingHost.objects.filter(booking=booking, active=True).update(active=False)


def _next_revision(booking: Booking) -> None:
    """SEQUENCE + 1: every calendar copy of the meeting changes (calendar_object.py)."""
    Booking.objects.filter(pk=booking.pk).update(ical_sequence=F("ical_sequence") + 1)
    booking.ical_sequence = Booking.objects.values_list("ical_sequence", flat=True).get(pk=booking.pk)


def booking_cancel(
    *, booking: Booking, now: datetime, reason: str = "", canceled_by: str = "", canceler_type: str = "host"
) -> Booking:
    """Cancel the whole scheduled event (all its invitees) and free its time."""
    refuse_imported(booking)
    return cancel_any(booking=booking, now=now, reason=reason, canceled_by=canceled_by, canceler_type=canceler_type)


def cancel_any(
    *, booking: Booking, now: datetime, reason: str, canceled_by: str, canceler_type: str, rescheduled: bool = False
) -> Booking:
    """booking_cancel without the refusal of imported appointments: their own cancel (bookings/imports.py).
    rescheduled=True: canceled because it moved elsewhere (status rescheduled), as imports learn it."""
    reason = clean_text(reason, field="reason", max_length=MAX_REASON, multiline=True)
    canceled_by = clean_name(canceled_by, field="canceled_by", label="Canceled by", max_length=None)
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.PENDING):
            raise InvalidInput(f"booking {booking.uid} is already {booking.status}", field="booking")
        if canceler_type == "invitee" and booking.source != Booking.Source.IMPORT:
            _check_invitee_may_change(booking, now, "canceled")  # Calendly's own cancels are not ours to refuse
        if booking.status == Booking.Status.PENDING:
            # A request canceled before the host decided: by the host it is a decline, by the invitee a
            # withdrawal; its expiry job then finds it decided and does nothing.
            booking.approval = Booking.Approval.DECLINED if canceler_type == "host" else Booking.Approval.WITHDRAWN
            booking.approval_decided_at = now
        booking.status = Booking.Status.RESCHEDULED if rescheduled else Booking.Status.CANCELED
        booking.cancel_reason = reason or ""
        booking.canceled_by = canceled_by
        booking.canceler_type = canceler_type
        booking.canceled_at = now
        booking.ical_sequence += 1  # the CANCEL must outrank the REQUEST calendars hold
        booking.save(
            update_fields=[
                "status",
                "cancel_reason",
                "canceled_by",
                "canceler_type",
                "canceled_at",
                "ical_sequence",
                "approval",
                "approval_decided_at",
                "updated_at",
            ]
        )
        _release(booking)
        invitees = list(booking.invitees.filter(status=Invitee.Status.ACTIVE))
        booking.invitees.filter(status=Invitee.Status.ACTIVE).update(status=Invitee.Status.CANCELED)
        publish("booking.canceled", booking=booking, invitees=invitees, now=now, rescheduled=rescheduled)
        contact_refresh(organization_id=booking.organization_id, emails=[i.email for i in invitees])
    return booking


def invitee_cancel(*, invitee: Invitee, now: datetime, reason: str = "") -> Booking:
    """An invitee leaves. For a group event that frees a seat; the last invitee out cancels the event.

    Refused (ChangeClosed) inside the event type's cut-off and once the meeting has begun; hosts cancel
    with booking_cancel, which has no cut-off."""
    reason = clean_text(reason, field="reason", max_length=MAX_REASON, multiline=True)
    booking = invitee.booking
    refuse_imported(booking)
    _check_invitee_may_change(booking, now, "canceled")
    if booking.invitees.filter(status=Invitee.Status.ACTIVE).exclude(pk=invitee.pk).exists():
        with transaction.atomic():
            Invitee.objects.filter(pk=invitee.pk).update(status=Invitee.Status.CANCELED)
            invitee.status = Invitee.Status.CANCELED
            _next_revision(booking)
            publish("invitee.canceled", booking=booking, invitee=invitee, now=now, reason=reason)
            contact_refresh(organization_id=booking.organization_id, emails=[invitee.email])
        return booking
    return booking_cancel(booking=booking, now=now, reason=reason, canceled_by=invitee.name, canceler_type="invitee")


def booking_reschedule(
    *,
    invitee: Invitee,
    new_start: datetime,
    now: datetime,
    reason: str = "",
    host: Membership | None = None,
    by_host: Membership | None = None,
) -> Invitee:
    """Move an invitee to `new_start` under the same event type and rules: the old booking is marked
    rescheduled and the new one links back to it, in one transaction (both or neither). by_host: the host
    moves it (from the dashboard); the meeting stays theirs, and the history says who moved it.

    An invitee (by_host None) is refused inside the event type's cut-off and once the meeting has begun."""
    reason = clean_text(reason, field="reason", max_length=MAX_REASON, multiline=True)
    old = invitee.booking
    refuse_imported(old)
    if old.status != Booking.Status.CONFIRMED or invitee.status != Invitee.Status.ACTIVE:
        raise InvalidInput(f"booking {old.uid} is {old.status}; only confirmed bookings can be rescheduled")
    if old.series_id is not None:
        # Calendars hold the series as one rule; a moved occurrence would need its own exception there.
        raise InvalidInput(
            _("This meeting is part of a series: cancel this occurrence and book the new time on its own"),
            field="booking",
        )
    if by_host is None:
        _check_invitee_may_change(old, now, "rescheduled")
    answers = {a["key"]: a["answer"] for a in invitee.answers or []}
    for q in old.event_type.questions or []:
        if q.get("type") == "multiple_choice" and q["key"] in answers:
            answers[q["key"]] = [v.strip() for v in answers[q["key"]].split(",") if v.strip()]

    old_hosts = list(old.host_blocks.values_list("membership_id", flat=True))

    def move(create: Callable[..., Invitee]) -> Invitee:
        # Inside the attempt's transaction: first the host rows, old and new together in id order, as every
        # booking takes them (lock_hosts), then the old booking row. Taking the booking first deadlocked on
        # PostgreSQL against a new booking of the same host: it held the host and waited for the released
        # block, while the move held the block and waited for the host.
        lock_host_ids({*old_hosts, *create.keywords["assigned"]})  # type: ignore[attr-defined]
        locked = Booking.objects.select_for_update().get(pk=old.pk)
        if locked.status != Booking.Status.CONFIRMED:
            raise InvalidInput(f"booking {old.uid} is already {locked.status}")
        others = locked.invitees.filter(status=Invitee.Status.ACTIVE).exclude(pk=invitee.pk).exists()
        Invitee.objects.filter(pk=invitee.pk).update(status=Invitee.Status.CANCELED)
        if others:
            _next_revision(locked)  # the session goes on without this invitee
        else:
            locked.status = Booking.Status.RESCHEDULED
            locked.cancel_reason = reason or ""
            locked.canceled_by = str(by_host.user) if by_host is not None else invitee.name
            locked.canceler_type = "host" if by_host is not None else "invitee"
            locked.canceled_at = now
            locked.save(
                update_fields=["status", "cancel_reason", "canceled_by", "canceler_type", "canceled_at", "updated_at"]
            )
            _release(locked)
        # The guests come along, except those who declined; a reschedule is a new chance for none of them.
        guests = [] if others else list(locked.guests.filter(declined_at__isnull=True).values_list("email", flat=True))
        new = create(
            rescheduled_from=locked if not others else None,
            guests=_clean_guests(old.event_type, guests, invitee.email),
        )
        publish("booking.rescheduled", old=locked, invitee=invitee, new=new, now=now)
        contact_refresh(organization_id=old.organization_id, emails=[invitee.email])
        return new

    return _book(
        event_type=old.event_type,
        start=new_start,
        invitee=InviteeInput(
            name=invitee.name,
            email=invitee.email,
            timezone=invitee.timezone,
            answers=answers,
            first_name=invitee.first_name,
            last_name=invitee.last_name,
            language=invitee.language,
        ),
        now=now,
        source=old.source if old.source != Booking.Source.SINGLE_USE else Booking.Source.PAGE,
        host=host if by_host is None or old.event_type.kind == EventType.Kind.COLLECTIVE else host or old.host,
        single_use_token=None,
        duration_minutes=old.duration_minutes,
        location=old.location,
        rescheduled_from=None,
        rng=None,
        rescheduling=True,
        keep_host=by_host is not None,
        guests=None,
        freed=set(old.host_blocks.filter(active=True).values_list("membership_id", flat=True)),
        inside=move,
    )


def guest_decline(*, guest: Guest, now: datetime) -> Guest:
    """A guest will not attend: recorded for the host; the booking and its invitees are untouched."""
    with transaction.atomic():
        locked = Guest.objects.select_for_update().select_related("booking").get(pk=guest.pk)
        if locked.declined_at is None:
            locked.declined_at = now
            locked.save(update_fields=["declined_at", "updated_at"])
            publish("guest.declined", booking=locked.booking, guest=locked, now=now)
    return locked


def member_remove(*, actor: Membership, membership: Membership, now: datetime, cancel_reason: str = "") -> int:
    """Remove a member (accounts.services.membership_deactivate: past bookings keep them as host) and take
    them out of every event pool. Bookings still ahead of them are canceled with `cancel_reason`, told to
    their invitees as with any host cancel; with bookings ahead and no reason, nothing is removed. Returns
    how many bookings were canceled."""
    reason = clean_text(cancel_reason, field="reason", max_length=MAX_REASON, multiline=True)
    with transaction.atomic():
        upcoming = list(upcoming_for_member(membership=membership, now=now))
        if upcoming and not reason:
            raise InvalidInput(
                f"{membership.user} has {len(upcoming)} upcoming booking{'s' if len(upcoming) != 1 else ''}: "
                "give a reason to cancel them with, which their invitees will read",
                field="reason",
            )
        membership_deactivate(actor=actor, membership=membership, now=now)
        PoolHost.objects.filter(membership=membership).delete()
        canceled_by = actor.user.name or actor.user.email
        for booking in upcoming:
            booking_cancel(booking=booking, now=now, reason=reason, canceled_by=canceled_by, canceler_type="host")
    return len(upcoming)
