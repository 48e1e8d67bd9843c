"""Emails to invitees and hosts, as durable jobs written in the booking's own transaction.

Subscribers (registered in apps.py) decide *what* is owed and write Job rows; handlers (the job kinds
below) render and send when the worker runs them. The calendar identity of a meeting (UID, SEQUENCE) is
the booking's (bookings/calendar_object.py); the SEQUENCE an email is owed is fixed in the transaction, in
the payload, so a retried email carries the same revision.

Reschedules: booking_reschedule publishes booking.created for the new invitee and then
booking.rescheduled; the second replaces the first's "confirmed" emails with "rescheduled" ones (the new
booking kept the meeting's UID, with SEQUENCE + 1)."""

import logging
from datetime import datetime, timedelta
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import translation

from slotwise.bookings import approvals, calendar_object
from slotwise.bookings.models import Booking, Invitee
from slotwise.core.datefmt import DEFAULT_LOCALE
from slotwise.core.errors import InvalidInput
from slotwise.jobs.models import Job
from slotwise.jobs.services import Defer, cancel_pending, enqueue, handler
from slotwise.scheduling.selectors import event_type_text

from . import ical, mail
from .models import BOOKING_KINDS, EmailTemplate, Kind, Reminder, SentEmail
from .render import format_when, format_when_short, render

log = logging.getLogger(__name__)

INVITEE_JOB = "notify.invitee"
HOST_JOB = "notify.host"
REMINDER_JOB = "notify.reminder"
GUEST_JOB = "notify.guest"
# How long an invitation waits for a meeting link being created elsewhere (Zoom) before asking again.
LOCATION_WAIT_SECONDS = 2


def _key(invitee: Invitee) -> str:
    return f"invitee:{invitee.uid}"


# --- subscribers: run inside the booking's transaction --------------------------------------------------


def _imported(booking: Booking) -> bool:
    # Imported from another scheduler (Calendly), which sends its own invitations, reminders, reschedule and
    # cancel emails: a second one from us would put the meeting in the invitee's calendar twice.
    return booking.source == Booking.Source.IMPORT


def on_booking_created(*, booking: Booking, invitee: Invitee, now: datetime, **_) -> None:
    if _imported(booking):
        return
    org = booking.organization_id
    if not _series_told(booking, "confirmed"):
        enqueue(
            INVITEE_JOB,
            {"invitee_id": invitee.pk, "what": "confirmed", "sequence": booking.ical_sequence, **_series(booking)},
            key=_key(invitee),
            organization_id=org,
            due_at=now,
        )
        enqueue(
            HOST_JOB,
            {"invitee_id": invitee.pk, "what": "confirmed"},
            key=_key(invitee),
            organization_id=org,
            due_at=now,
        )
        _tell_guests(booking=booking, invitee=invitee, what="confirmed", now=now)
    schedule_reminders(booking=booking, invitee=invitee, now=now)


def _series(booking: Booking) -> dict:
    return {"series": booking.series_id} if booking.series_id else {}


def _series_told(booking: Booking, what: str) -> bool:
    """An occurrence of a recurring booking: its invitation is the series' (one VEVENT with the rule,
    bookings/calendar_object.py), so each revision of the series is emailed once, by the first occurrence
    the transaction touched; the others add their reminders only."""
    if not booking.series_id:
        return False
    return Job.objects.filter(
        kind=INVITEE_JOB, payload__series=booking.series_id, payload__sequence=booking.ical_sequence, payload__what=what
    ).exists()


def _tell_guests(*, booking: Booking, invitee: Invitee, what: str, now: datetime) -> None:
    for guest in booking.guests.filter(declined_at__isnull=True).order_by("pk"):
        enqueue(
            GUEST_JOB,
            {"guest_id": guest.pk, "invitee_id": invitee.pk, "what": what, "sequence": booking.ical_sequence},
            key=_key(invitee),
            organization_id=booking.organization_id,
            due_at=now,
        )


def on_booking_requested(*, booking: Booking, invitee: Invitee, now: datetime, **_) -> None:
    """A request waiting for approval: the invitee hears it is pending (no invitation yet), the host gets
    the approve and decline links."""
    org = booking.organization_id
    enqueue(
        INVITEE_JOB, {"invitee_id": invitee.pk, "what": "requested"}, key=_key(invitee), organization_id=org, due_at=now
    )
    enqueue(
        HOST_JOB, {"invitee_id": invitee.pk, "what": "requested"}, key=_key(invitee), organization_id=org, due_at=now
    )


