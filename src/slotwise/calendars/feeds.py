"""Private ICS feeds out: a host's or a team's bookings at /feeds/<token>.ics, for any calendar app.
Each meeting is built by bookings/calendar_object.py, with the UID and SEQUENCE of its other copies."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from slotwise.accounts.models import Membership, Team
from slotwise.bookings import calendar_object
from slotwise.bookings.models import Booking
from slotwise.core.errors import NotFound

from .models import Feed, _feed_token

PAST = timedelta(days=90)  # calendar apps keep what they saw; older bookings need not be sent again


def feed_for(*, membership: Membership | None = None, team: Team | None = None) -> Feed:
    owner = {"membership": membership} if membership is not None else {"team": team}
    org = (membership or team).organization_id
    feed, _ = Feed.objects.get_or_create(**owner, defaults={"organization_id": org})
    return feed


def feed_rotate(*, feed: Feed, now: datetime) -> Feed:
    """A new URL; the old one answers 404 from now on."""
    with transaction.atomic():
        Feed.objects.filter(pk=feed.pk).update(token=_feed_token(), rotated_at=now)
    feed.refresh_from_db()
    return feed


def feed_url(feed: Feed) -> str:
    return f"{settings.BASE_URL}/feeds/{feed.token}.ics"


def feed_by_token(token: str) -> Feed:
    feed = Feed.objects.select_related("membership__user", "team").filter(token=token).first()
    if feed is None:
        raise NotFound("this calendar feed does not exist or its address was changed; copy the new one")
    return feed


def feed_ics(feed: Feed, *, now: datetime) -> str:
    qs = Booking.objects.filter(status=Booking.Status.CONFIRMED, end__gte=now - PAST)
    if feed.membership_id:
        qs = qs.filter(host_blocks__membership_id=feed.membership_id).distinct()
        title = f"Slotwise: {feed.membership.user.name or feed.membership.user.email}"
    else:
        qs = qs.filter(event_type__team_id=feed.team_id)
        title = f"Slotwise: {feed.team.name}"
    events = []
    for b in qs.select_related("event_type", "host__user").prefetch_related("invitees").order_by("start"):
        names = ", ".join(i.name for i in b.invitees.all() if i.status == "active")
        events.append(
            calendar_object.event(
                b,
                summary=f"{b.event_type.name} with {names}" if names else b.event_type.name,
                description=f"Host: {b.host.user.name or b.host.user.email}",
                location=b.location,
                stamp=b.updated_at or now,
            )
        )
    extra = {"X-WR-CALNAME": title, "X-PUBLISHED-TTL": "PT15M"}
    return calendar_object.calendar(events, method="PUBLISH", extra=extra).decode()
