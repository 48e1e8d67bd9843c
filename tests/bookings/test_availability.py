"""bookings.availability: the engine's answers as the doors read them (week preview, seats left)."""

from datetime import UTC, date, datetime, time

import pytest

from slotwise.bookings.availability import offered_times, week_preview
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.engine import Reason
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday


def test_week_preview_rows_are_the_engine_grid_in_the_host_zone_within_their_hours_and_an_hour_either_side():
    ana = f.host(f.org("acme"), "ana", tz="Europe/Berlin")
    et = f.event_type(ana, duration_minutes=30, increment_minutes=30)
    week = week_preview(event_type=et, host=ana, monday=date(2026, 3, 2), now=NOW)
    assert week.zone == "Europe/Berlin" and week.days[0] == date(2026, 3, 2) and len(week.days) == 7
    assert [t for t, _ in week.rows] == [time(h, m) for h in range(8, 18) for m in (0, 30)]
    cells = dict(week.rows)
    assert cells[time(8, 30)][1] == [Reason.OUTSIDE_HOURS]
    assert cells[time(8, 30)][0] == [Reason.OUTSIDE_HOURS, Reason.NOTICE]  # and before now (09:00 Berlin)
    assert cells[time(9, 0)][0] == [] and cells[time(16, 30)][4] == []
    assert cells[time(10, 0)][5] == [Reason.OUTSIDE_HOURS]  # Saturday


def test_week_preview_leaves_the_wall_times_a_dst_change_skips_empty():
    night = {"sun": [["01:00", "04:00"]]}
    ana = f.host(f.org("acme"), "ana", tz="Europe/Berlin", weekly=night)
    et = f.event_type(ana, duration_minutes=30, increment_minutes=30)
    week = week_preview(event_type=et, host=ana, monday=date(2026, 3, 23), now=NOW)
    cells = dict(week.rows)
    assert [t for t, _ in week.rows][0] == time(0, 0) and [t for t, _ in week.rows][-1] == time(4, 30)
    assert cells[time(2, 0)][6] is None and cells[time(2, 30)][6] is None  # Sunday 29 March: 02:00 -> 03:00
    assert cells[time(3, 0)][6] == [] and cells[time(1, 30)][6] == []
    assert cells[time(2, 0)][5] == [Reason.OUTSIDE_HOURS]


def test_week_preview_shows_a_team_clock_zone_grid_where_it_falls_on_the_host_clock():
    # Kathmandu is UTC+05:45: an hourly grid there starts at a quarter past every hour in UTC.
    org = f.org("acme")
    ana = f.host(org, "ana", tz="UTC")
    team = f.team(org, [ana], tz="Asia/Kathmandu")
    et = f.event_type(team=team, kind="round_robin", duration_minutes=60, increment_minutes=60)
    week = week_preview(event_type=et, host=ana, monday=date(2026, 3, 2), now=NOW)
    assert [t for t, _ in week.rows] == [time(h, 15) for h in range(8, 18)]
    cells = dict(week.rows)
    assert cells[time(9, 15)][1] == [] and cells[time(16, 15)][1] == [Reason.OUTSIDE_HOURS]


def test_offered_times_carry_the_seats_left_in_each_session():
    ana = f.host(f.org("acme"), "ana")
    office = f.event_type(ana, kind="group", seats=3, duration_minutes=60, increment_minutes=60)
    booking_create(
        event_type=office,
        start=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        now=NOW,
        invitee=InviteeInput(name="One", email="one@example.com", timezone="UTC"),
    )
    times = offered_times(
        event_type=office, start=datetime(2026, 3, 3, 9, tzinfo=UTC), end=datetime(2026, 3, 3, 12, tzinfo=UTC), now=NOW
    )
    assert [(t.start.hour, t.seats_left) for t in times] == [(9, 3), (10, 2), (11, 3)]
