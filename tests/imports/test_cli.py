"""`slotwise connections ...`: the same services as the pages, with --json for scripts and clear errors."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from slotwise.cli.main import usage
from slotwise.imports.models import Calendar, Connection

pytestmark = pytest.mark.usefixtures("polls")

NOW = "2026-03-02T08:00:00Z"


@pytest.fixture
def people(ana_calendly):
    return ana_calendly


def cli(*args) -> str:
    out = StringIO()
    call_command("connections", *args, "--now", NOW, stdout=out)
    return out.getvalue()


def cli_json(*args):
    return json.loads(cli(*args, "--json"))


def _add(calendly, people):
    return cli_json(
        "add",
        "calendly",
        "--org",
        "northwind",
        "--user",
        "ana@northwind.test",
        "--token",
        calendly.token_for(people["ana"]),
        "--api-base",
        calendly.base,
    )


def test_help_lists_the_connections_verb():
    assert "connections add calendly --org ORG --user EMAIL (--token T | --oauth)" in usage()


def test_add_list_calendars_select_deselect_remove(agency, calendly, people, polls):
    added = _add(calendly, people)
    assert (added["state"], added["account_email"], added["user"]) == (
        "active",
        "ana@calendly.test",
        "ana@northwind.test",
    )
    [listed] = cli_json("list", "--org", "northwind")
    assert listed["id"] == added["id"] and listed["state_label"] == "Active"
    cals = cli_json("calendars", added["id"])
    assert [(c["name"], c["kind_label"], c["selected"]) for c in cals] == [
        ("Intro call", "Personal", False),
        ("Support", "Shared (round robin)", False),
    ]
    chosen = cli_json("select", added["id"], "intro-call", cals[1]["uuid"])  # by slug and by uuid
    assert [c["imported_from"] for c in chosen] == [NOW, NOW]
    assert cli_json("deselect", added["id"], cals[0]["uri"]) == {"deselected": [cals[0]["uri"]], "deleted": 0}
    assert [c.name for c in Calendar.objects.filter(selected=True)] == ["Support"]
    assert cli_json("remove", added["id"])["state"] == "removed"
    assert cli_json("list", "--org", "northwind") == []
    assert Connection.objects.get().state == "removed"


def test_the_plain_output_says_what_happened(agency, calendly, people):
    out = cli(
        "add",
        "calendly",
        "--org",
        "northwind",
        "--user",
        "ana@northwind.test",
        "--token",
        calendly.token_for(people["ana"]),
        "--api-base",
        calendly.base,
    )
    conn = Connection.objects.get()
    assert f"connected ana@calendly.test (teams, paid) for ana@northwind.test in northwind: id {conn.uuid}" in out
    assert "[ ] Intro call  Personal  intro-call" in cli("calendars", str(conn.uuid), "--no-refresh")


def test_oauth_prints_the_address_to_open(agency, calendly, settings):
    settings.SLOTWISE_CALENDLY_AUTH_BASE = calendly.base
    out = cli_json(
        "add", "calendly", "--org", "northwind", "--user", "ana@northwind.test", "--oauth", "--api-base", calendly.base
    )
    assert out["state"] == "pending" and out["authorize_url"].startswith(f"{calendly.base}/oauth/authorize?")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "calendly", "--org", "nope", "--user", "a@b.c", "--token", "t"), "no organization 'nope'"),
        (
            ("add", "calendly", "--org", "northwind", "--user", "zoe@x.test", "--token", "t"),
            "zoe@x.test is not a member of northwind",
        ),
        (("calendars", "not-a-uuid"), "no such connection"),
        (("remove", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"), "no such connection"),
    ],
    ids=["unknown-org", "not-a-member", "bad-id", "unknown-id"],
)
def test_mistakes_are_one_clear_line(agency, args, message):
    with pytest.raises(CommandError, match=message):
        cli(*args)


def test_a_refused_token_is_a_clear_error(agency, calendly):
    with pytest.raises(CommandError, match="Calendly did not accept this sign-in"):
        cli(
            "add",
            "calendly",
            "--org",
            "northwind",
            "--user",
            "ana@northwind.test",
            "--token",
            "pat_wrong",
            "--api-base",
            calendly.base,
        )


def test_calendars_when_calendly_is_down_shows_the_stored_ones(agency, calendly, people, capsys):
    conn_id = _add(calendly, people)["id"]
    calendly.fail_next(3, 503)
    rows = cli_json("calendars", conn_id)
    assert [r["name"] for r in rows] == ["Intro call", "Support"]
    assert Connection.objects.get().state == "retrying"


def test_sync_imports_what_was_booked_and_says_so(agency, now):
    """Against engineer e2e's Calendly fake: a booking made after the calendar was chosen is imported by
    `connections sync`, and its progress and outcome are printed."""
    from datetime import timedelta

    from slotwise.bookings.models import Booking

    from .calendly_fake import FakeCalendly

    with FakeCalendly(now=now) as fake:
        org = fake.add_organization(plan="teams", stage="paid")
        ana = fake.add_user(name="Ana Lopez", email="ana@calendly.test", organization=org, role="owner")
        intro = fake.add_event_type(name="Intro call", owner=ana["uri"])
        conn = cli_json(
            "add",
            "calendly",
            "--org",
            "northwind",
            "--user",
            "ana@northwind.test",
            "--token",
            fake.personal_access_token(ana["uri"]),
            "--api-base",
            fake.api_base,
        )
        cli("select", conn["id"], intro["uri"])
        fake.advance(minutes=5)
        fake.book(
            event_type=intro["uri"],
            start=now + timedelta(days=2),
            invitees=[{"name": "Guest One", "email": "guest@example.com"}],
        )
        out = StringIO()
        call_command("connections", "sync", conn["id"], "--json", "--now", f"{fake.now:%Y-%m-%dT%H:%M:%SZ}", stdout=out)
        result = json.loads(out.getvalue())
    assert result["state"] == "active" and result["done"] == result["total"] == 1
    booking = Booking.objects.get(source=Booking.Source.IMPORT)
    assert booking.start == now + timedelta(days=2) and booking.host == agency["ana"]