def on_booking_rescheduled(*, old: Booking, invitee: Invitee, new: Invitee, now: datetime, **_) -> None:
    new_booking = new.booking
    if _imported(new_booking):
        return
    # The "confirmed" emails booking.created just queued for the new invitee become "rescheduled" ones.
    Job.objects.filter(key=_key(new), kind__in=[INVITEE_JOB, HOST_JOB], status=Job.Status.PENDING).delete()
    # What the old invitee was still owed (a confirmation not yet sent, reminders) is moot now.
    cancel_pending(_key(invitee))
    was = [old.start.isoformat(), old.end.isoformat()]
    org = new_booking.organization_id
    if new_booking.ical_uid != old.ical_uid:
        # One invitee of a group session moved to another session, another meeting with its own UID: the
        # calendar entry of the old one is removed, or it would stay beside the new one.
        enqueue(
            INVITEE_JOB,
            {"invitee_id": invitee.pk, "what": "canceled", "sequence": old.ical_sequence, "reason": old.cancel_reason},
            key=_key(invitee),
            organization_id=org,
            due_at=now,
        )
    enqueue(
        INVITEE_JOB,
        {"invitee_id": new.pk, "what": "rescheduled", "sequence": new_booking.ical_sequence, "previous": was},
        key=_key(new),
        organization_id=org,
        due_at=now,
    )
    enqueue(
        HOST_JOB,
        {"invitee_id": new.pk, "what": "rescheduled", "previous": was, "reason": old.cancel_reason},
        key=_key(new),
        organization_id=org,
        due_at=now,
    )


def on_booking_canceled(*, booking: Booking, invitees: list[Invitee], now: datetime, rescheduled=False, **_) -> None:
    if booking.approval in (Booking.Approval.DECLINED, Booking.Approval.EXPIRED):
        # A request that was never confirmed: no calendar holds it, so the invitee gets words, not a CANCEL.
        for invitee in invitees:
            cancel_pending(_key(invitee))
            enqueue(
                INVITEE_JOB,
                {"invitee_id": invitee.pk, "what": "declined", "reason": booking.cancel_reason},
                key=_key(invitee),
                organization_id=booking.organization_id,
                due_at=now,
            )
        return
    if booking.approval == Booking.Approval.WITHDRAWN:
        # The invitee withdrew a request they were never sent an invitation for: only the host hears.
        for invitee in invitees:
            cancel_pending(_key(invitee))
            enqueue(
                HOST_JOB,
                {"invitee_id": invitee.pk, "what": "canceled", "reason": booking.cancel_reason},
                key=_key(invitee),
                organization_id=booking.organization_id,
                due_at=now,
            )
        return
    for invitee in invitees:
        _invitee_gone(booking=booking, invitee=invitee, reason=booking.cancel_reason, now=now)


def on_invitee_canceled(*, booking: Booking, invitee: Invitee, now: datetime, reason: str = "", **_) -> None:
    _invitee_gone(booking=booking, invitee=invitee, reason=reason, now=now)


def _invitee_gone(*, booking: Booking, invitee: Invitee, reason: str, now: datetime) -> None:
    if _imported(booking):
        return
    cancel_pending(_key(invitee), kinds=[REMINDER_JOB])
    if _series_told(booking, "canceled"):
        return
    org = booking.organization_id
    # The booking service raised the meeting's SEQUENCE in this transaction, so the CANCEL outranks the
    # REQUEST the invitee's calendar holds.
    enqueue(
        INVITEE_JOB,
        {
            "invitee_id": invitee.pk,
            "what": "canceled",
            "sequence": booking.ical_sequence,
            "reason": reason,
            **_series(booking),
        },
        key=_key(invitee),
        organization_id=org,
        due_at=now,
    )
    enqueue(
        HOST_JOB,
        {"invitee_id": invitee.pk, "what": "canceled", "reason": reason},
        key=_key(invitee),
        organization_id=org,
        due_at=now,
    )
    if not booking.invitees.filter(status=Invitee.Status.ACTIVE).exclude(pk=invitee.pk).exists():
        _tell_guests(booking=booking, invitee=invitee, what="canceled", now=now)


