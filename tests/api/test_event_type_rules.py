"""The Slotwise extra beside Calendly's event type: limits and cut-off at /event_types/{uuid}/rules, with
Calendly's event type shape unchanged, and the availability explanation naming the limit."""

from datetime import timedelta

from tests.api.conftest import book
from tests.api.test_event_types import REQUIRED


def test_rules_are_read_and_changed_beside_the_calendly_shape(world):
    url = f"/event_types/{world.et.uuid}/rules"
    before = world.api.get(f"/event_types/{world.et.uuid}").json()["resource"]
    r = world.api.patch(url, {"limits": {"per_week": 3, "minutes_per_day": 120}, "cutoff_hours": 12})
    assert r.status_code == 200, r.content
    assert r.json()["resource"]["limits"] == {
        "per_day": None,
        "per_week": 3,
        "per_month": None,
        "minutes_per_day": 120,
        "minutes_per_week": None,
    }
    assert r.json()["resource"]["cutoff_hours"] == 12 and r.json()["resource"]["week_start"] == 0
    after = world.api.get(f"/event_types/{world.et.uuid}").json()["resource"]
    assert set(after) == set(before) and REQUIRED <= set(after)  # no new keys in Calendly's resource
    cleared = world.api.patch(url, {"limits": {"per_week": None}}).json()["resource"]
    assert cleared["limits"]["per_week"] is None and cleared["limits"]["minutes_per_day"] == 120


def test_bad_rules_are_a_400_in_words_and_others_may_not_change_them(world):
    url = f"/event_types/{world.et.uuid}/rules"
    r = world.api.patch(url, {"limits": {"per_month": 0}})
    assert r.status_code == 400
    assert "Bookings a month must be a whole number of bookings from 1 to 20000" in r.json()["message"]
    assert world.member_api.patch(url, {"cutoff_hours": 1}).status_code == 403
    assert world.read.patch(url, {"cutoff_hours": 1}).status_code in (401, 403)
    assert world.b_api.get(url).status_code == 404


def test_the_availability_explanation_names_the_weekly_limit(world, now):
    world.et.weekly_limit = 1
    world.et.save()
    tuesday = now.replace(hour=9) + timedelta(days=1)
    book(world.et, tuesday, now=now)
    r = world.api.get(
        "/event_type_available_times/explain",
        {
            "event_type": f"http://testserver/api/v2/event_types/{world.et.uuid}",
            "start_time": (tuesday + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    assert r.status_code == 200
    assert r.json()["resource"]["reasons"] == ["weekly_limit"]
    assert r.json()["resource"]["messages"] == ["the host's weekly limit for this event is reached"]


def test_recurrence_is_read_and_changed_beside_the_calendly_shape_and_refused_in_words(world):
    url = f"/event_types/{world.et.uuid}/rules"
    assert world.api.get(url).json()["resource"]["recurrence"] == {"every": "none", "count": 4, "partial": False}
    r = world.api.patch(url, {"recurrence": {"every": "biweekly", "count": 6, "partial": True}})
    assert r.status_code == 200, r.content
    assert r.json()["resource"]["recurrence"] == {"every": "biweekly", "count": 6, "partial": True}
    bad = world.api.patch(url, {"recurrence": {"count": 25}})
    assert bad.status_code == 400
    assert "The number of meetings in a series must be between 2 and 24" in bad.json()["message"]
    bad = world.api.patch(url, {"recurrence": {"every": "daily"}})
    assert bad.status_code == 400 and "The recurrence must be none, weekly or biweekly" in bad.json()["message"]
