"""`slotwise export ORG` writes the load format: an export loaded into an empty database exports the same file."""

from datetime import UTC, datetime

import pytest
import yaml

from slotwise.accounts.models import Organization, User
from slotwise.automation.models import Rule
from slotwise.calendars.models import CalendarConnection
from slotwise.cli.orgexport import export_text
from slotwise.cli.orgfile import LoadError, load_text
from slotwise.core.events import subscribed
from slotwise.notifications.models import EmailTemplate, Reminder
from slotwise.scheduling.models import EventType, PoolHost
from slotwise.webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

RICH = """\
organization: {slug: acme, name: Acme, timezone: Europe/Berlin, embed_origins: [https://www.acme.com]}
hosts:
  - email: ana@acme.test
    name: Ana Berg
    role: owner
    timezone: Europe/Berlin
    weekly: {mon: ["09:00-12:00", "13:00-17:00"], fri: ["09:00-13:00"]}
    overrides: {2026-12-24: [], 2026-12-23: ["10:00-14:00"]}
    busy: [{start: "2026-03-04T10:00:00+01:00", end: "2026-03-04T11:30:00+01:00", label: Dentist}]
  - email: ben@acme.test
    timezone: America/New_York
    weekly: {tue: ["08:00-16:00"]}
    limits: {week: 10}
teams:
  - {slug: support, name: Support, timezone: UTC, members: [ana@acme.test, ben@acme.test]}
event_types:
  - slug: intro
    host: ana@acme.test
    name: Intro call
    durations: [15, 60]
    increment: 15
    buffer_after: 10
    window: {rolling_days: 30}
    location: {kind: phone, value: "+49 30 1234"}
    questions: [{key: topic, label: Topic, type: single_choice, options: [Sales, Support], required: true}]
    color: "#0f766e"
    translations: {de: {name: Kennenlernen, questions: {topic: {label: Thema, options: [Vertrieb, Hilfe]}}}}
  - slug: support-call
    team: support
    name: Support call
    kind: round_robin
    window: {from: 2026-03-01, to: 2026-06-30}
    distribution: equal
    pool: [{host: ana@acme.test, priority: 4, weight: 200}, ben@acme.test]
rules:
  - name: Tell the lead
    trigger: booking.created
    action: email
    filters: [{field: event_type, op: contains, value: support}]
    params: {to: [lead@acme.test]}
reminders:
  - {name: Day before, offset: 1440, event_type: ana/intro, subject: "Tomorrow: {{ event_name }}"}
  - {name: Thank you, offset: 60, when: after_end, recipient: invitee}
webhooks:
  - {url: "http://127.0.0.1:9/hooks", events: [invitee.created, invitee.canceled]}
calendars:
  - {host: ben@acme.test, kind: ics, url: "http://127.0.0.1:9/ben.ics", name: Ben's holidays}
email_templates:
  - {kind: invitee_confirmed, subject: "Booked: {{ event_name }}"}
  - {kind: reminder, event_type: team/support/support-call, text: "See you soon."}
"""


def _empty_the_database():
    Organization.objects.all().delete()
    User.objects.all().delete()


def test_an_export_loaded_into_an_empty_database_exports_the_same_file():
    load_text(RICH, now=NOW)
    first = export_text(Organization.objects.get(slug="acme"))
    _empty_the_database()
    assert not EventType.objects.exists() and not Rule.objects.exists()
    load_text(first, source="export.yaml", now=NOW)
    assert export_text(Organization.objects.get(slug="acme")) == first
    # ... and it carried the organization, not an empty file.
    data = yaml.safe_load(first)
    assert [h["email"] for h in data["hosts"]] == ["ana@acme.test", "ben@acme.test"]
    assert data["hosts"][0]["overrides"] == {"2026-12-23": ["10:00-14:00"], "2026-12-24": []}
    assert data["hosts"][1]["limits"] == {"week": 10}
    assert data["event_types"][0]["translations"]["de"]["name"] == "Kennenlernen"
    assert data["event_types"][1]["pool"] == [
        {"host": "ana@acme.test", "priority": 4, "weight": 200},
        {"host": "ben@acme.test", "priority": 2, "weight": 100},
    ]
    assert [r["name"] for r in data["rules"]] == ["Tell the lead"]
    assert [(r["name"], r.get("event_type")) for r in data["reminders"]] == [
        ("Thank you", None),
        ("Day before", "ana/intro"),
    ]
    assert data["webhooks"] == [
        {"url": "http://127.0.0.1:9/hooks", "events": ["invitee.created", "invitee.canceled"], "scope": "organization"}
    ]
    assert data["calendars"][0]["url"] == "http://127.0.0.1:9/ben.ics"
    assert [(t["kind"], t.get("event_type")) for t in data["email_templates"]] == [
        ("invitee_confirmed", None),
        ("reminder", "team/support/support-call"),
    ]


def test_loading_a_rich_file_twice_changes_nothing_the_second_time():
    load_text(RICH, now=NOW)
    before = export_text(Organization.objects.get(slug="acme"))
    counts = [
        m.objects.count() for m in (Rule, Reminder, WebhookSubscription, CalendarConnection, EmailTemplate, PoolHost)
    ]
    load_text(RICH, now=NOW)
    assert export_text(Organization.objects.get(slug="acme")) == before
    assert (
        [m.objects.count() for m in (Rule, Reminder, WebhookSubscription, CalendarConnection, EmailTemplate, PoolHost)]
        == counts
        == [1, 2, 1, 1, 2, 2]
    )


def test_load_emits_the_event_type_events_the_dashboard_does():
    seen = []

    def note(event, event_type, **_):
        seen.append((event.removeprefix("event_type."), event_type.slug))

    with subscribed("event_type.created", note), subscribed("event_type.updated", note):
        load_text(RICH, now=NOW)
        load_text(RICH, now=NOW)  # nothing changed: nothing to tell
        load_text(RICH.replace("name: Intro call", "name: First call"), now=NOW)
    assert seen == [("created", "intro"), ("created", "support-call"), ("updated", "intro")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "name: Ben's holidays}",
            "name: x, kind: caldav, password: hunter2}",
            "calendars[0].password: secrets are not written in the file; put it in an environment variable",
        ),
        (
            "events: [invitee.created, invitee.canceled]}",
            "events: [invitee.created], signing_key: abcdefgh123}",
            "webhooks[0].signing_key: secrets are not written in the file",
        ),
        (
            "name: Ben's holidays}",
            "name: x, kind: caldav, password_env: SLOTWISE_TEST_UNSET_PASSWORD}",
            "the environment variable SLOTWISE_TEST_UNSET_PASSWORD is not set",
        ),
    ],
)
def test_secrets_are_refused_inline_and_read_from_the_environment(old, new, expected):
    assert old in RICH
    with pytest.raises(LoadError) as err:
        load_text(RICH.replace(old, new, 1).replace("kind: ics, ", ""), now=NOW)
    assert expected in err.value.message
    assert not Organization.objects.exists()