def on_tzdata_moved(*, booking: Booking, now: datetime, moves: list, **_) -> None:
    """A new tzdata moved the meeting's wall time: both sides get the updated invitation (the SEQUENCE the
    tzdata job raised), with what moved."""
    if _imported(booking):
        return
    note = "; ".join(moves)
    org = booking.organization_id
    for invitee in booking.invitees.filter(status=Invitee.Status.ACTIVE).order_by("pk"):
        enqueue(
            INVITEE_JOB,
            {"invitee_id": invitee.pk, "what": "updated", "sequence": booking.ical_sequence, "reason": note},
            key=_key(invitee),
            organization_id=org,
            due_at=now,
        )
        enqueue(
            HOST_JOB,
            {"invitee_id": invitee.pk, "what": "updated", "reason": note},
            key=_key(invitee),
            organization_id=org,
            due_at=now,
        )


MAX_OFFSET_MINUTES = 60 * 24 * 60


WHEN_WORDS: dict[str, str] = {
    Reminder.When.BEFORE_START: "before the meeting starts",
    Reminder.When.AFTER_END: "after it ends",
}
RECIPIENT_WORDS: dict[str, str] = {Reminder.Recipient.INVITEE: "the invitee", Reminder.Recipient.HOST: "the host"}


def _clean_reminder(*, organization, offset_minutes, when, recipient, event_type, name, subject, text) -> dict:
    """One set of rules for every door (dashboard, load files); messages in words, `field` for forms."""
    if (
        isinstance(offset_minutes, bool)
        or not isinstance(offset_minutes, int)
        or not 1 <= offset_minutes <= MAX_OFFSET_MINUTES
    ):
        raise InvalidInput(
            "Send it between 1 minute and 60 days before the start or after the end", field="offset_minutes"
        )
    if when not in Reminder.When.values:
        raise InvalidInput("Choose whether it goes before the meeting starts or after it ends", field="when")
    if recipient not in Reminder.Recipient.values:
        raise InvalidInput("Choose who gets it: the invitee or the host", field="recipient")
    if event_type is not None and event_type.organization_id != organization.pk:
        raise InvalidInput("That event type belongs to another organization", field="event_type")
    name = (name or "").strip() or "Reminder"
    if len(name) > 200:
        raise InvalidInput("A reminder's name can be at most 200 characters", field="name")
    if len(subject or "") > 300:
        raise InvalidInput("The subject can be at most 300 characters", field="subject")
    for field, source in (("subject", subject), ("text", text)):
        if source:
            _check_template(source, field)
    return {
        "offset_minutes": offset_minutes,
        "when": when,
        "recipient": recipient,
        "event_type": event_type,
        "name": name,
        "subject": subject or "",
        "text": text or "",
    }


def reminder_create(
    *,
    organization,
    offset_minutes: int,
    when: str = Reminder.When.BEFORE_START,
    event_type=None,
    recipient: str = Reminder.Recipient.INVITEE,
    name: str = "Reminder",
    subject: str = "",
    text: str = "",
    active: bool = True,
) -> Reminder:
    """A reminder (before the start) or follow-up (after the end) for the organization or one event type.
    Applies to bookings made from now on; pending ones keep what they were given."""
    values = _clean_reminder(
        organization=organization,
        offset_minutes=offset_minutes,
        when=when,
        recipient=recipient,
        event_type=event_type,
        name=name,
        subject=subject,
        text=text,
    )
    return Reminder.objects.create(organization=organization, active=active, **values)


def reminder_update(
    *,
    reminder: Reminder,
    offset_minutes: int,
    when: str,
    recipient: str,
    name: str = "Reminder",
    subject: str = "",
    text: str = "",
    active: bool = True,
) -> Reminder:
    """Change a reminder. Bookings made from now on follow it; jobs already queued read its wording when
    they run, and a switched-off or deleted reminder is not sent."""
    values = _clean_reminder(
        organization=reminder.organization,
        offset_minutes=offset_minutes,
        when=when,
        recipient=recipient,
        event_type=reminder.event_type,
        name=name,
        subject=subject,
        text=text,
    )
    for k, v in values.items():
        setattr(reminder, k, v)
    reminder.active = active
    reminder.save()
    return reminder


def reminder_delete(*, reminder: Reminder) -> None:
    reminder.delete()


