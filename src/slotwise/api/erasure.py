"""Invitee data deletion (POST /data_compliance/deletion/invitees): forget people by email.

A row is about the person when it names their email or is tied to one of their invitee rows (their
booking, their jobs, the emails sent to them). In those rows every text that carries their email or one of
their names is rewritten; what exists only for them (their contact and its whole funnel timeline, also the
anonymous steps of the same visitor, queued emails to them, webhook deliveries not yet sent) is removed or
canceled. Bookings stay, anonymous, so counts and reports still add up, and the copies written into hosts'
and team calendars are rewritten through the calendars' own jobs.

tests/api/test_invitee_erasure.py scans every text column of every table afterwards, so a table added later
that keeps a name or an address fails that test until it is handled here.
"""

import re
from datetime import datetime

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from slotwise.accounts.models import LoginThrottle, Organization
from slotwise.bookings.links import links_forget
from slotwise.bookings.models import ERASED_NAME, Booking, IdempotencyRecord, Invitee, SingleUseLink, erased_email
from slotwise.core.errors import InvalidInput

REDACTED = "[deleted]"


class _Needles:
    """The person's email addresses and names, found case-insensitively."""

    def __init__(self, emails: list[str], names: set[str]):
        words = set(emails) | {n.strip() for n in names if n and len(n.strip()) >= 2}
        words.discard(ERASED_NAME)
        self.emails = emails
        self.words = sorted(words, key=len, reverse=True)  # "Ada Lovelace" before "Ada"
        self._re = re.compile("|".join(re.escape(w) for w in self.words), re.IGNORECASE) if self.words else None

    def found_in(self, text) -> bool:
        return bool(self._re and isinstance(text, str) and self._re.search(text))

    def scrub(self, value):
        """The same value with every mention replaced; dicts and lists are walked (keys too)."""
        if self._re is None:
            return value
        if isinstance(value, str):
            return self._re.sub(REDACTED, value)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        return value

    def email_q(self, field: str) -> Q:
        q = Q(pk__in=[])
        for e in self.emails:
            q |= Q(**{f"{field}__icontains": e})
        return q


def _rewrite(rows, fields: list[str], needles: _Needles) -> int:
    n = 0
    for row in rows:
        changed = {f: needles.scrub(getattr(row, f)) for f in fields}
        changed = {f: v for f, v in changed.items() if v != getattr(row, f)}
        if changed:
            type(row).objects.filter(pk=row.pk).update(**changed)
            n += 1
    return n


def invitees_forget(*, organization: Organization, emails: list[str], now: datetime) -> int:
    """Remove these people's personal data from the organization. Returns how many invitee rows were
    scrubbed. One transaction: either all of it is forgotten or nothing changed."""
    clean = sorted({e.strip().lower() for e in emails if isinstance(e, str) and e.strip()})
    if not clean:
        raise InvalidInput("emails: give at least one email address", field="emails")
    if len(clean) > 100:
        raise InvalidInput("emails: at most 100 addresses per request", field="emails")
    with transaction.atomic():
        invitees = list(Invitee.objects.filter(booking__organization=organization, email__in=clean))
        from slotwise.contacts.models import Contact

        contacts = list(Contact.objects.filter(organization=organization, email__in=clean))
        names = {n for i in invitees for n in (i.name, i.first_name, i.last_name)} | {c.name for c in contacts}
        # A single-use link may be the only place the person's name is known: sent to them, never used.
        names |= set(
            SingleUseLink.objects.filter(event_type__organization=organization, prefill_email__in=clean).values_list(
                "prefill_name", flat=True
            )
        )
        needles = _Needles(clean, names)
        booking_ids = {i.booking_id for i in invitees}

        _jobs(organization, invitees, needles)
        _bookings(booking_ids, needles)
        _sent_emails(organization, invitees, needles)
        _contacts(organization, contacts)
        _webhooks(organization, needles)
        _automation(booking_ids, needles)
        _calendars(organization, booking_ids, needles, now)
        _idempotency(needles)
        _admin_log(invitees, contacts, needles)
        LoginThrottle.objects.filter(key__in=[f"account:{e}" for e in clean]).delete()
        # First by the address the link was sent to (its prefilled name is known only there), then any
        # other text field of a link that mentions them.
        links_forget(organization=organization, emails=clean)
        _single_use_links(organization, needles)

        for inv in invitees:
            Invitee.objects.filter(pk=inv.pk).update(
                name=ERASED_NAME,
                first_name="",
                last_name="",
                email=erased_email(inv.uid),
                answers=[],
                updated_at=now,
            )
    return len(invitees)


def _jobs(organization, invitees, needles: _Needles) -> None:
    """Emails and reminders still queued for them are canceled (never sent to a placeholder address), and
    every job about them, done or not, forgets what its payload or error says about them."""
    from slotwise.jobs.models import Job

    keys = [f"invitee:{i.uid}" for i in invitees]
    Job.objects.filter(key__in=keys, status=Job.Status.PENDING).update(status=Job.Status.CANCELED)
    about = Job.objects.filter(
        Q(key__in=keys) | needles.email_q("payload") | needles.email_q("last_error"),
        Q(organization=organization) | Q(organization__isnull=True),
    )
    _rewrite(about, ["payload", "last_error"], needles)


def _bookings(booking_ids, needles: _Needles) -> None:
    for b in Booking.objects.filter(pk__in=booking_ids):
        reason = "" if b.canceler_type == "invitee" else needles.scrub(b.cancel_reason)  # their own words
        by = ERASED_NAME if needles.found_in(b.canceled_by) else b.canceled_by
        if (reason, by) != (b.cancel_reason, b.canceled_by):
            Booking.objects.filter(pk=b.pk).update(cancel_reason=reason, canceled_by=by)


