from django.db.models import QuerySet

from slotwise.accounts.models import Organization

from .models import Contact, FunnelEvent


def contact_list(*, organization: Organization, query: str = "") -> QuerySet[Contact]:
    qs = Contact.objects.filter(organization=organization).select_related("owner__user")
    if query:
        qs = qs.filter(email__icontains=query) | qs.filter(name__icontains=query)
    return qs.order_by("-last_booked_at", "email")


def contact_timeline(contact: Contact) -> QuerySet[FunnelEvent]:
    return FunnelEvent.objects.filter(contact=contact).order_by("created_at", "id")
