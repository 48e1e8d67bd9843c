"""Appointments imported from another scheduler (Calendly): the bookings side of imports/sync.py.

The meeting was already booked over there, so the engine's offer (hours, notice, limits) is not asked: the
remote scheduler decided. What still holds is the database guard: the imported appointment takes BookingHost
rows like any booking, so the exclusion constraint (PostgreSQL) or trigger (SQLite) refuses one that overlaps
an active booking of its owner, and ImportOverlap says which. Imported appointments publish the same domain
events as any booking (webhooks, rules and workflows run on them); notifications skip source "import",
since the remote scheduler sent its own invitations and reminders. They are changed only through these
functions; the other doors are refused by services.refuse_imported.
"""

import math
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from slotwise.accounts.models import Membership
from slotwise.core.errors import InvalidInput, SlotUnavailable
from slotwise.core.events import publish
from slotwise.core.text import clean_name, clean_text
from slotwise.core.timezones import validate_zone
from slotwise.scheduling.models import EventType

from . import calendar_object, tzdata
from .models import Booking, BookingHost, Invitee
from .services import (
    MAX_ANSWER,
    MAX_NAME,
    MAX_REASON,
    cancel_any,
    contact_refresh,
    contact_touch,
    is_overlap,
    lock_hosts,
)


class ImportOverlap(SlotUnavailable):
    """The database guard refused the imported appointment: its owner has an active booking then."""

    def __init__(self, message: str, *, booking: Booking | None):
        super().__init__(message, field="start")
        self.booking = booking


def _overlap(host: Membership, start: datetime, end: datetime, exc: IntegrityError) -> ImportOverlap:
    other = (
        BookingHost.objects.filter(membership=host, active=True, block_start__lt=end, block_end__gt=start)
        .select_related("booking__event_type")
        .order_by("block_start")
        .first()
    )
    if other is None:  # the winner of a race was rolled back since; say what we know
        return ImportOverlap(f"overlaps another booking of {host} at {start:%Y-%m-%d %H:%M} UTC", booking=None)
    bk = other.booking
    return ImportOverlap(
        f"overlaps {bk.event_type.name} at {bk.start:%Y-%m-%d %H:%M} UTC (booking {bk.uid})", booking=bk
    )


def _clean_guest(guest: dict) -> dict:
    """A guest as imports/sync.py hands it over: name, email, first_name, last_name, timezone, phone,
    answers [{question, answer}]. A guest without a usable email is refused here; sync skips and logs it."""
    raw_email = (guest.get("email") or "").strip()
    if not raw_email:
        raise InvalidInput("A guest without an email address cannot become a contact", field="email")
    email = clean_name(raw_email, field="email", label="Email", max_length=254).lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise InvalidInput(f"{raw_email!r} is not an email address", field="email") from None
    name = clean_name(guest.get("name") or "", field="name", max_length=None)[:MAX_NAME] or email
    zone = guest.get("timezone") or "UTC"
    try:
        zone = validate_zone(zone, field="timezone")
    except InvalidInput:
        zone = "UTC"  # a zone our tzdata does not know: the instant is still right, only its display is UTC
    answers = []
    for n, qa in enumerate(guest.get("answers") or []):
        question = clean_text(str(qa.get("question") or ""), field="answers", max_length=None, multiline=True)
        answer = clean_text(str(qa.get("answer") or ""), field="answers", max_length=None, multiline=True)
        if question and answer:
            answers.append({"key": f"q{n + 1}", "question": question[:MAX_NAME], "answer": answer[:MAX_ANSWER]})
    phone = clean_name(guest.get("phone") or "", field="phone", max_length=None)[:64]
    if phone and all(a["answer"] != phone for a in answers):  # not when it came from a phone question
        answers.append({"key": "phone", "question": "Phone number", "answer": phone})
    return {
        "name": name,
        "email": email,
        "timezone": zone,
        "phone": phone,
        "answers": answers,
        "first_name": clean_name(guest.get("first_name") or "", field="first_name", max_length=None)[:100],
        "last_name": clean_name(guest.get("last_name") or "", field="last_name", max_length=None)[:100],
    }


