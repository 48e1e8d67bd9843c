"""Marking an invitee as a no-show (host side), and clearing it."""

from datetime import datetime

from django.db import transaction

from slotwise.core.errors import InvalidInput
from slotwise.core.events import publish

from .models import Invitee


def invitee_no_show_set(*, invitee: Invitee, no_show: bool, now: datetime) -> Invitee:
    if no_show and invitee.booking.start > now:
        raise InvalidInput("no_show: the meeting has not started yet", field="no_show")
    with transaction.atomic():
        changed = Invitee.objects.filter(pk=invitee.pk).exclude(no_show=no_show).update(no_show=no_show)
        invitee.no_show = no_show
        if changed:
            publish("invitee.no_show_set" if no_show else "invitee.no_show_cleared", invitee=invitee, now=now)
    return invitee
