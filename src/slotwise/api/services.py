"""API-side writes that are not another app's: the no-show resource, and data-compliance deletion
(erasure.py)."""

from datetime import datetime

from slotwise.bookings.models import Invitee

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