def reminder_describe(reminder: Reminder) -> str:
    n = reminder.offset_minutes
    if n % (24 * 60) == 0:
        amount = f"{n // (24 * 60)} day{'s' if n != 24 * 60 else ''}"
    elif n % 60 == 0:
        amount = f"{n // 60} hour{'s' if n != 60 else ''}"
    else:
        amount = f"{n} minute{'s' if n != 1 else ''}"
    return f"To {RECIPIENT_WORDS[reminder.recipient]}, {amount} {WHEN_WORDS[reminder.when]}"


def _check_template(source: str, field: str) -> None:
    from .render import _from_string

    _from_string(source, field)


def reminders_for(booking: Booking) -> list[Reminder]:
    return list(
        Reminder.objects.filter(organization_id=booking.organization_id, active=True)
        .filter(Q(event_type__isnull=True) | Q(event_type_id=booking.event_type_id))
        .order_by("pk")
    )


def reminder_due(reminder: Reminder, booking: Booking) -> datetime:
    offset = timedelta(minutes=reminder.offset_minutes)
    if reminder.when == Reminder.When.BEFORE_START:
        return booking.start - offset
    return booking.end + offset


def schedule_reminders(*, booking: Booking, invitee: Invitee, now: datetime) -> int:
    """One job per reminder that is still ahead; a reminder whose moment has passed (booked at short
    notice) is skipped rather than sent late."""
    n = 0
    for r in reminders_for(booking):
        due = reminder_due(r, booking)
        if due <= now:
            continue
        enqueue(
            REMINDER_JOB,
            {"invitee_id": invitee.pk, "reminder_id": r.pk},
            due_at=due,
            key=_key(invitee),
            organization_id=booking.organization_id,
        )
        n += 1
    return n


# --- context ---------------------------------------------------------------------------------------------


def _host_name(booking: Booking) -> str:
    user = booking.host.user
    return user.name or user.email


def invitee_language(invitee: Invitee) -> str:
    """The language the invitee booked in (older bookings: the event type's default)."""
    return invitee.language or invitee.booking.event_type.default_language or settings.LANGUAGE_CODE


def context_for(
    *, booking: Booking, invitee: Invitee, zone: str, reason: str = "", previous=None, locale: str | None = None
) -> dict:
    """The email's facts, worded in the active language (translation.override around the call); `locale`,
    by default that language, is the reader's for the dates (core.datefmt, the booking page's formatter)."""
    locale = locale or translation.get_language() or DEFAULT_LOCALE
    location = booking.location or ""
    ctx = {
        "event_name": event_type_text(booking.event_type, translation.get_language()).name,
        "host_name": _host_name(booking),
        "host_email": booking.host.user.email,
        "invitee_name": invitee.name,
        "invitee_email": invitee.email,
        "invitee_zone": invitee.timezone,
        "when": format_when(booking.start, booking.end, zone, locale),
        "when_short": format_when_short(booking.start, zone, locale),
        "zone": zone,
        "location": location,
        "location_kind": booking.location_kind,
        "location_is_url": location.startswith(("https://", "http://")),
        "answers": invitee.answers or [],
        "cancel_url": f"{settings.BASE_URL}/cancel/{invitee.cancel_token}/",
        "reschedule_url": f"{settings.BASE_URL}/reschedule/{invitee.reschedule_token}/",
        "reason": reason,
        "canceled_by": booking.canceled_by,
        "previous_when": "",
        "expires_when": "",
        "approve_url": "",
        "decline_url": "",
    }
    if booking.pk and booking.approval == Booking.Approval.PENDING and booking.approval_expires_at:
        ctx["expires_when"] = format_when_short(booking.approval_expires_at, zone, locale)
        ctx["approve_url"] = f"{settings.BASE_URL}/approval/{approvals.token(booking, 'approve')}/"
        ctx["decline_url"] = f"{settings.BASE_URL}/approval/{approvals.token(booking, 'decline')}/"
    guests = list(booking.guests.order_by("pk")) if booking.pk else []
    ctx["guests"] = [g.email for g in guests]
    ctx["declined_guests"] = [g.email for g in guests if g.declined_at]
    if previous:
        ctx["previous_when"] = format_when(
            datetime.fromisoformat(previous[0]), datetime.fromisoformat(previous[1]), zone, locale
        )
    return ctx


# --- sending ---------------------------------------------------------------------------------------------


