"""iMIP invitations (RFC 6047 over RFC 5546): one VEVENT, METHOD REQUEST or CANCEL, with the start in the
reader's zone (TZID) and that zone's VTIMEZONE, so a calendar shows the wall time the invitee chose.
The object itself, and its UID and SEQUENCE, come from bookings/calendar_object.py, as for every other
calendar object Slotwise emits."""

from datetime import datetime

from django.conf import settings
from django.utils.translation import get_language, gettext

from slotwise.bookings import calendar_object
from slotwise.bookings.models import Booking, Invitee
from slotwise.scheduling.selectors import event_type_text


def host_name(booking: Booking) -> str:
    user = booking.host.user
    return user.name or user.email


def summary(booking: Booking) -> str:
    """What the invitee's calendar calls the meeting (the email and the download alike), in the active
    language."""
    name = event_type_text(booking.event_type, get_language()).name
    return gettext("%(event)s with %(host)s") % {"event": name, "host": host_name(booking)}


def _guests(booking: Booking) -> list[calendar_object.Party]:
    if not booking.pk:
        return []
    return [
        calendar_object.Party(
            email=g.email,
            params={
                "ROLE": "OPT-PARTICIPANT",
                "PARTSTAT": "DECLINED" if g.declined_at else "NEEDS-ACTION",
                "RSVP": "FALSE",
            },
        )
        for g in booking.guests.order_by("pk")
    ]


def invitation(
    *,
    booking: Booking,
    invitee: Invitee,
    method: str,
    description: str,
    stamp: datetime,
    sequence: int | None = None,
    location: str | None = None,
    for_guest: bool = False,
) -> bytes:
    """The invitee's copy of the meeting. `method` REQUEST, CANCEL, or PUBLISH (the download). The guests
    the invitee added are optional attendees (their answer, once they decline, with them); for_guest: a
    guest's copy, which carries no reschedule link."""
    if method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"method must be REQUEST, CANCEL or PUBLISH, not {method!r}")
    if method == "PUBLISH":  # the download says what holds now
        cancelled = booking.status != Booking.Status.CONFIRMED or invitee.status != Invitee.Status.ACTIVE
    else:
        cancelled = method == "CANCEL"
    return calendar_object.single(
        booking,
        method=method,
        cancelled=cancelled,
        zone=invitee.timezone,
        summary=summary(booking),
        description=description,
        location=booking.location if location is None else location,
        url="" if cancelled or for_guest else f"{settings.BASE_URL}/reschedule/{invitee.reschedule_token}/",
        organizer=calendar_object.Party(email=booking.host.user.email, name=host_name(booking)),
        attendees=[calendar_object.Party(email=invitee.email, name=invitee.name), *_guests(booking)],
        stamp=stamp,
        sequence=sequence,
    )
