from django.db.models import QuerySet

from slotwise.accounts.models import Organization
from slotwise.bookings.models import Invitee

from .models import Contact, FunnelEvent


def contact_list(*, organization: Organization, query: str = "") -> QuerySet[Contact]:
    qs = Contact.objects.filter(organization=organization).select_related("owner__user")
    if query:
        qs = qs.filter(email__icontains=query) | qs.filter(name__icontains=query)
    return qs.order_by("-last_booked_at", "email")


def contact_bookings(contact: Contact) -> QuerySet[Invitee]:
    return (
        Invitee.objects.filter(booking__organization_id=contact.organization_id, email=contact.email)
        .select_related("booking__event_type", "booking__host__user")
        .order_by("-booking__start")
    )


def contact_timeline(contact: Contact) -> QuerySet[FunnelEvent]:
    return FunnelEvent.objects.filter(contact=contact).order_by("created_at", "id")
