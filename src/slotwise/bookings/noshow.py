"""Marking an invitee as a no-show (host side, from the dashboard or the API), and clearing it."""

from datetime import datetime

from django.db import transaction

from slotwise.core.errors import InvalidInput
from slotwise.core.events import publish

from .models import Invitee, InviteeNoShow


def invitee_no_show_set(*, invitee: Invitee, no_show: bool, now: datetime) -> InviteeNoShow | None:
    """Mark or clear; returns the mark (None once cleared). Publishes invitee.no_show_set / _cleared with the
    mark only when something changed; a cleared mark is passed as it was, so its uri can still be told."""
    if no_show and invitee.booking.start > now:
        raise InvalidInput("no_show: the meeting has not started yet", field="no_show")
    with transaction.atomic():
        if no_show:
            mark, changed = InviteeNoShow.objects.get_or_create(invitee=invitee, defaults={"created_at": now})
            told = mark
        else:
            mark, told = None, InviteeNoShow.objects.filter(invitee=invitee).first()
            changed = told is not None and InviteeNoShow.objects.filter(pk=told.pk).delete()[0] > 0
        Invitee.no_show_mark.related.set_cached_value(invitee, mark)
        if changed:
            event = "invitee.no_show_set" if no_show else "invitee.no_show_cleared"
            publish(event, invitee=invitee, mark=told, now=now)
    return mark
