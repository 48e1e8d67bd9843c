"""The host dashboard through Django's test client: login, CSRF, event types, hours, pools, bookings."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.bookings.models import SingleUseLink
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.events import subscribed
from slotwise.scheduling.models import AvailabilitySchedule, EventType, PoolHost
from slotwise.scheduling.models import EventTypeStar as Favorite
from tests import factories

pytestmark = pytest.mark.django_db

EVENT_FORM = {
    "name": "Deep dive",
    "slug": "",
    "description": "",
    "kind": "one_on_one",
    "duration_minutes": "45",
    "duration_options": "",
    "increment_minutes": "15",
    "buffer_before_minutes": "0",
    "buffer_after_minutes": "10",
    "min_notice_minutes": "120",
    "window_kind": "rolling",
    "window_days": "30",
    "window_start": "",
    "window_end": "",
    "daily_limit": "",
    "seats": "1",
    "location_kind": "video",
    "location_value": "",
    "color": "#0f766e",
    "active": "on",
    "questions_text": "Company | text | required\nTopic | single_choice | optional | Sales, Support",
}


@pytest.fixture
def ana_client(client, acme):
    client.force_login(acme["ana"].user)
    return client


def test_dashboard_needs_a_login(client, acme):
    resp = client.get("/dashboard/")
    assert (resp.status_code, resp["Location"]) == (302, "/login/?next=/dashboard/")


def test_login_with_csrf_and_wrong_password_says_so(acme):
    c = Client(enforce_csrf_checks=True)
    page = c.get("/login/")
    token = page.cookies["csrftoken"].value
    bad = c.post("/login/", {"username": "ana@acme.test", "password": "nope", "csrfmiddlewaretoken": token})
    assert bad.status_code == 200 and "Please enter a correct email and password" in bad.content.decode()
    assert 'value="ana@acme.test"' in bad.content.decode()
    ok = c.post(
        "/login/", {"username": "ana@acme.test", "password": "correct horse battery", "csrfmiddlewaretoken": token}
    )
    assert ok["Location"] == "/dashboard/"
    assert c.post("/dashboard/event-types/1/star/").status_code == 403  # no CSRF token


def test_create_event_type_with_every_setting(ana_client, acme, frozen):
    seen = []
    with subscribed("event_type.created", lambda **kw: seen.append(kw["event_type"].slug)):
        resp = ana_client.post("/dashboard/event-types/new/", EVENT_FORM)
    et = EventType.objects.get(slug="deep-dive")
    assert resp["Location"] == f"/dashboard/event-types/{et.pk}/"
    assert (
        et.owner,
        et.duration_minutes,
        et.increment_minutes,
        et.buffer_after_minutes,
        et.min_notice_minutes,
        et.window_days,
        et.color,
        et.daily_limit,
    ) == (acme["ana"], 45, 15, 10, 120, 30, "#0f766e", None)
    assert et.questions == [
        {"key": "company", "label": "Company", "type": "text", "required": True, "options": []},
        {"key": "topic", "label": "Topic", "type": "single_choice", "required": False, "options": ["Sales", "Support"]},
    ]
    assert seen[-1] == "deep-dive"
    page = ana_client.get(f"/dashboard/event-types/{et.pk}/").content.decode()
    assert 'data-slotwise-url="http://testserver/acme/ana/deep-dive/"' in page.replace("&quot;", '"').replace(
        "&lt;", "<"
    ).replace("&gt;", ">")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Give the event type a name, e.g. 30 minute call"),
        ({"duration_minutes": "0"}, "duration_minutes", "Duration must be between 1 and 1440 minutes"),
        (
            {"increment_minutes": "abc"},
            "increment_minutes",
            "The start-time increment must be between 5 and 720 minutes; &#x27;abc&#x27; is not a whole number",
        ),
        ({"window_days": ""}, "window_days", "A rolling booking window needs a number of days"),
        ({"color": "blue"}, "color", "The colour must be like #2563eb, not &#x27;blue&#x27;"),
        (
            {"location_kind": "in_person"},
            "location_value",
            "Say where the meeting is (the link, address or phone number)",
        ),
        ({"kind": "round_robin"}, "kind", "Round robin events belong to a team"),
        (
            {"questions_text": "Size | dropdown"},
            "questions_text",
            "Question 1: the type &#x27;dropdown&#x27; is not one of",
        ),
    ],
)
def test_event_type_errors_show_beside_the_field_and_keep_the_form(ana_client, acme, frozen, change, field, message):
    resp = ana_client.post("/dashboard/event-types/new/", {**EVENT_FORM, **change})
    html = resp.content.decode()
    assert resp.status_code == 200 and EventType.objects.filter(slug="deep-dive").count() == 0
    assert f'data-error-for="{field}">{message}' in html
    assert 'value="#0f766e"' in html or change.get("color")  # what was typed stays


def test_slug_taken_is_an_error_on_slug(ana_client, acme, frozen):
    resp = ana_client.post("/dashboard/event-types/new/", {**EVENT_FORM, "slug": "intro"})
    assert (
        "The URL part &#x27;intro&#x27; is already used by another event type here; choose another"
        in resp.content.decode()
    )


def test_edit_event_type_and_turn_it_off(ana_client, acme, frozen):
    intro = acme["intro"]
    form = {**EVENT_FORM, "name": "Intro call", "slug": "intro", "duration_minutes": "20", "increment_minutes": "20"}
    form.pop("active")
    ana_client.post(f"/dashboard/event-types/{intro.pk}/", form)
    intro.refresh_from_db()
    assert (intro.duration_minutes, intro.active) == (20, False)
    assert ana_client.get("/acme/ana/intro/").status_code == 404


def test_single_use_link_and_star_with_one_click(ana_client, acme, frozen):
    intro = acme["intro"]
    ana_client.post(f"/dashboard/event-types/{intro.pk}/single-use/")
    link = SingleUseLink.objects.get()
    assert (link.event_type, link.max_event_count, link.created_by) == (intro, 1, acme["ana"])
    page = ana_client.get("/dashboard/").content.decode()
    assert f"http://testserver/d/{link.token}/" in page
    ana_client.post(f"/dashboard/event-types/{intro.pk}/star/")
    assert Favorite.objects.filter(membership=acme["ana"], event_type=intro).exists()
    ana_client.post(f"/dashboard/event-types/{intro.pk}/star/")
    assert not Favorite.objects.exists()


def test_favorites_come_first(ana_client, acme, frozen):
    later = factories.event_type(acme["ana"], slug="zeta", name="Zeta")
    Favorite.objects.create(membership=acme["ana"], event_type=later)
    page = ana_client.get("/dashboard/").content.decode()
    assert page.index('data-event-type="zeta"') < page.index('data-event-type="intro"')


def test_hours_errors_are_inline_and_keep_the_form(ana_client, acme, frozen):
    form = {
        "timezone": "Europe/Berlin",
        "mon": "09:00-12:00, 11:00-13:00",
        "tue": "9-5",
        "wed": "",
        "thu": "",
        "fri": "",
        "sat": "",
        "sun": "",
        "overrides": "",
    }
    html = ana_client.post("/dashboard/availability/", form).content.decode()
    assert "Monday: the ranges 09:00-12:00 and 11:00-13:00 overlap" in html
    assert 'value="9-5"' in html
    html = ana_client.post(
        "/dashboard/availability/", {**form, "mon": "09:00-12:00", "tue": "", "timezone": "Berlin"}
    ).content.decode()
    assert "Unknown time zone &#x27;Berlin&#x27;; use an IANA name such as America/New_York" in html
    html = ana_client.post(
        "/dashboard/availability/", {**form, "mon": "", "tue": "", "overrides": "next tuesday"}
    ).content.decode()
    assert "Date overrides, line 1: write it as 2026-03-10: 10:00-12:00 (or: off)" in html
    schedule = AvailabilitySchedule.objects.get(owner=acme["ana"])
    assert schedule.weekly["mon"] == [["09:00", "17:00"]]  # nothing half-written


def test_hours_and_overrides_saved(ana_client, acme, frozen):
    form = {
        "timezone": "America/Chicago",
        "mon": "08:00-12:00; 13:00-17:00",
        "tue": "",
        "wed": "10:00-24:00",
        "thu": "",
        "fri": "",
        "sat": "",
        "sun": "",
        "overrides": "2026-03-10: off\n2026-03-11: 09:00-10:00",
    }
    assert ana_client.post("/dashboard/availability/", form).status_code == 302
    s = AvailabilitySchedule.objects.get(owner=acme["ana"])
    assert s.timezone == "America/Chicago"
    assert s.weekly == {
        "mon": [["08:00", "12:00"], ["13:00", "17:00"]],
        "tue": [],
        "wed": [["10:00", "24:00"]],
        "thu": [],
        "fri": [],
        "sat": [],
        "sun": [],
    }
    assert [(o.date.isoformat(), o.intervals) for o in s.overrides.all()] == [
        ("2026-03-10", []),
        ("2026-03-11", [["09:00", "10:00"]]),
    ]


def test_pool_priorities_are_saved_by_admins(client, frozen):
    org = factories.org("team")
    boss = factories.host(org, "boss", role="owner")
    a, b = factories.host(org, "a"), factories.host(org, "b")
    team = factories.team(org, [boss, a, b], slug="sales")
    demo = factories.event_type(team=team, slug="demo", kind=EventType.Kind.ROUND_ROBIN)
    client.force_login(boss.user)
    client.post(
        f"/dashboard/event-types/{demo.pk}/pool/",
        {
            f"in_{a.pk}": "on",
            f"priority_{a.pk}": "4",
            f"weight_{a.pk}": "200",
            f"in_{b.pk}": "on",
            f"priority_{b.pk}": "1",
        },
    )
    assert sorted(PoolHost.objects.values_list("membership__slug", "priority", "weight")) == [
        ("a", 4, 200),
        ("b", 1, 100),
    ]
    bad = client.post(f"/dashboard/event-types/{demo.pk}/pool/", {f"in_{a.pk}": "on", f"priority_{a.pk}": "9"})
    assert "priority must be from 0 (lowest) to 4 (highest)" in bad.content.decode()
    heavy = client.post(
        f"/dashboard/event-types/{demo.pk}/pool/", {f"in_{a.pk}": "on", f"priority_{a.pk}": "2", f"weight_{a.pk}": "0"}
    )
    assert "weight must be from 1 to 1000" in heavy.content.decode()
    assert PoolHost.objects.get(membership=a).weight == 200  # nothing changed
    team_page = client.get("/dashboard/team/").content.decode()
    assert "A (priority 4)" in team_page and "owner" in team_page
    client.force_login(a.user)
    assert client.post(f"/dashboard/event-types/{demo.pk}/pool/", {}).status_code == 403


def test_bookings_filter_by_host_and_event_type(ana_client, acme, frozen):
    other = factories.event_type(acme["ana"], slug="other", name="Other")
    booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="In Tro", email="i@example.com", timezone="UTC"),
    )
    booking_create(
        event_type=other,
        start=datetime(2026, 3, 4, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Oth Er", email="o@example.com", timezone="UTC"),
    )
    both = ana_client.get("/dashboard/bookings/").content.decode()
    assert "In Tro" in both and "Oth Er" in both
    only = ana_client.get(f"/dashboard/bookings/?event_type={other.pk}&host=ana").content.decode()
    assert "In Tro" not in only and "Oth Er" in only
    assert "Oth Er" not in ana_client.get("/dashboard/bookings/?host=nobody").content.decode()


def test_no_show_cannot_be_set_before_the_meeting(ana_client, acme, frozen):
    inv = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="In Tro", email="i@example.com", timezone="UTC"),
    )
    resp = ana_client.post(f"/dashboard/invitees/{inv.uid}/no-show/", {"no_show": "1"}, follow=True)
    assert "no_show: the meeting has not started yet" in resp.content.decode()


def test_other_orgs_bookings_are_not_reachable(client, acme, frozen):
    inv = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="In Tro", email="i@example.com", timezone="UTC"),
    )
    stranger = factories.host(factories.org("other"), "eve")
    client.force_login(stranger.user)
    assert client.post(f"/dashboard/bookings/{inv.booking.uid}/cancel/").status_code == 404
    assert "In Tro" not in client.get("/dashboard/bookings/").content.decode()


def test_admin_registers_the_models(admin_client):
    for path in (
        "scheduling/eventtype",
        "scheduling/availabilityschedule",
        "bookings/booking",
        "bookings/singleuselink",
        "contacts/contact",
        "contacts/funnelevent",
        "accounts/membership",
    ):
        assert admin_client.get(f"/admin/{path}/").status_code == 200, path


def test_roles_and_team_members(client, frozen):
    org = factories.org("crew")
    boss = factories.host(org, "boss", role="owner")
    a, b = factories.host(org, "a"), factories.host(org, "b")
    team = factories.team(org, [a, b], slug="sales")
    demo = factories.event_type(team=team, slug="demo", kind=EventType.Kind.ROUND_ROBIN)
    factories.pool(demo, [a, b])
    client.force_login(boss.user)
    client.post("/dashboard/team/", {"member": a.pk, "role": "admin"})
    a.refresh_from_db()
    assert a.role == "admin"
    resp = client.post("/dashboard/team/", {"member": boss.pk, "role": "member"}, follow=True)
    assert "is the only owner; make someone else owner first" in resp.content.decode()
    client.post("/dashboard/team/", {"team": team.pk, "members": [a.pk, boss.pk]})
    assert sorted(team.members.values_list("slug", flat=True)) == ["a", "boss"]
    assert list(PoolHost.objects.values_list("membership__slug", flat=True)) == ["a"]  # b left the pool too
    client.force_login(b.user)
    resp = client.post("/dashboard/team/", {"member": b.pk, "role": "owner"}, follow=True)
    assert "Only owners and admins change roles" in resp.content.decode()
    client.force_login(a.user)  # an admin, not an owner
    resp = client.post("/dashboard/team/", {"member": b.pk, "role": "owner"}, follow=True)
    assert "Only an owner makes or unmakes owners" in resp.content.decode()


def test_after_a_cancel_the_redirect_stays_on_this_site(ana_client, acme, frozen):
    inv = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="In Tro", email="i@example.com", timezone="UTC"),
    )
    resp = ana_client.post(f"/dashboard/bookings/{inv.booking.uid}/cancel/", {"next": "https://evil.example/"})
    assert resp["Location"] == "/dashboard/bookings/"


def test_round_robin_settings_show_only_for_team_events(ana_client, acme):
    personal = ana_client.get(f"/dashboard/event-types/{acme['intro'].pk}/").content.decode()
    assert "Round-robin distribution" not in personal and "Invitees may pick the host" not in personal
    team = factories.team(acme["org"], [acme["ana"]], "support")
    rr = factories.event_type(team=team, slug="rr", kind=EventType.Kind.ROUND_ROBIN)
    acme["ana"].role = "admin"
    acme["ana"].save()
    assert "Round-robin distribution" in ana_client.get(f"/dashboard/event-types/{rr.pk}/").content.decode()
    new = ana_client.get("/dashboard/event-types/new/").content.decode()
    assert "data-team-only" in new  # shown by dashboard.js once a team is chosen as the owner


def test_admins_create_rename_and_delete_teams_in_the_dashboard(client, acme):
    from slotwise.accounts.models import Team

    boss = factories.host(acme["org"], "boss", role="owner")
    client.force_login(boss.user)
    client.post("/dashboard/team/", {"team_create": "1", "name": "Support", "timezone": "Europe/Dublin"})
    t = Team.objects.get(organization=acme["org"])
    assert (t.name, t.slug, t.timezone) == ("Support", "support", "Europe/Dublin")
    client.post(
        "/dashboard/team/",
        {"team_update": "1", "team": t.pk, "name": "Customer support", "slug": "help", "timezone": "America/New_York"},
    )
    t.refresh_from_db()
    assert (t.name, t.slug, t.timezone) == ("Customer support", "help", "America/New_York")
    bad = client.post(
        "/dashboard/team/", {"team_create": "1", "name": "Sales", "timezone": "Mars/Olympus"}, follow=True
    ).content.decode()
    assert "Choose the team&#x27;s time zone" in bad and Team.objects.count() == 1
    factories.event_type(team=t, slug="call", name="Support call")
    kept = client.post("/dashboard/team/", {"team_delete": "1", "team": t.pk}, follow=True).content.decode()
    assert "still has event types (Support call)" in kept and Team.objects.filter(pk=t.pk).exists()
    t.event_types.all().delete()
    client.post("/dashboard/team/", {"team_delete": "1", "team": t.pk})
    assert not Team.objects.filter(pk=t.pk).exists()
    client.force_login(acme["ana"].user)  # a member
    client.post("/dashboard/team/", {"team_create": "1", "name": "Rogue", "timezone": "UTC"})
    assert not Team.objects.filter(name="Rogue").exists()
