from datetime import UTC, datetime

from slotwise.bookings.models import Invitee, SingleUseLink
from slotwise.contacts.models import Contact
from tests.api.conftest import BASE, book


def _past_invitee(world, now):
    # A meeting that already happened: booked last week, at a past `now`.
    start = datetime(2026, 2, 24, 9, 0, tzinfo=UTC)
    return book(world.et, start, now=datetime(2026, 2, 20, tzinfo=UTC))


def test_no_show_create_get_delete(world, now):
    inv = _past_invitee(world, now)
    inv_uri = f"{BASE}/scheduled_events/{inv.booking.uid}/invitees/{inv.uid}"
    r = world.api.post("/invitee_no_shows", {"invitee": inv_uri})
    assert r.status_code == 201, r.content
    ns = r.json()["resource"]
    assert ns["invitee"] == f"http://127.0.0.1:8000/api/v2/scheduled_events/{inv.booking.uid}/invitees/{inv.uid}"
    assert ns["created_at"] == "2026-03-02T08:00:00.000000Z"
    assert Invitee.objects.get(pk=inv.pk).no_show is True
    shown = world.api.get(f"/scheduled_events/{inv.booking.uid}/invitees").json()["collection"][0]
    assert shown["no_show"] == {"uri": ns["uri"], "created_at": ns["created_at"]}
    path = ns["uri"].replace("http://127.0.0.1:8000/api/v2", "")
    assert world.api.get(path).json()["resource"] == ns
    assert world.api.post("/invitee_no_shows", {"invitee": inv_uri}).status_code == 409
    assert world.api.delete(path).status_code == 204
    assert Invitee.objects.get(pk=inv.pk).no_show is False
    assert world.api.get(path).status_code == 404


def test_no_show_errors(world, now):
    future = book(world.et, datetime(2026, 3, 3, 9, tzinfo=UTC), now=now)
    r = world.api.post(
        "/invitee_no_shows", {"invitee": f"{BASE}/scheduled_events/{future.booking.uid}/invitees/{future.uid}"}
    )
    assert r.status_code == 400 and "not started" in r.json()["message"]
    assert world.api.post("/invitee_no_shows", {"invitee": "bogus"}).status_code == 400
    assert world.api.post("/invitee_no_shows", {}).status_code == 400


def test_scheduling_link(world):
    r = world.api.post(
        "/scheduling_links",
        {"max_event_count": "1", "owner": f"{BASE}/event_types/{world.et.uuid}", "owner_type": "EventType"},
    )
    assert r.status_code == 201, r.content
    res = r.json()["resource"]
    link = SingleUseLink.objects.get()
    assert res == {
        "booking_url": f"http://127.0.0.1:8000/d/{link.token}/",
        "owner": f"{BASE}/event_types/{world.et.uuid}",
        "owner_type": "EventType",
    }
    assert (link.max_event_count, link.event_type_id, link.created_by_id) == (1, world.et.pk, world.admin.pk)
    r = world.api.post(
        "/scheduling_links",
        {"max_event_count": 1, "owner": f"{BASE}/event_types/{world.et.uuid}", "owner_type": "User"},
    )
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "owner_type"
    r = world.api.post("/scheduling_links", {"max_event_count": 0, "owner": f"{BASE}/event_types/{world.et.uuid}"})
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "max_event_count"


def test_data_compliance_deletion_scrubs_people_and_keeps_counts(world, now):
    a = book(world.et, datetime(2026, 3, 3, 9, tzinfo=UTC), email="gone@example.com", name="Gone Person", now=now)
    book(world.et, datetime(2026, 3, 3, 10, tzinfo=UTC), email="stays@example.com", now=now)
    assert Contact.objects.filter(email="gone@example.com").exists()
    r = world.member_api.post("/data_compliance/deletion/invitees", {"emails": ["gone@example.com"]})
    assert r.status_code == 403
    r = world.api.post("/data_compliance/deletion/invitees", {"emails": ["Gone@Example.com"]})
    assert r.status_code == 202
    a.refresh_from_db()
    assert a.name == "Deleted invitee" and a.email == f"deleted-{a.uid.hex}@invalid.invalid" and a.answers == []
    assert not Contact.objects.filter(email="gone@example.com").exists()
    assert Contact.objects.filter(email="stays@example.com").exists()
    org = f"{BASE}/organizations/{world.a.uuid}"
    assert len(world.api.get("/scheduled_events", {"organization": org}).json()["collection"]) == 2
    assert (
        world.api.get("/scheduled_events", {"organization": org, "invitee_email": "gone@example.com"}).json()[
            "collection"
        ]
        == []
    )
    assert world.api.post("/data_compliance/deletion/invitees", {"emails": []}).status_code == 400