def _check_times(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("The start and end need a UTC offset", field="start")
    if end <= start:
        raise InvalidInput("The end must be after the start", field="end")


def _add_invitee(booking: Booking, guest: dict, now: datetime) -> Invitee:
    invitee = Invitee.objects.create(
        booking=booking,
        name=guest["name"],
        first_name=guest["first_name"],
        last_name=guest["last_name"],
        email=guest["email"],
        timezone=guest["timezone"],
        answers=guest["answers"],
        created_at=now,
    )
    contact_touch(booking=booking, invitee=invitee, now=now, phone=guest["phone"])
    return invitee


def appointment_import(
    *,
    event_type: EventType,
    host: Membership,
    start: datetime,
    end: datetime,
    timezone: str,
    invitees: list[dict],
    location: str,
    now: datetime,
    rescheduled_from: Booking | None = None,
) -> Booking:
    """A remote meeting becomes an appointment (source import) of `host`, with a contact per guest.

    `event_type` is the external one (scheduling.services.external_event_type). `rescheduled_from`: the
    appointment this one replaces (a reschedule over there); it is marked rescheduled and its time freed in
    the same transaction, whether or not its cancel arrived first. Raises ImportOverlap when the database
    guard refuses the time, InvalidInput for input that cannot be imported; nothing is written then."""
    if not event_type.external_source:
        raise InvalidInput("Imported appointments go on an imported calendar's event type", field="event_type")
    if host.organization_id != event_type.organization_id:
        raise InvalidInput("The owner is not a member of this account", field="host")
    _check_times(start, end)
    guests = [_clean_guest(g) for g in invitees]
    if not guests:
        raise InvalidInput("An appointment needs at least one guest with an email address", field="invitees")
    zone = validate_zone(timezone or guests[0]["timezone"], field="timezone")
    location = (location or "")[:500]
    try:
        with transaction.atomic():
            # The host's row first, as booking_create takes it: writers of one host's time queue there
            # instead of meeting (and deadlocking) inside the exclusion constraint.
            lock_hosts([host])
            old, moving = None, False
            if rescheduled_from is not None:
                # Over there a reschedule is a cancel (rescheduled) and a new invitee, delivered in either
                # order: when the cancel came first, the old one is already rescheduled and was announced.
                old = Booking.objects.select_for_update().get(pk=rescheduled_from.pk)
                moving = old.status == Booking.Status.CONFIRMED
                if moving:
                    _end(old, now=now)
            booking = Booking(
                organization_id=event_type.organization_id,
                event_type=event_type,
                host=host,
                start=start,
                end=end,
                timezone=zone,
                duration_minutes=max(1, math.ceil((end - start).total_seconds() / 60)),
                source=Booking.Source.IMPORT,
                location_kind=EventType.LocationKind.CUSTOM if location else "",
                location=location,
                rescheduled_from=old,
                created_at=now,
                **tzdata.booked_under(start=start, host_zone=zone, invitee_zone=zone),
            )
            if old is not None:  # the same meeting at another time: calendars move the entry they hold
                booking.ical_uid, booking.ical_sequence = old.ical_uid, old.ical_sequence + 1
            else:
                booking.ical_uid = calendar_object.new_uid(booking)
            booking.save(force_insert=True)
            BookingHost.objects.create(booking=booking, membership=host, block_start=start, block_end=end)
            created = [_add_invitee(booking, g, now) for g in guests]
            for invitee in created:
                publish("booking.created", booking=booking, invitee=invitee, now=now, rescheduling=moving)
            if moving:
                moved = old.invitees.order_by("pk").first()
                publish("booking.rescheduled", old=old, invitee=moved or created[0], new=created[0], now=now)
                contact_refresh(
                    organization_id=old.organization_id, emails=list(old.invitees.values_list("email", flat=True))
                )
    except IntegrityError as exc:
        if is_overlap(exc):
            raise _overlap(host, start, end, exc) from None
        raise
    return booking


def appointment_invitee_add(*, booking: Booking, guest: dict, now: datetime) -> Invitee:
    """Another guest of an imported group meeting (a remote event with several invitees)."""
    guest = _clean_guest(guest)
    with transaction.atomic():
        invitee = _add_invitee(booking, guest, now)
        publish("booking.created", booking=booking, invitee=invitee, now=now, rescheduling=False)
    return invitee


def appointment_invitee_cancel(*, invitee: Invitee, reason: str, now: datetime) -> Booking:
    """One guest left an imported meeting; the last one out cancels it."""
    booking = invitee.booking
    if invitee.status != Invitee.Status.ACTIVE:
        return booking
    if not booking.invitees.filter(status=Invitee.Status.ACTIVE).exclude(pk=invitee.pk).exists():
        return appointment_cancel(booking=booking, reason=reason, canceled_by=invitee.name, now=now)
    reason = clean_text(reason or "", field="reason", max_length=None, multiline=True)[:MAX_REASON]
    with transaction.atomic():
        Invitee.objects.filter(pk=invitee.pk).update(status=Invitee.Status.CANCELED)
        invitee.status = Invitee.Status.CANCELED
        publish("invitee.canceled", booking=booking, invitee=invitee, now=now, reason=reason)
        contact_refresh(organization_id=booking.organization_id, emails=[invitee.email])
    return booking


def appointment_update(*, booking: Booking, start: datetime, end: datetime, now: datetime) -> Booking:
    """The remote meeting's time changed in place: move it, through the same guard (ImportOverlap)."""
    _check_times(start, end)
    if booking.start == start and booking.end == end:
        return booking
    try:
        with transaction.atomic():
            lock_hosts([booking.host])
            booking = Booking.objects.select_for_update().get(pk=booking.pk)
            booking.start, booking.end = start, end
            booking.duration_minutes = max(1, math.ceil((end - start).total_seconds() / 60))
            booking.ical_sequence += 1
            booking.save(update_fields=["start", "end", "duration_minutes", "ical_sequence", "updated_at"])
            BookingHost.objects.filter(booking=booking).update(block_start=start, block_end=end)
            contact_refresh(
                organization_id=booking.organization_id, emails=list(booking.invitees.values_list("email", flat=True))
            )
    except IntegrityError as exc:
        if is_overlap(exc):
            raise _overlap(booking.host, start, end, exc) from None
        raise
    return booking


def _end(booking: Booking, *, now: datetime) -> None:
    """Mark a locked, confirmed imported appointment rescheduled, and free its time (no event of its own:
    the booking.rescheduled that follows says it)."""
    booking.status = Booking.Status.RESCHEDULED
    booking.canceler_type = "invitee"
    booking.canceled_at = now
    booking.save(update_fields=["status", "canceler_type", "canceled_at", "updated_at"])
    BookingHost.objects.filter(booking=booking, active=True).update(active=False)
    booking.invitees.filter(status=Invitee.Status.ACTIVE).update(status=Invitee.Status.CANCELED)


def appointment_cancel(
    *, booking: Booking, reason: str, canceled_by: str, now: datetime, rescheduled: bool = False
) -> Booking:
    """Canceled over there: canceled here (rescheduled=True: moved over there, status rescheduled), its time
    freed, its guests' assigned users recomputed. A second delivery of the same cancel changes nothing."""
    booking.refresh_from_db()
    if booking.status != Booking.Status.CONFIRMED:
        return booking
    reason = clean_text(reason or "", field="reason", max_length=None, multiline=True)[:MAX_REASON]
    canceled_by = clean_name(canceled_by or "", field="canceled_by", max_length=None)[:200]
    return cancel_any(
        booking=booking,
        now=now,
        reason=reason,
        canceled_by=canceled_by,
        canceler_type="invitee",
        rescheduled=rescheduled,
    )


def appointment_delete(*, booking: Booking, now: datetime) -> list[str]:
    """Permanently delete an imported appointment: its rows go; its guests' contacts stay, with their
    appointment history and assigned user updated. Returns the guests' emails."""
    if booking.source != Booking.Source.IMPORT:
        raise InvalidInput("Only imported appointments are deleted this way", field="booking")
    with transaction.atomic():
        emails = list(booking.invitees.values_list("email", flat=True).distinct())
        Booking.objects.filter(rescheduled_from=booking).update(rescheduled_from=None)
        Booking.objects.filter(pk=booking.pk).delete()  # invitees and host blocks cascade
        contact_refresh(organization_id=booking.organization_id, emails=emails)
    return emails
