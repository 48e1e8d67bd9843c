"""Real parallel bookings, each on its own database connection, released together by a barrier.

These run in both passes of ./run test: SQLite (BEGIN IMMEDIATE + the overlap trigger) and PostgreSQL
(row locks + the btree_gist exclusion constraint)."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, connections, transaction

from slotwise.bookings.models import Booking, BookingHost, Invitee, SingleUseLink
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import LinkUsed, SlotUnavailable
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TEN = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday


def race(attempts):
    """Run the callables at once; return (results, errors) with exceptions as values."""
    barrier = threading.Barrier(len(attempts))
    results = [None] * len(attempts)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    oks = [r for kind, r in results if kind == "ok"]
    errors = [r for kind, r in results if kind == "error"]
    return oks, errors


def attempt(event_type, start, n, **kw):
    return lambda: booking_create(
        event_type=event_type,
        start=start,
        now=NOW,
        invitee=InviteeInput(name=f"Racer {n}", email=f"racer{n}@example.com", timezone="Europe/Berlin"),
        **kw,
    )


@pytest.fixture
def host():
    return f.host(f.org(), "ana")


def test_fifty_attempts_at_one_slot_give_one_booking_and_49_clean_conflicts(host):
    et = f.event_type(host, duration_minutes=30)
    oks, errors = race([attempt(et, TEN, n) for n in range(50)])
    assert len(oks) == 1
    assert len(errors) == 49 and all(isinstance(e, SlotUnavailable) for e in errors), {type(e) for e in errors}
    assert Booking.objects.count() == 1 and Invitee.objects.count() == 1
    assert BookingHost.objects.filter(active=True).count() == 1


def test_overlapping_10_00_and_10_15_in_parallel_give_one(host):
    et = f.event_type(host, duration_minutes=30, increment_minutes=15)
    starts = [TEN, TEN.replace(minute=15)] * 5
    oks, errors = race([attempt(et, s, n) for n, s in enumerate(starts)])
    assert len(oks) == 1
    assert all(isinstance(e, SlotUnavailable) for e in errors)
    assert Booking.objects.count() == 1


def test_back_to_back_10_00_and_10_30_both_succeed(host):
    et = f.event_type(host, duration_minutes=30)
    oks, errors = race([attempt(et, TEN, 1), attempt(et, TEN.replace(minute=30), 2)])
    assert errors == []
    assert sorted(i.booking.start for i in oks) == [TEN, TEN.replace(minute=30)]


def test_single_use_link_raced_20_times_gives_one_booking(host):
    et = f.event_type(host, duration_minutes=30)
    link = SingleUseLink.objects.create(event_type=et)
    # Different times, so the only thing they compete for is the link.
    starts = [TEN.replace(hour=9 + n // 2, minute=30 * (n % 2)) for n in range(14)] + [
        datetime(2026, 3, 4, 9 + n, 0, tzinfo=UTC) for n in range(6)
    ]
    oks, errors = race([attempt(et, s, n, single_use_token=link.token) for n, s in enumerate(starts)])
    assert len(oks) == 1
    assert len(errors) == 19 and all(isinstance(e, LinkUsed) for e in errors)
    link.refresh_from_db()
    assert link.uses == 1
    assert oks[0].booking.source == Booking.Source.SINGLE_USE


def test_three_seat_group_slot_raced_20_times_gives_three(host):
    et = f.event_type(host, kind="group", seats=3, duration_minutes=60, increment_minutes=60)
    oks, errors = race([attempt(et, TEN, n) for n in range(20)])
    assert len(oks) == 3
    assert len(errors) == 17 and all(isinstance(e, SlotUnavailable) for e in errors)
    assert Booking.objects.count() == 1
    assert Invitee.objects.filter(booking__start=TEN).count() == 3


def test_daily_limit_holds_under_concurrency(host):
    et = f.event_type(host, duration_minutes=30, daily_limit=2)
    starts = [TEN.replace(hour=h) for h in (9, 10, 11, 12, 13, 14)]
    oks, errors = race([attempt(et, s, n) for n, s in enumerate(starts)])
    assert len(oks) == 2
    assert all(isinstance(e, SlotUnavailable) and "daily limit" in e.message for e in errors)


def test_two_racing_bookings_that_together_break_a_weekly_limit_give_one(host):
    et = f.event_type(host, duration_minutes=30, weekly_limit=1)
    # Tuesday and Thursday of the same week: no overlap for the guard to catch, only the limit.
    oks, errors = race([attempt(et, TEN, 1), attempt(et, TEN.replace(day=5), 2)])
    assert len(oks) == 1
    assert len(errors) == 1 and isinstance(errors[0], SlotUnavailable) and "weekly limit" in errors[0].message


def test_a_host_wide_monthly_limit_holds_across_event_types_raced(host):
    from slotwise.scheduling.services import host_limits_set

    host_limits_set(host=host, values={"monthly_limit": 3})
    ets = [f.event_type(host, duration_minutes=30) for _ in range(3)]
    starts = [datetime(2026, 3, d, 10, tzinfo=UTC) for d in (3, 4, 5, 6, 9, 10, 11, 12, 13)]
    oks, errors = race([attempt(ets[n % 3], s, n) for n, s in enumerate(starts)])
    assert len(oks) == 3
    assert len(errors) == 6 and all("no more meetings that month" in e.message for e in errors), errors


def test_minutes_a_week_hold_under_concurrency(host):
    from slotwise.scheduling.services import host_limits_set

    host_limits_set(host=host, values={"weekly_minutes_limit": 90})
    et = f.event_type(host, duration_minutes=60, increment_minutes=60)
    starts = [datetime(2026, 3, d, h, tzinfo=UTC) for d in (3, 4, 5) for h in (10, 13)]
    oks, errors = race([attempt(et, s, n) for n, s in enumerate(starts)])
    assert len(oks) == 1  # two hours would be 120 of 90 minutes
    assert all("meeting time for that week is used up" in e.message for e in errors), errors


def test_round_robin_race_fills_each_host_once():
    org = f.org()
    a, b, c = (f.host(org, s) for s in ("a", "b", "c"))
    team = f.team(org, [a, b, c])
    et = f.event_type(team=team, kind="round_robin", duration_minutes=30)
    oks, errors = race([attempt(et, TEN, n) for n in range(12)])
    assert sorted(i.booking.host.slug for i in oks) == ["a", "b", "c"]
    assert len(errors) == 9 and all(isinstance(e, SlotUnavailable) for e in errors)


def test_the_database_itself_refuses_overlapping_blocks(host):
    """Bypass the service: the constraint (PostgreSQL) or trigger (SQLite) is the last line."""
    et = f.event_type(host, duration_minutes=30)
    first = attempt(et, TEN, 1)().booking
    twin = Booking.objects.create(
        organization=first.organization,
        event_type=et,
        host=host,
        start=first.start,
        end=first.end,
        timezone="UTC",
        duration_minutes=30,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingHost.objects.create(
            booking=twin, membership=host, block_start=TEN.replace(minute=15), block_end=TEN.replace(minute=45)
        )
    # Touching, not overlapping, is allowed: half-open blocks.
    BookingHost.objects.create(
        booking=twin, membership=host, block_start=TEN.replace(minute=30), block_end=TEN.replace(minute=59)
    )
    # Re-activating a canceled block over a live one is refused too.
    BookingHost.objects.filter(booking=first).update(active=False)
    blk = BookingHost.objects.get(booking=twin)
    blk.block_start = TEN
    blk.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingHost.objects.filter(booking=first).update(active=True)


def test_guard_kind_matches_the_database():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT conname FROM pg_constraint WHERE conname = 'bookinghost_no_overlap' AND contype = 'x'")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'bookinghost_no_overlap%'")
        assert cur.fetchall()


def test_managed_link_with_expiry_and_prefill_raced_20_times_gives_one_booking(host):
    from datetime import timedelta

    from slotwise.bookings import links

    et = f.event_type(host, duration_minutes=30)
    link = links.link_create(
        event_type=et,
        created_by=host,
        now=NOW,
        expires_at=NOW + timedelta(days=7),
        prefill_name="Casey Customer",
        reference="ZD-4711",
    )
    starts = [TEN.replace(hour=9 + n // 2, minute=30 * (n % 2)) for n in range(14)] + [
        datetime(2026, 3, 4, 9 + n, 0, tzinfo=UTC) for n in range(6)
    ]
    oks, errors = race([attempt(et, s, n, single_use_token=link.token) for n, s in enumerate(starts)])
    assert len(oks) == 1
    assert len(errors) == 19 and all(isinstance(e, LinkUsed) for e in errors), {type(e) for e in errors}
    assert Booking.objects.count() == 1 and Booking.objects.get().link_id == link.pk
    link.refresh_from_db()
    assert link.uses == 1 and link.state(NOW) == "used"


def test_revoke_racing_bookings_through_the_link_revokes_or_books_never_both(host):
    from slotwise.bookings import links
    from slotwise.core.errors import Conflict

    et = f.event_type(host, duration_minutes=30)
    link = links.link_create(event_type=et, created_by=host, now=NOW)
    starts = [TEN.replace(hour=9 + n // 2, minute=30 * (n % 2)) for n in range(10)]
    bookers = [attempt(et, s, n, single_use_token=link.token) for n, s in enumerate(starts)]
    revoker = lambda: links.link_revoke(link=link, by=host, now=NOW)  # noqa: E731
    oks, errors = race([revoker, *bookers])
    booked = Booking.objects.count()
    link.refresh_from_db()
    revoked = link.revoked_at is not None
    assert (booked, revoked) in ((0, True), (1, False)), (booked, revoked, errors)
    if revoked:
        assert all(isinstance(e, LinkUsed) for e in errors)
    else:
        assert sum(isinstance(e, Conflict) and "already been used" in e.message for e in errors) >= 1


def test_two_requests_for_one_slot_that_needs_approval_give_one_hold(host):
    et = f.event_type(host, duration_minutes=30, requires_confirmation=True)
    oks, errors = race([attempt(et, TEN, n) for n in range(2)])
    assert len(oks) == 1 and len(errors) == 1 and isinstance(errors[0], SlotUnavailable)
    assert oks[0].booking.status == Booking.Status.PENDING
    assert BookingHost.objects.filter(active=True).count() == 1


def test_a_pending_hold_and_a_booking_of_another_event_type_race_for_one_host_and_one_wins(host):
    needs_approval = f.event_type(host, slug="intro", duration_minutes=30, requires_confirmation=True)
    direct = f.event_type(host, slug="direct", duration_minutes=30)
    oks, errors = race([attempt(needs_approval, TEN, 1), attempt(direct, TEN, 2)])
    assert len(oks) == 1 and all(isinstance(e, SlotUnavailable) for e in errors)
    assert BookingHost.objects.filter(active=True).count() == 1


def test_approving_while_the_hold_expires_gives_one_outcome(host):
    from datetime import timedelta

    from slotwise.bookings import approvals
    from slotwise.core.errors import Conflict

    et = f.event_type(host, duration_minutes=30, requires_confirmation=True)
    booking = attempt(et, TEN, 1)().booking
    late = booking.approval_expires_at + timedelta(minutes=1)
    oks, errors = race(
        [
            lambda: approvals.booking_approve(booking=booking, now=late),
            lambda: approvals.approval_expire(booking=booking, now=late),
        ]
    )
    assert all(isinstance(e, Conflict) for e in errors)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED and booking.approval == "expired"
    assert not BookingHost.objects.filter(active=True).exists()


def test_two_round_robin_bookings_for_different_hosts_run_side_by_side_without_waiting_on_each_other():
    """Each booking holds its transaction open until the other one is inside its own: were either waiting
    on the other's host lock (the whole pool locked, as before), the rendezvous would time out."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE); row locks are PostgreSQL's")
    from slotwise.core.events import subscribed

    org = f.org()
    mornings = f.host(org, "mornings", weekly={"tue": [["09:00", "12:00"]]})
    afternoons = f.host(org, "afternoons", weekly={"tue": [["13:00", "17:00"]]})
    et = f.event_type(team=f.team(org, [mornings, afternoons]), kind="round_robin", duration_minutes=30)
    both_inside = threading.Barrier(2, timeout=20)
    with subscribed("booking.created", lambda **_: both_inside.wait()):
        oks, errors = race([attempt(et, TEN, 1), attempt(et, TEN.replace(hour=14), 2)])
    assert errors == []
    assert sorted((i.booking.start.hour, i.booking.host.slug) for i in oks) == [(10, "mornings"), (14, "afternoons")]


