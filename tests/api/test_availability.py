from datetime import UTC, datetime

import pytest

from slotwise.scheduling.models import BusyBlock, DateOverride
from tests.api.conftest import BASE, book


def test_available_times_in_calendly_shape(world):
    # Alice: Europe/Berlin 09-17 Mon-Fri; 30 min on a 30 min grid. Tuesday 3 March, 08:00-10:00 UTC = 09-11 Berlin.
    book(world.et, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    r = world.api.get(
        "/event_type_available_times",
        {
            "event_type": f"{BASE}/event_types/{world.et.uuid}",
            "start_time": "2026-03-03T08:00:00Z",
            "end_time": "2026-03-03T10:00:00Z",
        },
    )
    assert r.status_code == 200, r.content
    times = r.json()["collection"]
    assert [t["start_time"] for t in times] == [
        "2026-03-03T08:00:00.000000Z",
        "2026-03-03T08:30:00.000000Z",
        "2026-03-03T09:30:00.000000Z",
    ]
    assert times[0]["status"] == "available" and times[0]["invitees_remaining"] == 1
    assert times[0]["scheduling_url"].startswith("http://127.0.0.1:8000/acme/alice/intro/2026-03-03T09:00:00+01:00")


def test_group_event_times_count_the_seats_left(world):
    from tests import factories

    office = factories.event_type(
        world.admin, slug="office", kind="group", seats=3, duration_minutes=60, increment_minutes=60
    )
    book(office, datetime(2026, 3, 3, 9, 0, tzinfo=UTC), email="one@example.com")
    book(office, datetime(2026, 3, 3, 9, 0, tzinfo=UTC), email="two@example.com")
    r = world.api.get(
        "/event_type_available_times",
        {
            "event_type": f"{BASE}/event_types/{office.uuid}",
            "start_time": "2026-03-03T08:00:00Z",
            "end_time": "2026-03-03T11:00:00Z",
        },
    )
    assert [(t["start_time"], t["invitees_remaining"]) for t in r.json()["collection"]] == [
        ("2026-03-03T08:00:00.000000Z", 3),
        ("2026-03-03T09:00:00.000000Z", 1),
        ("2026-03-03T10:00:00.000000Z", 3),
    ]


@pytest.mark.parametrize(
    ("query", "parameters", "said"),
    [
        ({"start_time": "2026-03-03T08:00:00Z", "end_time": "2026-04-04T08:00:00Z"}, {"end_time"}, "31 days"),
        ({"start_time": "2026-03-03T08:00:00Z", "end_time": "2026-03-03T07:00:00Z"}, {"end_time"}, "after start_time"),
        ({}, {"start_time", "end_time"}, ""),
    ],
    ids=["longer than 31 days", "ends before it starts", "no range"],
)
def test_available_times_errors(world, query, parameters, said):
    r = world.api.get("/event_type_available_times", {"event_type": f"{BASE}/event_types/{world.et.uuid}", **query})
    assert r.status_code == 400
    assert {d["parameter"] for d in r.json()["details"]} == parameters
    assert said in r.json()["message"]


def test_explain_says_why_a_time_is_not_offered(world):
    et = f"{BASE}/event_types/{world.et.uuid}"
    r = world.api.get("/event_type_available_times/explain", {"event_type": et, "start_time": "2026-03-03T03:00:00Z"})
    assert r.status_code == 200
    res = r.json()["resource"]
    assert res["offered"] is False
    assert res["messages"] == ["it is outside the host's hours"]
    r = world.api.get("/event_type_available_times/explain", {"event_type": et, "start_time": "2026-03-03T09:00:00Z"})
    assert r.json()["resource"] == {
        "start_time": "2026-03-03T09:00:00.000000Z",
        "offered": True,
        "reasons": [],
        "messages": [],
    }


def test_user_busy_times_from_bookings_and_external_blocks(world):
    world.et.buffer_before_minutes = 15
    world.et.save()
    inv = book(world.et, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    BusyBlock.objects.create(
        organization=world.a,
        membership=world.admin,
        start=datetime(2026, 3, 3, 12, tzinfo=UTC),
        end=datetime(2026, 3, 3, 13, tzinfo=UTC),
        source="google",
    )
    r = world.api.get(
        "/user_busy_times",
        {
            "user": f"{BASE}/users/{world.admin.user.uuid}",
            "start_time": "2026-03-03T00:00:00Z",
            "end_time": "2026-03-04T00:00:00Z",
        },
    )
    assert r.status_code == 200
    assert r.json()["collection"] == [
        {
            "type": "calendly",
            "start_time": "2026-03-03T09:00:00.000000Z",
            "end_time": "2026-03-03T09:30:00.000000Z",
            "buffered_start_time": "2026-03-03T08:45:00.000000Z",
            "buffered_end_time": "2026-03-03T09:30:00.000000Z",
            "event": {"uri": f"http://127.0.0.1:8000/api/v2/scheduled_events/{inv.booking.uid}"},
        },
        {
            "type": "external",
            "start_time": "2026-03-03T12:00:00.000000Z",
            "end_time": "2026-03-03T13:00:00.000000Z",
            "buffered_start_time": None,
            "buffered_end_time": None,
            "event": None,
        },
    ]
    r = world.api.get("/user_busy_times", {"user": f"{BASE}/users/{world.admin.user.uuid}"})
    assert r.status_code == 400


def test_user_availability_schedules(world):
    schedule = world.admin.schedules.get()
    DateOverride.objects.create(schedule=schedule, date="2026-03-10", intervals=[])
    r = world.api.get("/user_availability_schedules", {"user": f"{BASE}/users/{world.admin.user.uuid}"})
    assert r.status_code == 200
    (s,) = r.json()["collection"]
    assert (s["default"], s["timezone"], s["name"]) == (True, "Europe/Berlin", "Working hours")
    assert s["user"] == f"http://127.0.0.1:8000/api/v2/users/{world.admin.user.uuid}"
    assert s["rules"][0] == {
        "type": "wday",
        "wday": "monday",
        "intervals": [{"from": "09:00", "to": "17:00"}],
        "date": None,
    }
    assert s["rules"][6] == {"type": "wday", "wday": "sunday", "intervals": [], "date": None}
    assert s["rules"][7] == {"type": "date", "date": "2026-03-10", "intervals": [], "wday": None}
    one = world.api.get(s["uri"].replace("http://127.0.0.1:8000", ""))
    assert one.status_code == 200 and one.json()["resource"] == s