class _Email(EmailMultiAlternatives):
    """Keeps the `method` parameter on the text/calendar part, which iMIP clients read (RFC 6047 §2.4)."""

    def _create_mime_attachment(self, content, mimetype):
        if mimetype.startswith("text/calendar"):
            part = MIMEText(content if isinstance(content, str) else content.decode(), "calendar", "utf-8")
            for param in mimetype.split(";")[1:]:
                name, _, value = param.strip().partition("=")
                part.set_param(name, value)
            return part
        return super()._create_mime_attachment(content, mimetype)  # type: ignore[misc]  # private, not in the stubs


def send(
    *,
    to: str,
    kind: str,
    rendered,
    booking: Booking,
    invitee: Invitee | None,
    job_id: int | None,
    calendar: bytes | None = None,
    method: str = "",
    ical_uid: str = "",
    sequence: int | None = None,
    now: datetime,
) -> SentEmail:
    msg = _Email(subject=rendered.subject, body=rendered.text, to=[to], from_email=settings.DEFAULT_FROM_EMAIL)
    msg.attach_alternative(rendered.html, "text/html")
    if calendar is not None:
        msg.attach_alternative(calendar.decode(), f"text/calendar;method={method}")
        # Some clients only look at attachments.
        msg.attach("invite.ics", calendar, "application/ics")
    mail.send_message(msg)
    return SentEmail.objects.create(
        organization_id=booking.organization_id,
        booking=booking,
        invitee=invitee,
        kind=kind,
        to=to,
        subject=rendered.subject,
        method=method,
        ical_uid=ical_uid,
        sequence=sequence,
        job_id=job_id,
        sent_at=now,
    )


def _load_invitee(invitee_id: int) -> Invitee | None:
    """None also when their data was deleted (api/erasure.py): a job written before or after that must
    never mail a placeholder address or tell a host about a person who is gone."""
    invitee = (
        Invitee.objects.select_related("booking__event_type", "booking__host__user", "booking__organization")
        .filter(pk=invitee_id)
        .first()
    )
    return None if invitee is None or invitee.is_erased else invitee


def _wait_for_location(booking: Booking) -> None:
    from slotwise.conferencing.selectors import location_pending

    if location_pending(booking):
        raise Defer(LOCATION_WAIT_SECONDS, "waiting for the meeting link to be created")


def _ready_invitee(payload: dict):
    """The invitee an email job is about, once the meeting link exists (cancellations need none);
    None when the invitee is gone or erased."""
    invitee = _load_invitee(payload["invitee_id"])
    if invitee is not None and payload["what"] not in ("canceled", "requested", "declined"):
        _wait_for_location(invitee.booking)
    return invitee


@handler(INVITEE_JOB)
def send_invitee_email(payload: dict, job: Job) -> None:
    invitee = _ready_invitee(payload)
    if invitee is None:
        return
    booking = invitee.booking
    what = payload["what"]
    kind = {
        "confirmed": Kind.INVITEE_CONFIRMED,
        "rescheduled": Kind.INVITEE_RESCHEDULED,
        "canceled": Kind.INVITEE_CANCELED,
        "updated": Kind.INVITEE_UPDATED,
        "requested": Kind.INVITEE_REQUESTED,
        "declined": Kind.INVITEE_DECLINED,
    }[what]
    zone = invitee.timezone
    method = calendar_object.series_method(booking, "CANCEL" if what == "canceled" else "REQUEST")
    sequence = payload.get("sequence", 0)
    with translation.override(invitee_language(invitee)):
        ctx = context_for(
            booking=booking,
            invitee=invitee,
            zone=zone,
            reason=payload.get("reason", ""),
            previous=payload.get("previous"),
        )
        rendered = render(kind, ctx, organization_id=booking.organization_id, event_type_id=booking.event_type_id)
        if what in ("requested", "declined"):
            # Not (or no longer) a meeting: no calendar object until the host approves.
            send(
                to=invitee.email,
                kind=kind,
                rendered=rendered,
                booking=booking,
                invitee=invitee,
                job_id=job.pk,
                now=job.now,
            )
            return
        calendar = ical.invitation(
            booking=booking, invitee=invitee, method=method, sequence=sequence, description=rendered.text, stamp=job.now
        )
    uid, _ = calendar_object.identity(booking)
    send(
        to=invitee.email,
        kind=kind,
        rendered=rendered,
        booking=booking,
        invitee=invitee,
        job_id=job.pk,
        calendar=calendar,
        method=method,
        ical_uid=uid,
        sequence=sequence,
        now=job.now,
    )


