"""API-side writes that are not another app's: the no-show resource, and data-compliance deletion."""

from datetime import datetime

from django.db import transaction

from slotwise.accounts.models import Organization
from slotwise.bookings.links import links_forget
from slotwise.bookings.models import Invitee
from slotwise.core.errors import InvalidInput

from .models import InviteeNoShow


def no_show_mark(*, invitee: Invitee, now: datetime) -> InviteeNoShow:
    mark, _ = InviteeNoShow.objects.get_or_create(invitee=invitee, defaults={"created_at": now})
    return mark


def on_no_show_set(*, event, invitee, now, **_):
    # A no-show marked from the dashboard gets its resource (uri) too.
    no_show_mark(invitee=invitee, now=now)


def on_no_show_cleared(*, event, invitee, now, **_):
    # Registered after the webhooks app's subscriber (INSTALLED_APPS order), which still needs the mark's uri.
    InviteeNoShow.objects.filter(invitee=invitee).delete()


def invitees_forget(*, organization: Organization, emails: list[str], now: datetime) -> int:
    """Remove these people's personal data from the organization: invitee names, emails and answers, the
    prefill of single-use links sent to them,
    their contact and its timeline, and webhook payloads that carried them. Bookings stay, anonymous,
    so counts and reports still add up. Returns how many invitee rows were scrubbed."""
    from slotwise.contacts.models import Contact, FunnelEvent
    from slotwise.webhooks.models import WebhookAttempt, WebhookDelivery

    clean = sorted({e.strip().lower() for e in emails if isinstance(e, str) and e.strip()})
    if not clean:
        raise InvalidInput("emails: give at least one email address", field="emails")
    if len(clean) > 100:
        raise InvalidInput("emails: at most 100 addresses per request", field="emails")
    with transaction.atomic():
        links_forget(organization=organization, emails=clean)
        invitees = list(Invitee.objects.filter(booking__organization=organization, email__in=clean))
        for inv in invitees:
            Invitee.objects.filter(pk=inv.pk).update(
                name="Deleted invitee", first_name="", last_name="", email=f"deleted-{inv.uid.hex}@invalid.invalid",
                answers=[], updated_at=now,
            )
        contacts = Contact.objects.filter(organization=organization, email__in=clean)
        FunnelEvent.objects.filter(contact__in=contacts).delete()
        contacts.delete()
        deliveries = WebhookDelivery.objects.filter(subscription__organization=organization)
        for email in clean:
            hit = deliveries.filter(body__icontains=email)
            WebhookAttempt.objects.filter(delivery__in=hit).update(response_excerpt="")
            hit.update(body='{"redacted":true}')
    return len(invitees)
