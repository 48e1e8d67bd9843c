"""The host's own rules through the API (a Slotwise extra): the same services, checks and messages as the
availability page and the load file, and the engine honours what is set."""

import pytest

from slotwise.scheduling.models import HostLimits, OutOfOffice, TravelStay
from tests.api.conftest import BASE


def rules_path(member):
    return f"/users/{member.user.uuid}/availability_rules"


def offered(world, first: str, until: str) -> list[str]:
    """The start times the API offers for the admin's event type from `first` up to `until` (UTC days)."""
    r = world.api.get(
        "/event_type_available_times",
        {
            "event_type": f"{BASE}/event_types/{world.et.uuid}",
            "start_time": f"{first}T00:00:00Z",
            "end_time": f"{until}T00:00:00Z",
        },
    )
    return [t["start_time"] for t in r.json()["collection"]]


def test_a_new_host_has_no_rules(world):
    r = world.api.get(rules_path(world.admin))
    assert r.status_code == 200
    res = r.json()["resource"]
    assert res["user"].endswith(f"/api/v2/users/{world.admin.user.uuid}")
    assert res["limits"] == dict.fromkeys(
        ["daily_limit", "weekly_limit", "monthly_limit", "daily_minutes_limit", "weekly_minutes_limit"]
    )
    assert res["out_of_office"] == [] and res["travel"] == []


def test_limits_are_set_and_cleared(world):
    r = world.api.put(f"/users/{world.admin.user.uuid}/limits", {"daily_limit": 3, "weekly_minutes_limit": 600})
    assert r.status_code == 200, r.content
    assert r.json()["resource"]["limits"]["daily_limit"] == 3
    row = HostLimits.objects.get(membership=world.admin)
    assert (row.daily_limit, row.weekly_minutes_limit, row.weekly_limit) == (3, 600, None)
    world.api.put(f"/users/{world.admin.user.uuid}/limits", {})
    row.refresh_from_db()
    assert row.daily_limit is None and row.weekly_minutes_limit is None


@pytest.mark.parametrize(
    "body, message",
    [
        ({"daily_limit": 0}, "Bookings a day must be a whole number of bookings from 1 to"),
        ({"weekly_minutes_limit": 20000}, "Minutes booked a week must be a whole number of minutes from 1 to 10080"),
    ],
)
def test_limits_out_of_range_are_refused_in_words(world, body, message):
    r = world.api.put(f"/users/{world.admin.user.uuid}/limits", body)
    assert r.status_code == 400, r.content
    assert message in r.json()["message"]
    assert not HostLimits.objects.filter(membership=world.admin).exists()


def test_out_of_office_hides_the_days_and_names_the_redirect(world):
    path = f"/users/{world.admin.user.uuid}/out_of_office"
    r = world.api.post(
        path,
        {
            "first": "2026-03-03",
            "last": "2026-03-04",
            "reason": "Conference",
            "redirect_to": f"{BASE}/users/{world.member.user.uuid}",
        },
    )
    assert r.status_code == 201, r.content
    absence = r.json()["resource"]
    assert absence["redirect_to"].endswith(f"/api/v2/users/{world.member.user.uuid}")
    days = {t[:10] for t in offered(world, "2026-03-03", "2026-03-06")}
    assert "2026-03-05" in days and not days & {"2026-03-03", "2026-03-04"}
    assert world.api.get(rules_path(world.admin)).json()["resource"]["out_of_office"] == [absence]
    assert world.api.delete(f"{path}/{absence['id']}").status_code == 204
    assert not OutOfOffice.objects.filter(membership=world.admin).exists()


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"first": "2026-03-05", "last": "2026-03-03"}, 400, "The last day is before the first"),
        ({"first": "2026-03-03", "last": "2027-06-01"}, 400, "A range can be at most a year long"),
        ({"first": "soon", "last": "2026-03-03"}, 400, "first"),
    ],
)
def test_bad_out_of_office_is_refused_and_writes_nothing(world, body, status, message):
    r = world.api.post(f"/users/{world.admin.user.uuid}/out_of_office", body)
    assert r.status_code == status, r.content
    assert message in r.json()["message"]
    assert not OutOfOffice.objects.exists()


def test_overlapping_absences_are_refused(world):
    path = f"/users/{world.admin.user.uuid}/out_of_office"
    assert world.api.post(path, {"first": "2026-03-03", "last": "2026-03-10"}).status_code == 201
    r = world.api.post(path, {"first": "2026-03-09", "last": "2026-03-12"})
    assert r.status_code == 400
    assert "already out of office on some of those days" in r.json()["message"]


def test_travel_reads_hours_on_the_other_clock(world):
    path = f"/users/{world.admin.user.uuid}/travel"
    r = world.api.post(path, {"timezone": "Asia/Tokyo", "first": "2026-03-03", "last": "2026-03-20"})
    assert r.status_code == 201, r.content
    stay = r.json()["resource"]
    assert stay["timezone"] == "Asia/Tokyo"
    times = offered(world, "2026-03-04", "2026-03-05")
    # 9:00 in Tokyo is 00:00 UTC: the host's Berlin working day does not apply while they are away.
    assert times and times[0].startswith("2026-03-04T00:00")
    assert world.api.delete(f"{path}/{stay['id']}").status_code == 204
    assert not TravelStay.objects.exists()


def test_an_unknown_zone_is_refused_in_words(world):
    r = world.api.post(
        f"/users/{world.admin.user.uuid}/travel",
        {"timezone": "Mars/Olympus", "first": "2026-03-03", "last": "2026-03-04"},
    )
    assert r.status_code == 400
    assert "Mars/Olympus" in r.json()["message"]


def test_a_member_changes_their_own_rules_but_not_a_teammates(world):
    own = world.member_api.put(f"/users/{world.member.user.uuid}/limits", {"daily_limit": 2})
    assert own.status_code == 200
    other = world.member_api.put(f"/users/{world.admin.user.uuid}/limits", {"daily_limit": 2})
    assert other.status_code == 403
    assert "owners and admins" in other.json()["message"]
    assert not HostLimits.objects.filter(membership=world.admin).exists()
    assert world.member_api.get(rules_path(world.admin)).status_code == 200


def test_an_admin_sets_a_teammates_absence(world):
    r = world.api.post(f"/users/{world.member.user.uuid}/out_of_office", {"first": "2026-03-03", "last": "2026-03-03"})
    assert r.status_code == 201
    assert OutOfOffice.objects.get().membership == world.member


def test_removing_what_does_not_exist_is_a_404(world):
    assert world.api.delete(f"/users/{world.admin.user.uuid}/out_of_office/999999").status_code == 404
    assert world.api.delete(f"/users/{world.admin.user.uuid}/travel/999999").status_code == 404