@handler(HOST_JOB)
def send_host_email(payload: dict, job: Job) -> None:
    invitee = _ready_invitee(payload)
    if invitee is None:
        return
    booking = invitee.booking
    what = payload["what"]
    kind = {
        "confirmed": Kind.HOST_CONFIRMED,
        "rescheduled": Kind.HOST_RESCHEDULED,
        "canceled": Kind.HOST_CANCELED,
        "updated": Kind.HOST_UPDATED,
        "requested": Kind.HOST_REQUESTED,
    }[what]
    hosts = [bh.membership for bh in booking.host_blocks.select_related("membership__user").order_by("pk")]
    for membership in hosts or [booking.host]:
        user = membership.user
        with translation.override(settings.LANGUAGE_CODE):  # hosts read the dashboard's language
            ctx = context_for(
                booking=booking,
                invitee=invitee,
                zone=user.timezone,
                reason=payload.get("reason", ""),
                previous=payload.get("previous"),
            )
            ctx["host_name"] = user.name or user.email
            rendered = render(kind, ctx, organization_id=booking.organization_id, event_type_id=booking.event_type_id)
        send(to=user.email, kind=kind, rendered=rendered, booking=booking, invitee=invitee, job_id=job.pk, now=job.now)


@handler(GUEST_JOB)
def send_guest_email(payload: dict, job: Job) -> None:
    """A guest's copy of the invitation (or its cancellation), with their decline link."""
    from slotwise.bookings.models import Guest

    guest = (
        Guest.objects.select_related("booking__event_type", "booking__host__user")
        .filter(pk=payload["guest_id"])
        .first()
    )
    invitee = _ready_invitee(payload)
    if guest is None or invitee is None or (guest.declined_at and payload["what"] != "canceled"):
        return
    booking = guest.booking
    what = payload["what"]
    kind = Kind.GUEST_CANCELED if what == "canceled" else Kind.GUEST_INVITED
    method = calendar_object.series_method(booking, "CANCEL" if what == "canceled" else "REQUEST")
    sequence = payload.get("sequence", 0)
    # In the language of the invitee who added the guest: the one the meeting was booked in.
    with translation.override(invitee_language(invitee)):
        ctx = context_for(booking=booking, invitee=invitee, zone=booking.timezone, reason=booking.cancel_reason)
        ctx["guest_email"] = guest.email
        ctx["decline_url"] = f"{settings.BASE_URL}/guest/{guest.decline_token}/decline/"
        rendered = render(kind, ctx, organization_id=booking.organization_id, event_type_id=booking.event_type_id)
        calendar = ical.invitation(
            booking=booking,
            invitee=invitee,
            method=method,
            sequence=sequence,
            description=rendered.text,
            stamp=job.now,
            for_guest=True,
        )
    uid, _ = calendar_object.identity(booking)
    send(
        to=guest.email,
        kind=kind,
        rendered=rendered,
        booking=booking,
        invitee=invitee,
        job_id=job.pk,
        calendar=calendar,
        method=method,
        ical_uid=uid,
        sequence=sequence,
        now=job.now,
    )


@handler(REMINDER_JOB)
def send_reminder(payload: dict, job: Job) -> None:
    invitee = _load_invitee(payload["invitee_id"])
    reminder = Reminder.objects.filter(pk=payload["reminder_id"], active=True).first()
    if invitee is None or reminder is None:
        return  # the reminder was switched off or the booking deleted since it was scheduled
    booking = invitee.booking
    if booking.status != Booking.Status.CONFIRMED or invitee.status != Invitee.Status.ACTIVE:
        return
    _wait_for_location(booking)
    to_invitee = reminder.recipient == Reminder.Recipient.INVITEE
    zone = invitee.timezone if to_invitee else booking.host.user.timezone
    with translation.override(invitee_language(invitee) if to_invitee else settings.LANGUAGE_CODE):
        ctx = context_for(booking=booking, invitee=invitee, zone=zone)
        ctx.update(
            recipient_name=invitee.name if to_invitee else _host_name(booking),
            other_name=_host_name(booking) if to_invitee else invitee.name,
            recipient_is_invitee=to_invitee,
        )
        rendered = render(
            Kind.REMINDER,
            ctx,
            organization_id=booking.organization_id,
            event_type_id=booking.event_type_id,
            subject=reminder.subject,
            text=reminder.text,
        )
    to = invitee.email if to_invitee else booking.host.user.email
    send(to=to, kind=Kind.REMINDER, rendered=rendered, booking=booking, invitee=invitee, job_id=job.pk, now=job.now)


