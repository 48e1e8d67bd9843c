"""Bookings out: the host's write-back copy and the team calendar copy ("copy to calendar" rule action).

Subscribers to booking events only enqueue a durable job (in the booking's transaction); the job makes the
calendar match the booking: a confirmed booking has one event in each of its hosts' write-back calendars,
a canceled one has none, and a rescheduled one hands its events to the new booking, which moves them.

A recurring booking is one calendar event (its RRULE and EXDATEs, bookings/calendar_object.py), held by
the series' first occurrence (its anchor): any occurrence created or canceled rewrites that one event,
which stays while any occurrence stands.
"""

from __future__ import annotations

from datetime import datetime

import icalendar
from django.conf import settings
from django.db import transaction

from slotwise.bookings import calendar_object
from slotwise.bookings.models import Booking, Invitee
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.jobs.models import Job
from slotwise.jobs.services import enqueue

from .adapters.registry import adapter_for
from .models import CalendarConnection, CalendarEvent, RemoteCalendar

WRITE_JOB = "calendars.writeback"
COPY_REWRITE_JOB = "calendars.rewrite_copy"


def booking_ics(booking: Booking, *, uid: str, now: datetime) -> str:
    """The host's copy of the meeting: UTC times, the meeting link, the invitees as attendees. Built by
    bookings/calendar_object.py like every calendar object we emit; `uid` is the meeting's UID (a copy
    written before that rule keeps the UID it was written with)."""
    if booking.series_id and booking.status != Booking.Status.CONFIRMED:
        # The series' event, written from an occurrence that stands (its anchor may be canceled).
        booking = (
            Booking.objects.filter(series_id=booking.series_id, status=Booking.Status.CONFIRMED)
            .order_by("series_index")
            .first()
            or booking
        )
    et = booking.event_type
    # An erased invitee (api/erasure.py) is not an attendee: their placeholder address must not be invited.
    invitees = [i for i in booking.invitees.filter(status=Invitee.Status.ACTIVE).order_by("pk") if not i.is_erased]
    host = booking.host.user
    who = ", ".join(i.name for i in invitees) or "invitee"
    lines = [f"{et.name} booked with Slotwise."]
    if booking.location:
        lines.append(f"Where: {booking.location}")
    lines += [f"Invitee: {i.name} <{i.email}>" for i in invitees]
    lines.append(f"Manage: {settings.BASE_URL}/dashboard/bookings/{booking.uid}/")
    ev = calendar_object.event(
        booking,
        summary=f"{et.name} with {who}",
        description="\n".join(lines),
        location=booking.location,
        url=booking.location if booking.location.startswith(("http://", "https://")) else "",
        organizer=calendar_object.Party(email=host.email, name=host.name or host.email),
        # SCHEDULE-AGENT=CLIENT: the invitees have their invitation from us; the server must not send one.
        attendees=[
            calendar_object.Party(email=i.email, name=i.name, params={"SCHEDULE-AGENT": "CLIENT"}) for i in invitees
        ],
        stamp=now,
    )
    if uid != calendar_object.identity(booking)[0]:
        ev["UID"] = icalendar.vText(uid)
    return calendar_object.calendar([ev]).decode()


# Subscribers (inside the booking's transaction) ------------------------------------------------------------


def _enqueue(booking: Booking, now: datetime, *, moved_from: Booking | None = None) -> None:
    """Only when a calendar is involved: most hosts have no write-back target, and their bookings cost
    no job at all."""
    booking = series_anchor(booking)
    hosts = list(booking.host_blocks.values_list("membership_id", flat=True)) or [booking.host_id]
    touched = [booking.pk] + ([moved_from.pk] if moved_from is not None else [])
    if not (
        RemoteCalendar.objects.filter(is_writeback=True, connection__membership_id__in=hosts).exists()
        or CalendarEvent.objects.filter(booking_id__in=touched, purpose=CalendarEvent.Purpose.WRITEBACK).exists()
    ):
        return
    payload = {"booking_id": booking.pk}
    if moved_from is not None:
        payload["moved_from"] = moved_from.pk
    key = f"booking:{booking.uid}"
    if booking.series_id and Job.objects.filter(kind=WRITE_JOB, key=key, status=Job.Status.PENDING).exists():
        return  # a series' occurrences in one transaction: the job to come writes what they all made
    enqueue(WRITE_JOB, payload, key=key, due_at=now, organization_id=booking.organization_id)


def series_anchor(booking: Booking) -> Booking:
    """The booking that holds a series' calendar events (its first occurrence); any other booking itself."""
    if not booking.series_id:
        return booking
    return Booking.objects.filter(series_id=booking.series_id).order_by("series_index").first() or booking


