"""Reads of what is booked."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from slotwise import engine

from .models import Booking, BookingHost, Invitee


@dataclass
class Booked:
    """What hosts have booked around a range, in the engine's terms, keyed by membership id."""

    busy: dict[int, list[engine.Busy]] = field(default_factory=lambda: defaultdict(list))
    # The hosts' meetings for limits (which count meetings, not seats), marked when of this event type.
    meetings: dict[int, list[engine.Meeting]] = field(default_factory=lambda: defaultdict(list))
    # This event type's open group sessions: start -> Session with the seats taken.
    sessions: dict[int, list[engine.Session]] = field(default_factory=lambda: defaultdict(list))


def booked(
    *,
    event_type_id: int,
    seats: int,
    member_ids: Sequence[int],
    start: datetime,
    end: datetime,
    count_start: datetime | None = None,
    count_end: datetime | None = None,
) -> Booked:
    """Every active booking of these hosts whose blocked time (meeting plus buffers) overlaps [start, end),
    and, as meetings for limits, those starting in [count_start, count_end) (which must cover [start, end))."""
    out = Booked()
    sessions: dict[int, dict[datetime, list]] = defaultdict(dict)
    lo, hi = min(start, count_start or start), max(end, count_end or end)
    blocks = (
        BookingHost.objects.filter(membership_id__in=member_ids, active=True, block_end__gt=lo, block_start__lt=hi)
        .select_related("booking")
        .only(
            "membership_id",
            "block_start",
            "block_end",
            "booking__start",
            "booking__end",
            "booking__event_type_id",
            "booking__id",
        )
    )
    group_ids = []
    for blk in blocks:
        bk = blk.booking
        this_event = bk.event_type_id == event_type_id
        if count_start is not None and count_end is not None and count_start <= bk.start < count_end:
            out.meetings[blk.membership_id].append(engine.Meeting(bk.start, bk.end, this_event=this_event))
        if not (blk.block_end > start and blk.block_start < end):
            continue
        out.busy[blk.membership_id].append(
            engine.Busy(
                bk.start, bk.end, before=bk.start - blk.block_start, after=blk.block_end - bk.end, label="booking"
            )
        )
        if this_event and seats > 1:
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


def waiting_for(*, membership, now: datetime) -> list[Booking]:
    """Requests waiting for this host's approval (an admin's: the organization's), soonest hold to run out first."""
    qs = Booking.objects.filter(
        organization_id=membership.organization_id, status=Booking.Status.PENDING, approval_expires_at__gt=now
    )
    if not membership.is_admin:
        qs = qs.filter(Q(host=membership) | Q(host_blocks__membership=membership)).distinct()
    return list(
        qs.select_related("event_type", "host__user")
        .prefetch_related("invitees")
        .order_by("approval_expires_at", "pk")[:100]
    )


def invitee_history(*, organization_id: int, email: str) -> QuerySet[Invitee]:
    """Every booking an address made in an organization, newest first (a contact's bookings)."""
    return (
        Invitee.objects.filter(booking__organization_id=organization_id, email=email)
        .select_related("booking__event_type", "booking__host__user", "no_show_mark")
        .order_by("-booking__start")
    )


def booking_list(*, organization_id: int, source: str | None = None) -> QuerySet[Booking]:
    """An organization's bookings (that one only, never its agency's or its sub-accounts'), newest start
    first, with their event type, host and invitees; `source` keeps one Booking.Source."""
    qs = Booking.objects.filter(organization_id=organization_id)
    if source:
        qs = qs.filter(source=source)
    return (
        qs.select_related("event_type__organization", "event_type__owner", "event_type__team", "host__user")
        .prefetch_related("invitees")
        .order_by("-start", "pk")
    )


def upcoming_for_member(*, membership, now: datetime) -> QuerySet[Booking]:
    """The bookings that still hold time on this member's calendar (confirmed, or requests waiting), soonest
    first: what removing the member must cancel or hand over."""
    return (
        Booking.objects.filter(
            host_blocks__membership=membership,
            host_blocks__active=True,
            end__gt=now,
            status__in=(Booking.Status.CONFIRMED, Booking.Status.PENDING),
        )
        .select_related("event_type")
        .distinct()
        .order_by("start")
    )