# --- preview ---------------------------------------------------------------------------------------------


def preview(*, kind: str, event_type, now: datetime, subject: str = "", text: str = "", html: str = ""):
    """Render an email for a sample booking of `event_type` (tomorrow, 10:00 in the organization's zone),
    with the stored templates or the wording being edited. Nothing is saved or sent."""
    from zoneinfo import ZoneInfo

    from slotwise.scheduling import selectors as scheduling_selectors

    if kind not in BOOKING_KINDS:
        raise InvalidInput(f"There is no email called {kind!r}; use one of {', '.join(BOOKING_KINDS)}", field="kind")
    org = event_type.organization
    host = event_type.owner or next(iter(scheduling_selectors.event_hosts(event_type)), None)
    if host is None:
        raise InvalidInput("This event has no host yet; add one to preview its emails", field="event_type")
    tz = ZoneInfo(org.timezone)
    day = (now.astimezone(tz) + timedelta(days=1)).date()
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=tz).astimezone(now.tzinfo)
    booking = Booking(
        organization=org,
        event_type=event_type,
        host=host,
        start=start,
        end=start + timedelta(minutes=event_type.duration_minutes),
        timezone=org.timezone,
        duration_minutes=event_type.duration_minutes,
        location_kind=event_type.location_kind,
        location=event_type.location_value or "https://meet.jit.si/Slotwise-preview",
    )
    invitee = Invitee(
        booking=booking,
        name="Ada Lovelace",
        email="ada@example.com",
        timezone=org.timezone,
        answers=[
            {"key": q["key"], "question": q.get("label", q["key"]), "answer": "(their answer)"}
            for q in event_type.questions or []
        ],
        cancel_token="preview-cancel-token",  # noqa: S106 - a preview's placeholder, not a secret
        reschedule_token="preview-reschedule-token",  # noqa: S106 - a preview's placeholder
    )
    ctx = context_for(
        booking=booking,
        invitee=invitee,
        zone=org.timezone,
        reason="(their reason)",
        previous=[(start - timedelta(days=1)).isoformat(), (booking.end - timedelta(days=1)).isoformat()]
        if kind.endswith("rescheduled")
        else None,
    )
    ctx.update(recipient_name=invitee.name, other_name=_host_name(booking), recipient_is_invitee=True)
    return render(kind, ctx, organization_id=org.pk, event_type_id=event_type.pk, subject=subject, text=text, html=html)


def template_save(
    *, organization, kind: str, event_type=None, subject: str = "", text: str = "", html: str = "", membership=None
) -> EmailTemplate | None:
    """Store an organization's (or one event type's) wording; all fields empty removes it (back to the
    built-in one). Organization-wide wording is for admins; an event type's for its owner or an admin."""
    from slotwise.core.errors import PermissionDenied

    from .render import _from_string

    if kind not in BOOKING_KINDS:
        raise InvalidInput(f"There is no email called {kind!r}; use one of {', '.join(BOOKING_KINDS)}", field="kind")
    if (
        membership is not None
        and not membership.is_admin
        and (event_type is None or event_type.owner_id != membership.pk)
    ):
        raise PermissionDenied("only admins can change organization-wide emails or other hosts' event types")
    if event_type is not None and event_type.organization_id != organization.pk:
        raise InvalidInput("That event type belongs to another organization", field="event_type")
    for field, source, limit in (("subject", subject, 300), ("text", text, 20000), ("html", html, 50000)):
        if len(source) > limit:
            raise InvalidInput(f"The {field} can be at most {limit} characters", field=field)
        if source:
            _from_string(source, field)
    lookup = {"organization": organization, "event_type": event_type, "kind": kind}
    if not (subject or text or html):
        EmailTemplate.objects.filter(**lookup).delete()
        return None
    template, _ = EmailTemplate.objects.update_or_create(
        **lookup, defaults={"subject": subject, "text": text, "html": html}
    )
    return template
