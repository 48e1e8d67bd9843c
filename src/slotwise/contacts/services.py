"""Contact and funnel writes. The booking funnel is recorded against an anonymous visitor id (a
first-party cookie) and attached to the contact when that visitor books."""

from datetime import datetime

from django.db import transaction

from slotwise.accounts.models import Organization

from .models import Contact, FunnelEvent

STEPS = ("calendar_1st_step", "calendar_2nd_step", "calendar_3rd_step", "calendar_4th_step_submit")
MAX_VISITOR_ID = 64


def funnel_record(
    *,
    organization: Organization,
    visitor_id: str,
    name: str,
    now: datetime,
    attributes: dict | None = None,
    contact: Contact | None = None,
) -> FunnelEvent | None:
    """One funnel step. Without a visitor id (cookies refused) there is no timeline to add to."""
    if name not in STEPS:
        raise ValueError(f"unknown funnel step {name!r}")
    if not visitor_id or len(visitor_id) > MAX_VISITOR_ID:
        return None
    # A reload, a zone change or a 12/24h switch repeats the step the visitor is on: one row is enough.
    last = FunnelEvent.objects.filter(organization=organization, visitor_id=visitor_id).order_by("-id").first()
    if last is not None and last.name == name and last.attributes == (attributes or {}) and contact is None:
        return last
    return FunnelEvent.objects.create(
        organization=organization,
        visitor_id=visitor_id,
        name=name,
        attributes=attributes or {},
        contact=contact,
        created_at=now,
    )


def funnel_submit(
    *, organization: Organization, visitor_id: str, email: str, now: datetime, attributes: dict
) -> Contact | None:
    """Record the submit step and attach the visitor's earlier, anonymous steps to their contact."""
    contact = Contact.objects.filter(organization=organization, email=email.strip().lower()).first()
    with transaction.atomic():
        funnel_record(
            organization=organization,
            visitor_id=visitor_id,
            name="calendar_4th_step_submit",
            now=now,
            attributes=attributes,
            contact=contact,
        )
        if contact is not None and visitor_id:
            FunnelEvent.objects.filter(organization=organization, visitor_id=visitor_id, contact__isnull=True).update(
                contact=contact
            )
    return contact