def test_a_round_robin_booking_whose_first_choice_is_taken_meanwhile_goes_to_the_next_host(monkeypatch):
    """Between choosing `first` (from availability read outside the write) and locking it, a booking of
    first's own event type, on another connection, takes the time: the round robin moves on to `second`."""
    from slotwise.bookings import services

    org = f.org()
    first, second = f.host(org, "first"), f.host(org, "second")
    et = f.event_type(team=f.team(org, [first, second]), kind="round_robin", duration_minutes=30)
    f.pool(et, [first, second], priorities={"first": 4, "second": 1})
    own = f.event_type(first, duration_minutes=30)
    pick, taken = services._round_robin_pick, []

    def pick_then_lose_it(event_type, free, now, rng):
        chosen = pick(event_type, free, now, rng)
        if not taken:
            other = threading.Thread(target=lambda: (taken.append(attempt(own, TEN, 2)()), connections.close_all()))
            other.start()
            other.join(60)
        return chosen

    monkeypatch.setattr(services, "_round_robin_pick", pick_then_lose_it)
    booked = attempt(et, TEN, 1)().booking
    assert [i.booking.host.slug for i in taken] == ["first"]
    assert booked.host.slug == "second" and booked.start == TEN
    assert BookingHost.objects.filter(active=True, block_start=TEN).count() == 2


