"""/dashboard/bookings/<uid>/reschedule/: a host moves a meeting to another time they offer.

The times are the engine's, for this host (all hosts of a collective event), over the next two weeks from
the week the host is looking at; the move goes through bookings.booking_reschedule, the invitee path's
service, with the same rules and the database guard. The invitee gets the "has moved" email with the
updated invitation (same UID, next SEQUENCE), which their calendar applies, and its reschedule link to
pick another time if the new one does not suit them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from slotwise.bookings import availability
from slotwise.bookings import services as bookings
from slotwise.bookings.models import Booking, Invitee
from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, SlotwiseError
from slotwise.core.instants import parse_date, parse_instant
from slotwise.scheduling.models import EventType

from . import booking as page
from .dashboard import _booking_for, _host_zone, host_required

DAYS_SHOWN = 14


def _times(b: Booking, zone: str, *, frm, now: datetime) -> list[dict]:
    tz = ZoneInfo(zone)
    start = max(now, datetime(frm.year, frm.month, frm.day, tzinfo=tz))
    host = None if b.event_type.kind == EventType.Kind.COLLECTIVE else b.host
    result = availability.event_availability(
        event_type=b.event_type,
        start=start,
        end=start + timedelta(days=DAYS_SHOWN),
        viewer_zone=zone,
        now=now,
        host=host,
        duration_minutes=b.duration_minutes,
    )
    return [
        {
            "day": page.fmt_day(starts[0], zone),
            "times": [{"iso": f"{s:%Y-%m-%dT%H:%M:%SZ}", "label": page.fmt_time(s, zone, "24")} for s in starts],
        }
        for _, starts in sorted(result.days.items())
        if starts
    ]


@host_required
def booking_reschedule(request, uid):
    m = request.membership
    b = _booking_for(m, uid)
    b = Booking.objects.select_related("event_type__team", "host__user", "organization").get(pk=b.pk)
    zone = _host_zone(m if b.host_id == m.pk else b.host)
    now = utc_now()
    error = ""
    if b.source == Booking.Source.IMPORT:
        error = bookings.imported_message(b)  # changed where it was booked; the import follows
    elif b.status != Booking.Status.CONFIRMED or b.end <= now:
        error = "Only an upcoming, confirmed meeting can be moved."
    elif request.method == "POST":
        try:
            if not request.POST.get("start"):
                raise InvalidInput("Pick the new time", field="start")
            new_start = parse_instant(request.POST.get("start", ""), field="start")
            reason = request.POST.get("reason", "")
            invitees = list(b.invitees.filter(status=Invitee.Status.ACTIVE).order_by("pk"))
            if not invitees:
                raise InvalidInput("This meeting has no invitee left to move", field="start")
            with transaction.atomic():
                moved = [
                    bookings.booking_reschedule(invitee=i, new_start=new_start, now=now, reason=reason, by_host=m)
                    for i in invitees
                ]
        except SlotwiseError as exc:
            error = exc.message
        else:
            new = moved[-1].booking
            messages.success(
                request,
                f"Moved to {page.fmt_day(new.start, zone)}, "
                f"{page.fmt_time(new.start, zone, '24')} ({zone}). The invitee has the updated "
                "invitation, and a link to pick another time.",
            )
            return redirect("booking_detail", uid=new.uid)
    try:
        frm = parse_date(request.GET.get("from", ""), field="from") if request.GET.get("from") else None
    except SlotwiseError as exc:
        error, frm = exc.message, None
    today = now.astimezone(ZoneInfo(zone)).date()
    frm = max(frm or today, today)
    days = _times(b, zone, frm=frm, now=now) if not error or request.method == "POST" else []
    return render(
        request,
        "web/dash_reschedule.html",
        {
            "nav": "bookings",
            "b": b,
            "zone": zone,
            "days": days,
            "error": error,
            "when": {"day": page.fmt_day(b.start, zone), "time": page.fmt_time(b.start, zone, "24")},
            "later": (frm + timedelta(days=DAYS_SHOWN)).isoformat(),
            "earlier": (frm - timedelta(days=DAYS_SHOWN)).isoformat() if frm > today else "",
        },
        status=400 if error else 200,
    )
