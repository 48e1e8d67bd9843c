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
        organization=organization,
        owner=m,
        timezone=tz,
        weekly=WEEKDAYS_9_TO_5 if weekly is None else weekly,
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
        PoolHost.objects.create(event_type=event_type_, membership=m, priority=(priorities or {}).get(m.slug, 2))


def agency_world(now):
    """An agency with two sub-accounts, each with its own host, event type, booking and contact.

    northwind (agency): alice owner, adam admin, molly member; event type "Agency intro", booked by ann.
    bakery (sub-account): sam owner; "Cake tasting", booked by carol. dental (sub-account): dora owner;
    "Check-up", booked by dave. Each booking is tomorrow at 10:00 UTC."""
    from datetime import timedelta
    from types import SimpleNamespace

    from slotwise.bookings.services import InviteeInput, booking_create

    def book(et, email, name):
        return booking_create(
            event_type=et,
            start=now.replace(hour=10) + timedelta(days=1),
            now=now,
            invitee=InviteeInput(name=name, email=email, timezone="UTC"),
        )

    agency = org("northwind", name="Northwind Agency", is_agency=True)
    bakery = org("bakery", name="Rosa's Bakery", parent=agency)
    dental = org("dental", name="Bright Smile Dental", parent=agency)
    w = SimpleNamespace(agency=agency, bakery=bakery, dental=dental)
    w.alice = host(agency, "alice", role="owner", email="alice@northwind.test")
    w.adam = host(agency, "adam", role="admin", email="adam@northwind.test")
    w.molly = host(agency, "molly", email="molly@northwind.test")
    w.sam = host(bakery, "sam", role="owner", email="sam@bakery.test")
    w.dora = host(dental, "dora", role="owner", email="dora@dental.test")
    w.agency_et = event_type(w.alice, slug="agency-intro", name="Agency intro")
    w.bakery_et = event_type(w.sam, slug="cake", name="Cake tasting")
    w.dental_et = event_type(w.dora, slug="check-up", name="Check-up")
    w.agency_booking = book(w.agency_et, "ann@agency-client.test", "Ann Agencyclient").booking
    w.bakery_booking = book(w.bakery_et, "carol@bakery-client.test", "Carol Cakefan").booking
    w.dental_booking = book(w.dental_et, "dave@dental-client.test", "Dave Toothache").booking
    return w