def test_when_every_round_robin_host_is_taken_meanwhile_the_refusal_is_the_usual_one(monkeypatch):
    from slotwise.bookings import services

    org = f.org()
    a, b = f.host(org, "a"), f.host(org, "b")
    et = f.event_type(team=f.team(org, [a, b]), kind="round_robin", duration_minutes=30)
    own = [f.event_type(h, duration_minutes=30) for h in (a, b)]
    candidates, done = services._candidates, []

    def all_taken_after_choosing(event_type, *args):
        for n, e in enumerate(own if event_type == et and not done else []):
            done.append(e)
            worker = threading.Thread(target=lambda e=e, n=n: (attempt(e, TEN, 10 + n)(), connections.close_all()))
            worker.start()
            worker.join(60)
        yield from candidates(event_type, *args)

    monkeypatch.setattr(services, "_candidates", all_taken_after_choosing)
    with pytest.raises(SlotUnavailable) as refused:
        attempt(et, TEN, 1)()
    assert "cannot be booked" in refused.value.message and "Pick one of the times offered" in refused.value.message
    assert Booking.objects.filter(event_type=et).count() == 0


def test_collective_bookings_over_the_same_hosts_listed_in_opposite_orders_give_one_and_no_deadlock():
    org = f.org()
    a, b = f.host(org, "a"), f.host(org, "b")
    ab = f.event_type(team=f.team(org, [a, b]), kind="collective", duration_minutes=30)
    ba = f.event_type(team=f.team(org, [a, b]), kind="collective", duration_minutes=30)
    f.pool(ab, [a, b])
    f.pool(ba, [b, a])
    oks, errors = race([attempt(ab if n % 2 else ba, TEN, n) for n in range(10)])
    assert len(oks) == 1 and len(errors) == 9
    assert all(isinstance(e, SlotUnavailable) for e in errors), {type(e) for e in errors}
    assert sorted(BookingHost.objects.filter(active=True).values_list("membership__slug", flat=True)) == ["a", "b"]