def _stands(booking: Booking) -> bool:
    """The calendar should hold it: confirmed, or, for a series, some occurrence confirmed."""
    if booking.series_id:
        return Booking.objects.filter(series_id=booking.series_id, status=Booking.Status.CONFIRMED).exists()
    return booking.status == Booking.Status.CONFIRMED


def on_booking_created(*, event, booking, invitee, now, **_):
    if booking.source == Booking.Source.IMPORT:
        return  # the scheduler it was imported from writes it to the host's calendar itself
    if booking.rescheduled_from_id:
        return  # booking.rescheduled follows in the same transaction and moves the old event
    _enqueue(booking, now)


def on_booking_changed(*, event, booking, now, **_):
    _enqueue(booking, now)


def on_booking_rescheduled(*, event, old, invitee, new, now, **_):
    new_booking = new.booking
    if new_booking.rescheduled_from_id == old.pk:
        _enqueue(new_booking, now, moved_from=old)
    else:  # one invitee of a group left for another time: the old event loses an attendee, a new one appears
        _enqueue(old, now)
        _enqueue(new_booking, now)


# The job -------------------------------------------------------------------------------------------------


def writeback_reconcile(*, booking_id: int, now: datetime, moved_from: int | None = None) -> None:
    """Make the hosts' write-back calendars match the booking. Idempotent: a retry converges."""
    booking = Booking.objects.select_related("event_type", "host__user").get(pk=booking_id)
    if (
        booking.status == Booking.Status.CONFIRMED
        and booking.location_kind == "zoom"
        and not booking.location
        and moved_from is None
    ):
        # The Zoom link is made by its own job; raising retries this one (30 s, 1 min ...) until it is there.
        raise LookupError(f"booking {booking.uid} has no Zoom link yet; the calendar event waits for it")
    if moved_from is not None:
        # The old booking's events become this booking's: same UID and href, so the PUT below moves them.
        CalendarEvent.objects.filter(booking_id=moved_from, purpose=CalendarEvent.Purpose.WRITEBACK).update(
            booking=booking
        )
    held = {
        ce.calendar_id: ce
        for ce in CalendarEvent.objects.filter(booking=booking, purpose=CalendarEvent.Purpose.WRITEBACK).select_related(
            "calendar__connection"
        )
    }
    wanted: dict[int, RemoteCalendar] = {}
    if _stands(booking):
        blocks = booking.host_blocks.all() if booking.series_id else booking.host_blocks.filter(active=True)
        hosts = list(blocks.values_list("membership_id", flat=True)) or [booking.host_id]
        for cal in RemoteCalendar.objects.filter(is_writeback=True, connection__membership_id__in=hosts).select_related(
            "connection"
        ):
            wanted[cal.pk] = cal
    for cal_id, ce in held.items():
        if cal_id not in wanted:
            if not _shared(ce.calendar, ce.uid, exclude=CalendarEvent.objects.filter(pk=ce.pk)):
                adapter = adapter_for(ce.calendar.connection, now=now)
                # An empty href: the create's job has not recorded its answer (yet); the name is deterministic.
                adapter.delete_event(
                    ce.calendar.remote_id, href=ce.href or adapter.default_href(ce.calendar.remote_id, ce.uid)
                )
            ce.delete()
    for cal_id, cal in wanted.items():
        ce = held.get(cal_id)
        uid = ce.uid if ce else calendar_object.identity(booking)[0]
        if ce is None:
            # Recorded before the remote write: sync skips our own UID, and a crash between the two leaves a
            # row whose retry overwrites the same href instead of creating a duplicate.
            ce = CalendarEvent.objects.create(
                booking=booking, calendar=cal, purpose=CalendarEvent.Purpose.WRITEBACK, uid=uid
            )
        written = adapter_for(cal.connection, now=now).put_event(
            cal.remote_id, uid=uid, ics=booking_ics(booking, uid=uid, now=now), href=ce.href
        )
        CalendarEvent.objects.filter(pk=ce.pk).update(href=written.href, etag=written.etag[:500])


def enqueue_rewrite(ce: CalendarEvent, *, now: datetime) -> None:
    """Write one calendar copy of a booking again from what the booking says now (after its invitee's data
    was deleted): a write-back copy through the write-back job, a team-calendar copy through its own."""
    booking = ce.booking
    if ce.purpose == CalendarEvent.Purpose.WRITEBACK:
        enqueue(
            WRITE_JOB,
            {"booking_id": booking.pk},
            key=f"booking:{booking.uid}",
            due_at=now,
            organization_id=booking.organization_id,
        )
    else:
        enqueue(
            COPY_REWRITE_JOB,
            {"calendar_event_id": ce.pk},
            key=f"booking:{booking.uid}",
            due_at=now,
            organization_id=booking.organization_id,
        )


