"""Small builders for app tests: an organization with hosts, schedules and event types."""

import itertools

from slotwise.accounts.models import Membership, Organization, Team, User
from slotwise.scheduling.models import AvailabilitySchedule, EventType, PoolHost

_seq = itertools.count(1)

WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def org(slug=None, **kw) -> Organization:
    n = next(_seq)
    return Organization.objects.create(slug=slug or f"org{n}", name=kw.pop("name", f"Org {n}"), **kw)


def host(organization, slug=None, *, tz="UTC", weekly=None, role="member", email=None) -> Membership:
    n = next(_seq)
    slug = slug or f"host{n}"
    user = User.objects.create_user(email or f"{slug}-{n}@example.com", "correct horse battery", name=slug.title())
    m = Membership.objects.create(organization=organization, user=user, slug=slug, role=role)
    AvailabilitySchedule.objects.create(
        organization=organization, owner=m, timezone=tz, weekly=WEEKDAYS_9_TO_5 if weekly is None else weekly,
        is_default=True,
    )
    return m


def event_type(owner=None, *, team=None, slug=None, **kw) -> EventType:
    n = next(_seq)
    organization = (owner or team).organization
    kw.setdefault("name", f"Meeting {n}")
    kw.setdefault("window_kind", EventType.WindowKind.UNLIMITED)
    return EventType.objects.create(organization=organization, owner=owner, team=team, slug=slug or f"meet{n}", **kw)


def team(organization, members, slug=None, *, tz="UTC") -> Team:
    n = next(_seq)
    t = Team.objects.create(organization=organization, slug=slug or f"team{n}", name=f"Team {n}", timezone=tz)
    t.members.set(members)
    return t


def pool(event_type_, members, priorities=None):
    for m in members:
        PoolHost.objects.create(
            event_type=event_type_, membership=m, priority=(priorities or {}).get(m.slug, 2)
        )