def test_fifty_attempts_at_one_slot_of_a_round_robin_of_three_give_three_bookings_and_47_clean_refusals():
    org = f.org()
    hosts = [f.host(org, s) for s in ("a", "b", "c")]
    et = f.event_type(team=f.team(org, hosts), kind="round_robin", duration_minutes=30)
    oks, errors = race([attempt(et, TEN, n) for n in range(50)])
    assert sorted(i.booking.host.slug for i in oks) == ["a", "b", "c"]
    assert len(errors) == 47 and all(isinstance(e, SlotUnavailable) for e in errors), {type(e) for e in errors}
    assert BookingHost.objects.filter(active=True).count() == 3


def test_a_reschedule_and_a_new_booking_racing_for_one_slot_give_one_and_the_loser_changes_nothing(host):
    from slotwise.bookings.services import booking_reschedule

    et = f.event_type(host, duration_minutes=30)
    moving = attempt(et, TEN.replace(hour=9), 1)()
    eleven = TEN.replace(hour=11)
    oks, errors = race([lambda: booking_reschedule(invitee=moving, new_start=eleven, now=NOW), attempt(et, eleven, 2)])
    assert len(oks) == 1 and len(errors) == 1 and isinstance(errors[0], SlotUnavailable), errors
    old = Booking.objects.get(pk=moving.booking_id)
    if oks[0].email == moving.email:  # the reschedule won: moved, and the old time released
        assert old.status == Booking.Status.RESCHEDULED and oks[0].booking.rescheduled_from == old
        assert list(BookingHost.objects.filter(active=True).values_list("block_start", flat=True)) == [eleven]
    else:  # the new booking won: the meeting is where it was, untouched
        assert old.status == Booking.Status.CONFIRMED and old.invitees.get().status == Invitee.Status.ACTIVE
        assert sorted(BookingHost.objects.filter(active=True).values_list("block_start", flat=True)) == [
            old.start,
            eleven,
        ]