def rewrite_copy(*, calendar_event_id: int, now: datetime) -> None:
    ce = (
        CalendarEvent.objects.select_related("booking__event_type", "booking__host__user", "calendar__connection")
        .filter(pk=calendar_event_id)
        .first()
    )
    if ce is None:
        return  # removed since (the rule was undone or the calendar disconnected)
    written = adapter_for(ce.calendar.connection, now=now).put_event(
        ce.calendar.remote_id, uid=ce.uid, ics=booking_ics(ce.booking, uid=ce.uid, now=now), href=ce.href
    )
    CalendarEvent.objects.filter(pk=ce.pk).update(href=written.href, etag=written.etag[:500])


# "copy to calendar" rule action ------------------------------------------------------------------------------


def copy_targets(organization) -> list[tuple[dict, str]]:
    """The calendars a rule may copy bookings into, in words, for the dashboard's rule form."""
    out = []
    cals = (
        RemoteCalendar.objects.filter(connection__organization=organization, read_only=False)
        .exclude(connection__kind=CalendarConnection.Kind.ICS)
        .select_related("connection__membership__user")
        .order_by("connection__pk", "pk")
    )
    for cal in cals:
        conn = cal.connection
        who = conn.name or conn.username or conn.get_kind_display()
        out.append(
            (
                {"connection_id": conn.pk, "calendar": str(cal.pk)},
                f"{cal.name or cal.remote_id} ({conn.get_kind_display()}: {who}, connected by {conn.membership.user})",
            )
        )
    return out


def check_copy_params(*, organization, params: dict) -> dict:
    """Refuse, when the rule is saved, a copy target that does not exist or cannot be written."""
    cal = _copy_target_in(organization.pk, params)
    return {"connection_id": cal.connection_id, "calendar": str(cal.pk)}


def _copy_target(booking: Booking, params: dict) -> RemoteCalendar:
    return _copy_target_in(booking.organization_id, params)


def _copy_target_in(organization_id: int, params: dict) -> RemoteCalendar:
    try:
        connection_id = int(params.get("connection_id"))
    except (TypeError, ValueError):
        raise InvalidInput("Choose the calendar to copy into", field="params.connection_id") from None
    conn = CalendarConnection.objects.filter(pk=connection_id, organization_id=organization_id).first()
    if conn is None:
        raise NotFound("That calendar connection is not in this organization (any more): choose another calendar")
    if conn.kind == CalendarConnection.Kind.ICS:
        raise InvalidInput(
            "An ICS feed is read-only: choose a CalDAV, Google or Outlook calendar to copy into",
            field="params.connection_id",
        )
    wanted = str(params.get("calendar", "") or "")
    cals = list(conn.calendars.all())
    for cal in cals:
        if wanted in (str(cal.pk), cal.remote_id) or (not wanted and len(cals) == 1):
            return cal
    raise InvalidInput(
        f"{wanted!r} is not a calendar of that connection (any more); choose one of: "
        + ", ".join(c.name or c.remote_id for c in cals),
        field="params.calendar",
    )


def copy_to_calendar(*, rule, booking: Booking, params: dict, now: datetime) -> dict:
    """Write the booking into a shared calendar; returns what undo needs."""
    cal = _copy_target(booking, params)
    uid = calendar_object.identity(booking)[0]
    ce, _ = CalendarEvent.objects.get_or_create(
        booking=booking, calendar=cal, purpose=CalendarEvent.Purpose.COPY, defaults={"uid": uid}
    )
    written = adapter_for(cal.connection, now=now).put_event(
        cal.remote_id, uid=ce.uid, ics=booking_ics(booking, uid=ce.uid, now=now), href=ce.href
    )
    CalendarEvent.objects.filter(pk=ce.pk).update(href=written.href, etag=written.etag[:500])
    return {"calendar_id": cal.pk, "href": written.href, "uid": ce.uid}


def uncopy_from_calendar(*, rule, booking: Booking, params: dict, state: dict, now: datetime) -> None:
    cal = RemoteCalendar.objects.select_related("connection").filter(pk=(state or {}).get("calendar_id")).first()
    if cal is None:
        return  # the calendar was disconnected since: nothing left to remove
    with transaction.atomic():
        mine = CalendarEvent.objects.filter(booking=booking, calendar=cal, purpose=CalendarEvent.Purpose.COPY)
        if not _shared(cal, state["uid"], exclude=mine):
            adapter = adapter_for(cal.connection, now=now)
            adapter.delete_event(
                cal.remote_id, href=state.get("href") or adapter.default_href(cal.remote_id, state["uid"])
            )
        mine.delete()


def _shared(cal: RemoteCalendar, uid: str, *, exclude) -> bool:
    """Another of our rows holds the same remote event: one meeting has one UID (calendar_object.py), so the
    copy a rescheduled booking handed on, or a write-back copy in the same calendar, is the same event."""
    return CalendarEvent.objects.filter(calendar=cal, uid=uid).exclude(pk__in=exclude.values("pk")).exists()
