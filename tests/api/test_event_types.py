from slotwise.scheduling.models import EventType, PoolHost
from tests import factories
from tests.api.conftest import BASE

REQUIRED = {
    "uri",
    "name",
    "active",
    "slug",
    "scheduling_url",
    "duration",
    "kind",
    "pooling_type",
    "type",
    "color",
    "created_at",
    "updated_at",
    "internal_note",
    "description_plain",
    "description_html",
    "profile",
    "secret",
    "booking_method",
    "custom_questions",
    "deleted_at",
    "kind_description",
    "admin_managed",
}


def test_event_type_shape(world):
    world.et.questions = [
        {"key": "topic", "label": "Topic", "type": "single_choice", "required": True, "options": ["Billing", "Other"]}
    ]
    world.et.description = "Bring <notes>"
    world.et.save()
    r = world.api.get(f"/event_types/{world.et.uuid}")
    assert r.status_code == 200
    et = r.json()["resource"]
    assert REQUIRED <= set(et)
    assert et["kind"] == "solo" and et["pooling_type"] is None and et["kind_description"] == "One-on-One"
    assert et["type"] == "StandardEventType" and et["booking_method"] == "instant"
    assert et["duration"] == 30
    assert et["scheduling_url"] == "http://127.0.0.1:8000/acme/alice/intro"
    assert et["profile"] == {
        "type": "User",
        "name": "Alice",
        "owner": f"http://127.0.0.1:8000/api/v2/users/{world.admin.user.uuid}",
    }
    assert et["description_html"] == "<p>Bring &lt;notes&gt;</p>"
    assert et["custom_questions"] == [
        {
            "name": "Topic",
            "type": "single_select",
            "position": 0,
            "enabled": True,
            "required": True,
            "answer_choices": ["Billing", "Other"],
            "include_other": False,
        }
    ]


def test_team_kinds_map_onto_calendly_enums(world):
    team = factories.team(world.a, [world.admin, world.member])
    rr = factories.event_type(team=team, kind=EventType.Kind.ROUND_ROBIN, slug="rr")
    col = factories.event_type(team=team, kind=EventType.Kind.COLLECTIVE, slug="col")
    grp = factories.event_type(world.admin, kind=EventType.Kind.GROUP, seats=5, slug="grp")
    got = {}
    for e in (rr, col, grp):
        r = world.api.get(f"/event_types/{e.uuid}").json()["resource"]
        got[e.slug] = (r["kind"], r["pooling_type"], r["kind_description"], r["profile"]["type"])
    assert got == {
        "rr": ("solo", "round_robin", "Round Robin", "Team"),
        "col": ("solo", "collective", "Collective", "Team"),
        "grp": ("group", None, "Group", "User"),
    }


def test_list_filters_by_user_and_active_and_sorts(world):
    factories.event_type(world.admin, slug="zeta", name="Zeta", active=False)
    factories.event_type(world.member, slug="bobs", name="Bob's")
    user = f"{BASE}/users/{world.admin.user.uuid}"
    names = [e["name"] for e in world.api.get("/event_types", {"user": user, "sort": "name:asc"}).json()["collection"]]
    assert names == ["Intro call", "Zeta"]
    names = [e["name"] for e in world.api.get("/event_types", {"user": user, "active": "true"}).json()["collection"]]
    assert names == ["Intro call"]
    org = f"{BASE}/organizations/{world.a.uuid}"
    names = [
        e["name"]
        for e in world.api.get("/event_types", {"organization": org, "sort": "name:desc"}).json()["collection"]
    ]
    assert names == ["Zeta", "Intro call", "Bob's"]
    assert world.api.get("/event_types", {"sort": "color:asc"}).status_code == 400


def test_a_users_event_types_include_team_events_they_host_with_or_without_a_pool(world):
    """Issue 9: the Calendly import lists "the event types the user hosts or is a pool member of" with
    ?user=. A team event type without a pool of its own is hosted by every team member."""
    third = factories.host(world.a, "cleo", email="cleo@acme.test")
    team = factories.team(world.a, [world.admin, world.member])
    factories.event_type(team=team, kind=EventType.Kind.ROUND_ROBIN, slug="everyone", name="Everyone")
    pooled = factories.event_type(team=team, kind=EventType.Kind.ROUND_ROBIN, slug="pooled", name="Pooled")
    PoolHost.objects.create(event_type=pooled, membership=third)

    def names(member):
        user = f"{BASE}/users/{member.user.uuid}"
        return sorted(e["name"] for e in world.api.get("/event_types", {"user": user}).json()["collection"])

    assert names(world.member) == ["Everyone"]
    assert names(third) == ["Pooled"]
    assert names(world.admin) == ["Everyone", "Intro call"]


