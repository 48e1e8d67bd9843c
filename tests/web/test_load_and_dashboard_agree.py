"""`slotwise load` and the dashboard refuse the same bad values in the same words: one set of rules, in the
services, whichever door. The load error adds only where in the file."""

import html
import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.accounts.models import Membership
from slotwise.automation.models import Rule
from slotwise.cli.orgfile import LoadError, load_text
from slotwise.notifications.models import Reminder
from slotwise.scheduling.models import EventType

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

EVENT_FORM = {
    "name": "Deep dive",
    "slug": "deep-dive",
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
    "questions_text": "",
}
HOURS_FORM = {
    "timezone": "Europe/Berlin",
    "mon": "09:00-17:00",
    "tue": "",
    "wed": "",
    "thu": "",
    "fri": "",
    "sat": "",
    "sun": "",
    "overrides": "",
}
RULE_FORM = {
    "name": "Copy support calls",
    "trigger": "booking.created",
    "action": "email",
    "to": "lead@acme.test",
    "undo_on_cancel": "on",
    "active": "on",
}
REMINDER_FORM = {
    "name": "Day before",
    "amount": "1",
    "unit": "days",
    "when": "before_start",
    "recipient": "invitee",
    "subject": "",
    "text": "",
    "active": "on",
}

FILE = """\
organization: {slug: acme, timezone: Europe/Berlin}
hosts:
  - {email: ana@acme.test, role: owner, timezone: Europe/Berlin, weekly: {mon: ["09:00-17:00"]}}
event_types:
  - {slug: deep-dive, host: ana@acme.test, name: Deep dive, duration: 45, increment: 15}
"""

# (what, the dashboard's form and its change, the file's change)
CASES = [
    ("duration", ("event", {"duration_minutes": "0"}), ("duration: 45", "duration: 0")),
    (
        "buffer before",
        ("event", {"buffer_before_minutes": "1441"}),
        ("increment: 15", "increment: 15, buffer_before: 1441"),
    ),
    ("buffer after", ("event", {"buffer_after_minutes": "-5"}), ("increment: 15", "increment: 15, buffer_after: -5")),
    ("increment", ("event", {"increment_minutes": "3"}), ("increment: 15", "increment: 3")),
    (
        "choice with one option",
        ("event", {"questions_text": "Topic | single_choice | optional | Only"}),
        ("increment: 15", "increment: 15, questions: [{label: Topic, type: single_choice, options: [Only]}]"),
    ),
    ("colour", ("event", {"color": "blue"}), ("increment: 15", "increment: 15, color: blue")),
    ("reserved slug", ("event", {"slug": "team"}), ("slug: deep-dive", "slug: team")),
    (
        "recurrence with too many meetings",
        ("event", {"recurrence": "weekly", "recurrence_count": "30"}),
        ("increment: 15", "increment: 15, recurrence: weekly, recurrence_count: 30"),
    ),
    (
        "recurrence that is not weekly",
        ("event", {"recurrence": "daily"}),
        ("increment: 15", "increment: 15, recurrence: daily"),
    ),
    ("weekly hours 25:00", ("hours", {"sat": "09:00-25:00"}), ('{mon: ["09:00-17:00"]}', '{sat: ["09:00-25:00"]}')),
    (
        "rule without a name",
        ("rule", {"name": ""}),
        ("", "rules:\n  - {trigger: booking.created, action: email, params: {to: [lead@acme.test]}}\n"),
    ),
    (
        "reminder offset out of range",
        ("reminder", {"amount": "61", "unit": "days"}),
        ("", "reminders:\n  - {name: Day before, offset: 87840, event_type: ana/deep-dive}\n"),
    ),
]


def _file(change: tuple[str, str]) -> str:
    old, new = change
    if not old:
        return FILE + new
    assert old in FILE
    return FILE.replace(old, new, 1)


def _load_words(text: str) -> str:
    with pytest.raises(LoadError) as err:
        load_text(text, source="acme.yaml", now=NOW)
    message = err.value.message
    m = re.fullmatch(r"acme\.yaml: line \d+: \w+\[\d+\] \([^)]*\): (.+)", message)
    assert m, f"the load error should be 'FILE: line N: section[i] (which): words', not {message!r}"
    return m.group(1)


def _dashboard_page(form_name: str, change: dict, acme) -> str:
    client = Client()
    client.force_login(acme["ana"].user)
    if form_name == "event":
        resp = client.post("/dashboard/event-types/new/", {**EVENT_FORM, **change})
    elif form_name == "hours":
        resp = client.post("/dashboard/availability/", {**HOURS_FORM, **change})
    elif form_name == "rule":
        resp = client.post("/dashboard/rules/new/", {**RULE_FORM, **change})
    else:
        resp = client.post(f"/dashboard/event-types/{acme['intro'].pk}/reminders/", {**REMINDER_FORM, **change})
    assert resp.status_code in (200, 400), resp.status_code
    return resp.content.decode()


@pytest.mark.parametrize(("what", "dashboard", "file_change"), CASES, ids=[c[0] for c in CASES])
def test_load_and_the_dashboard_refuse_a_bad_value_with_the_same_message(acme, frozen, what, dashboard, file_change):
    Membership.objects.filter(pk=acme["ana"].pk).update(role="owner")
    words = _load_words(_file(file_change))
    assert not re.search(r"\w+_\w+:|\[\d\]", words), f"{what}: a field path in {words!r}"
    page = _dashboard_page(*dashboard, acme)
    assert html.escape(words) in page, f"{what}: the dashboard does not say {words!r}"
    assert not EventType.objects.filter(slug__in=("deep-dive", "team")).exists()
    assert not Rule.objects.exists() and not Reminder.objects.exists()