def _sent_emails(organization, invitees, needles: _Needles) -> None:
    from slotwise.notifications.models import SentEmail

    # The log keeps that an email went out and when, not to whom (so no row ever names a placeholder address).
    rows = SentEmail.objects.filter(Q(invitee__in=invitees) | needles.email_q("to"), organization=organization)
    for row in rows:
        to = ERASED_NAME if needles.found_in(row.to) else row.to
        SentEmail.objects.filter(pk=row.pk).update(to=to, subject=needles.scrub(row.subject))


def _contacts(organization, contacts) -> None:
    """Their contact and its timeline go, and so do the anonymous steps of the same visitor (before or
    after the booking), which a visitor id would tie back to them."""
    from slotwise.contacts.models import Contact, FunnelEvent

    visitors = set(
        FunnelEvent.objects.filter(contact__in=contacts).exclude(visitor_id="").values_list("visitor_id", flat=True)
    )
    FunnelEvent.objects.filter(Q(contact__in=contacts) | Q(visitor_id__in=visitors), organization=organization).delete()
    Contact.objects.filter(pk__in=[c.pk for c in contacts]).delete()


def _webhooks(organization, needles: _Needles) -> None:
    """Deliveries that carry them are redacted; those not sent yet are not sent at all."""
    from slotwise.jobs.models import Job
    from slotwise.webhooks.models import WebhookAttempt, WebhookDelivery
    from slotwise.webhooks.services import JOB_KIND

    hit = WebhookDelivery.objects.filter(needles.email_q("body"), subscription__organization=organization)
    pending = list(hit.filter(status=WebhookDelivery.Status.PENDING).values_list("pk", flat=True))
    Job.objects.filter(kind=JOB_KIND, payload__delivery__in=pending, status=Job.Status.PENDING).update(
        status=Job.Status.CANCELED
    )
    WebhookAttempt.objects.filter(delivery__in=hit).update(response_excerpt="")
    WebhookDelivery.objects.filter(pk__in=pending).update(status=WebhookDelivery.Status.FAILED)
    hit.update(body='{"redacted":true}')
    _rewrite(
        WebhookAttempt.objects.filter(delivery__subscription__organization=organization).filter(
            needles.email_q("error")
        ),
        ["error"],
        needles,
    )


def _automation(booking_ids, needles: _Needles) -> None:
    from slotwise.automation.models import RuleRun

    _rewrite(RuleRun.objects.filter(booking_id__in=booking_ids), ["state", "error"], needles)


def _calendars(organization, booking_ids, needles: _Needles, now: datetime) -> None:
    """Calendar copies are rewritten (or removed, for a canceled booking) by the write-back jobs, which
    run after this commits with the invitee already anonymous; what sync read back is scrubbed now."""
    from slotwise.calendars.models import CalendarEvent, RemoteEvent
    from slotwise.calendars.writeback import enqueue_rewrite
    from slotwise.scheduling.models import BusyBlock

    for ce in CalendarEvent.objects.filter(booking_id__in=booking_ids).select_related("booking"):
        enqueue_rewrite(ce, now=now)
    booking_uids = [str(u) for u in Booking.objects.filter(pk__in=booking_ids).values_list("uid", flat=True)]
    ours = Q(pk__in=[])
    for uid in booking_uids:
        ours |= Q(uid__icontains=uid)
    events = RemoteEvent.objects.filter(calendar__connection__organization=organization).filter(
        ours | needles.email_q("data")
    )
    _rewrite(events, ["data"], needles)
    _rewrite(
        BusyBlock.objects.filter(organization=organization).filter(
            needles.email_q("label") | Q(external_id__in=list(events.values_list("uid", flat=True)))
        ),
        ["label"],
        needles,
    )


def _idempotency(needles: _Needles) -> None:
    """Replays of a booking request keep their status and shape but not the person (the record must stay,
    or a retried key would book again)."""
    _rewrite(IdempotencyRecord.objects.filter(needles.email_q("response")), ["response"], needles)


def _admin_log(invitees, contacts, needles: _Needles) -> None:
    from slotwise.contacts.models import Contact

    q = needles.email_q("object_repr") | needles.email_q("change_message")
    for model, rows in ((Invitee, invitees), (Contact, contacts)):
        ct = ContentType.objects.get_for_model(model)
        q |= Q(content_type=ct, object_id__in=[str(r.pk) for r in rows])
    _rewrite(LogEntry.objects.filter(q), ["object_repr", "change_message"], needles)


def _single_use_links(organization, needles: _Needles) -> None:
    """Single-use links may carry a person before they book (prefilled name and email): every text field
    of the organization's links that mentions them is cleared (an email field) or rewritten. Written over
    the model's fields, so a text field added to links later is covered without a change here."""
    from django.db import models

    fields = [
        f
        for f in SingleUseLink._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField)) and f.name != "token"
    ]
    if not fields:
        return
    q = Q(pk__in=[])
    for f in fields:
        for word in needles.words:  # names too: a link may name the person without their address
            q |= Q(**{f"{f.name}__icontains": word})
    for link in SingleUseLink.objects.filter(q, event_type__organization=organization):
        changed = {}
        for f in fields:
            value = getattr(link, f.name)
            if needles.found_in(value):
                changed[f.name] = "" if isinstance(f, models.EmailField) else needles.scrub(value)
        if changed:
            SingleUseLink.objects.filter(pk=link.pk).update(**changed)