def test_create_then_patch_event_type(world):
    r = world.api.post("/event_types", {"name": "Deep dive", "duration": "45", "description": "Long one"})
    assert r.status_code == 201, r.content
    et = r.json()["resource"]
    assert (et["name"], et["slug"], et["duration"], et["active"]) == ("Deep dive", "deep-dive", 45, True)
    assert et["profile"]["owner"].endswith(str(world.admin.user.uuid))
    r = world.api.patch(et["uri"].replace("http://127.0.0.1:8000/api/v2", ""), {"duration": 60, "active": False})
    assert r.status_code == 200
    assert (r.json()["resource"]["duration"], r.json()["resource"]["active"]) == (60, False)
    assert EventType.objects.get(slug="deep-dive").duration_minutes == 60


def test_create_for_a_colleague_needs_admin(world):
    bob = f"{BASE}/users/{world.member.user.uuid}"
    alice = f"{BASE}/users/{world.admin.user.uuid}"
    assert world.api.post("/event_types", {"name": "For Bob", "owner": bob}).status_code == 201
    r = world.member_api.post("/event_types", {"name": "For Alice", "owner": alice})
    assert r.status_code == 403
    assert r.json()["title"] == "Permission Denied"


def test_bad_event_type_input_is_400_naming_the_field(world):
    r = world.api.post("/event_types", {"name": "", "duration": 30})
    assert r.status_code == 400
    assert r.json()["details"][0]["parameter"] == "name"
    r = world.api.post("/event_types", {"name": "X", "duration": 5000})
    assert r.status_code == 400
    assert r.json()["details"][0]["parameter"] == "duration"
    r = world.api.post("/event_types", {"duration": 30})
    assert r.status_code == 400
    assert r.json()["details"][0]["parameter"] == "name"
    r = world.api.post("/event_types", {"name": "Intro call", "slug": "intro"})
    assert r.status_code == 409 and r.json()["details"][0]["parameter"] == "slug"
    assert r.json()["title"] == "Already Exists"


def test_member_cannot_patch_someone_elses_event_type(world):
    r = world.member_api.patch(f"/event_types/{world.et.uuid}", {"name": "Mine now"})
    assert r.status_code == 403


def test_read_only_token_cannot_write(world):
    r = world.read.post("/event_types", {"name": "Nope"})
    assert r.status_code == 403
    assert "read-only" in r.json()["message"]
    assert world.read.patch(f"/event_types/{world.et.uuid}", {"name": "Nope"}).status_code == 403
    assert not EventType.objects.filter(name="Nope").exists()


def test_issue_schemathesis_nul_in_name_is_400_not_500(world):
    """Found by schemathesis on PostgreSQL: a NUL character in a name reached the database (500)."""
    r = world.api.post("/event_types", {"name": "Intro\u0000call"})
    assert r.status_code == 400
    assert r.json()["details"][0]["parameter"] == "name"
    r = world.api.get(
        "/scheduled_events",
        {"organization": f"{BASE}/organizations/{world.a.uuid}", "invitee_email": "a\x00@example.com"},
    )
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "invitee_email"
    r = world.api.client.post(
        "/api/v2/event_types",
        b'{"name": "\\ud800 lone"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.api.secret}",
    )
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "name"
    assert not EventType.objects.filter(name__startswith="Intro").exclude(pk=world.et.pk).exists()


def test_the_api_keeps_calendlys_shape_and_an_event_types_translations(world):
    """Translations are a Slotwise setting of the dashboard and the load file: the API's event type stays
    Calendly's shape, and a PATCH through it leaves them as they were."""
    world.et.default_language = "de"
    world.et.translations = {"en": {"name": "Intro call"}}
    world.et.save()
    r = world.api.patch(f"/event_types/{world.et.uuid}", {"name": "Kennenlernen"})
    assert r.status_code == 200
    assert set(r.json()["resource"]) == set(world.api.get(f"/event_types/{world.et.uuid}").json()["resource"])
    assert not {"translations", "default_language", "language", "locale"} & set(r.json()["resource"])
    world.et.refresh_from_db()
    assert (world.et.name, world.et.default_language, world.et.translations) == (
        "Kennenlernen",
        "de",
        {"en": {"name": "Intro call"}},
    )
