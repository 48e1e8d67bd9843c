"""Reads of what is booked."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from slotwise import engine

from .models import BookingHost, Invitee


@dataclass
class Booked:
    """What hosts have booked around a range, in the engine's terms, keyed by membership id."""

    busy: dict[int, list[engine.Busy]] = field(default_factory=lambda: defaultdict(list))
    # Starts of this event type's meetings (daily limits count meetings, not seats).
    day_bookings: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    # This event type's open group sessions: start -> Session with the seats taken.
    sessions: dict[int, list[engine.Session]] = field(default_factory=lambda: defaultdict(list))


def booked(*, event_type_id: int, seats: int, member_ids: Sequence[int], start: datetime, end: datetime) -> Booked:
    """Every active booking of these hosts whose blocked time (meeting plus buffers) overlaps [start, end)."""
    out = Booked()
    sessions: dict[int, dict[datetime, list]] = defaultdict(dict)
    blocks = (
        BookingHost.objects.filter(membership_id__in=member_ids, active=True, block_end__gt=start, block_start__lt=end)
        .select_related("booking")
        .only(
            "membership_id", "block_start", "block_end", "booking__start", "booking__end",
            "booking__event_type_id", "booking__id",
        )
    )
    group_ids = []
    for blk in blocks:
        bk = blk.booking
        out.busy[blk.membership_id].append(
            engine.Busy(
                bk.start, bk.end, before=bk.start - blk.block_start, after=blk.block_end - bk.end, label="booking"
            )
        )
        if bk.event_type_id == event_type_id:
            out.day_bookings[blk.membership_id].append(bk.start)
            if seats > 1:
                sessions[blk.membership_id][bk.start] = [bk.id, bk.end, 0]
                group_ids.append(bk.id)
    if group_ids:
        taken: defaultdict[int, int] = defaultdict(int)
        for booking_id in Invitee.objects.filter(booking_id__in=group_ids, status=Invitee.Status.ACTIVE).values_list(
            "booking_id", flat=True
        ):
            taken[booking_id] += 1
        for member_id, per_host in sessions.items():
            out.sessions[member_id] = [engine.Session(s, e, taken[bid]) for s, (bid, e, _) in per_host.items()]
    return out


def invitee_history(*, organization_id: int, email: str) -> QuerySet[Invitee]:
    """Every booking an address made in an organization, newest first (a contact's bookings)."""
    return (
        Invitee.objects.filter(booking__organization_id=organization_id, email=email)
        .select_related("booking__event_type", "booking__host__user", "no_show_mark")
        .order_by("-booking__start")
    )
