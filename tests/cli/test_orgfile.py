"""`slotwise load`: an organization from a file, with errors that name the line and the key."""

from datetime import UTC, date, datetime

import pytest

from slotwise.accounts.models import Membership, Organization, Team, User
from slotwise.cli.orgfile import LoadError, load_text
from slotwise.scheduling.models import AvailabilitySchedule, BusyBlock, DateOverride, EventType, PoolHost

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

GOOD = """\
organization:
  slug: acme
  name: Acme
  timezone: Europe/Berlin
hosts:
  - email: Ana@Acme.test
    name: Ana
    role: owner
    timezone: Europe/Berlin
    weekly:
      mon: ["09:00-12:00", "13:00-17:00"]
      fri: [["09:00", "24:00"]]
    overrides:
      2026-12-24: []
      2026-12-23: ["10:00-14:00"]
    busy:
      - ["2026-03-03T10:00:00Z", "2026-03-03T11:00:00Z"]
      - {start: "2026-03-04T10:00:00+01:00", end: "2026-03-04T11:30:00+01:00", label: Dentist}
  - email: ben@acme.test
    timezone: America/New_York
teams:
  - slug: support
    members: [ana@acme.test, ben@acme.test]
event_types:
  - slug: intro
    host: ana@acme.test
    name: Intro
    durations: [15, 60]
    increment: 15
    buffer_before: 5
    buffer_after: 10
    min_notice: 120
    window: {rolling_days: 30}
    daily_limit: 4
    location: {kind: phone, value: "+49 30 1234"}
    questions:
      - {key: topic, label: Topic, type: single_choice, options: [A, B], required: true}
  - slug: rr
    team: support
    name: Support call
    kind: round_robin
    window: {from: 2026-03-01, to: 2026-06-30}
    distribution: equal
    pool: [{host: ana@acme.test, priority: 4}, ben@acme.test]
  - slug: office
    host: ben@acme.test
    name: Office hours
    kind: group
    seats: 8
    window: unlimited
"""


def test_a_full_file_creates_everything():
    assert load_text(GOOD, now=NOW) == {"organization": "acme", "hosts": 2, "teams": 1, "event_types": 3, "busy": 2}
    ana = Membership.objects.get(organization__slug="acme", user__email="ana@acme.test")
    assert ana.slug == "ana"
    s = AvailabilitySchedule.objects.get(owner=ana, is_default=True)
    assert s.timezone == "Europe/Berlin"
    assert {d: r for d, r in s.weekly.items() if r} == {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "fri": [["09:00", "24:00"]],
    }
    assert {(o.date, tuple(map(tuple, o.intervals))) for o in DateOverride.objects.filter(schedule=s)} == {
        (date(2026, 12, 24), ()),
        (date(2026, 12, 23), (("10:00", "14:00"),)),
    }
    assert sorted((b.start, b.end, b.label) for b in BusyBlock.objects.filter(membership=ana)) == [
        (datetime(2026, 3, 3, 10, tzinfo=UTC), datetime(2026, 3, 3, 11, tzinfo=UTC), ""),
        (datetime(2026, 3, 4, 9, tzinfo=UTC), datetime(2026, 3, 4, 10, 30, tzinfo=UTC), "Dentist"),
    ]
    intro = EventType.objects.get(slug="intro")
    assert (
        intro.duration_minutes,
        intro.duration_options,
        intro.increment_minutes,
        intro.buffer_before_minutes,
        intro.buffer_after_minutes,
        intro.min_notice_minutes,
        intro.window_kind,
        intro.window_days,
        intro.daily_limit,
        intro.location_kind,
        intro.location_value,
    ) == (30, [15, 60], 15, 5, 10, 120, "rolling", 30, 4, "phone", "+49 30 1234")
    rr = EventType.objects.get(slug="rr")
    assert (rr.kind, rr.window_start, rr.window_end, rr.distribution) == (
        "round_robin",
        date(2026, 3, 1),
        date(2026, 6, 30),
        "equal",
    )
    assert sorted(PoolHost.objects.filter(event_type=rr).values_list("membership__slug", "priority")) == [
        ("ana", 4),
        ("ben", 2),
    ]
    assert EventType.objects.get(slug="office").seats == 8


def test_loading_twice_updates_in_place():
    load_text(GOOD, now=NOW)
    load_text(GOOD.replace("name: Intro\n", "name: Intro call\n"), now=NOW)
    assert Organization.objects.count() == 1 and User.objects.count() == 2 and Team.objects.count() == 1
    assert EventType.objects.count() == 3 and BusyBlock.objects.count() == 2
    assert EventType.objects.get(slug="intro").name == "Intro call"


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            ("    durations: [15, 60]\n", "    durations: [15, 60]\n    colour: red\n"),
            "line 29: event_types[0].colour: unknown key",
        ),
        (("timezone: America/New_York", "timezone: America/Gotham"), "line 20: hosts[1].timezone: unknown time zone"),
        (
            ('"13:00-17:00"', '"13:00-11:00"'),
            "line 11: hosts[0] (ana@acme.test): Monday: '13:00-11:00' ends before it starts",
        ),
        (
            ('"13:00-17:00"', '"11:00-17:00"'),
            "hosts[0] (ana@acme.test): Monday: the ranges 09:00-12:00 and 11:00-17:00 overlap",
        ),
        (
            ("increment: 15", "increment: 3"),
            "line 29: event_types[0] (slug intro): The start-time increment must be between 5 and 720 minutes",
        ),
        (('"2026-03-03T11:00:00Z"]', '"2026-03-03T09:00:00Z"]'), "line 17: hosts[0].busy[0]: ends before it starts"),
        (('["2026-03-03T10:00:00Z"', '["2026-03-03 10:00"'), "hosts[0].busy[0][0]"),
        (
            ("2026-12-24: []", "2026-13-24: []"),
            "line 14: hosts[0] (ana@acme.test): Date override: '2026-13-24' is not a date",
        ),
        (
            ("    members: [ana@acme.test, ben@acme.test]", "    members: [ana@acme.test, cy@acme.test]"),
            "line 23: teams[0].members[1]: 'cy@acme.test' is not a host of acme",
        ),
        (
            ("    kind: group\n    seats: 8", "    seats: 8"),
            "line 48: event_types[2] (slug office): Only group events have more than one seat",
        ),
        (
            ("  - slug: rr\n    team: support", "  - slug: rr\n    host: ana@acme.test"),
            "event_types[1] (slug rr): Round robin events belong to a team",
        ),
        (
            ("type: single_choice, options: [A, B]", "type: single_choice"),
            "line 37: event_types[0] (slug intro): Question 1 is a choice question and needs at least two options",
        ),
        (("slug: acme", "slug: Acme Corp"), "line 2: organization.slug: 'Acme Corp' is not a slug"),
        (("  name: Acme\n", "  name: Acme\n  name: Acme2\n"), "line 4: key 'name' appears twice"),
        (("hosts:", "hosts: {"), "not valid YAML/JSON"),
    ],
)
def test_a_bad_file_names_the_line_and_key_and_writes_nothing(change, expected):
    refused(GOOD, change, expected)


def refused(document: str, change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in document
    with pytest.raises(LoadError) as err:
        load_text(document.replace(old, new, 1), source="acme.yaml", now=NOW)
    assert expected in err.value.message
    assert err.value.message.startswith("acme.yaml: ")
    assert Organization.objects.count() == 0 and User.objects.count() == 0 and EventType.objects.count() == 0


def test_json_files_load_too_with_line_numbers():
    text = '{\n  "organization": {"slug": "j"},\n  "hosts": [\n    {"email": "a@j.test", "timezone": "Mars"}\n  ]\n}'
    with pytest.raises(LoadError, match=r"line 4: hosts\[0\].timezone"):
        load_text(text, now=NOW)
    load_text(text.replace("Mars", "Asia/Tokyo"), now=NOW)
    assert Membership.objects.get(organization__slug="j").slug == "a"


def test_load_file_with_nul_or_line_breaks_in_a_name_is_refused_with_the_line(db):
    for bad in ('"Ana\\u0000"', '"Ana\\r\\nBcc: x@example.com"', '"Ana\\u0007"'):
        with pytest.raises(LoadError) as err:
            load_text(GOOD.replace("    name: Ana\n", f"    name: {bad}\n", 1), now=NOW)
        assert "hosts[0].name: must not contain" in err.value.message, err.value.message
    assert not Organization.objects.exists()


LANGUAGES = GOOD.replace(
    """    questions:
      - {key: topic, label: Topic, type: single_choice, options: [A, B], required: true}
""",
    """    questions:
      - {key: topic, label: Topic, type: single_choice, options: [A, B], required: true}
    language: en
    translations:
      de:
        name: Kennenlernen
        description: Wir sprechen über Ihr Projekt.
        questions: {topic: {label: Thema, options: [Eins, Zwei]}}
      ja: {name: はじめての打ち合わせ}
""",
    1,
)


def test_an_event_types_texts_in_other_languages_load():
    load_text(LANGUAGES, source="acme.yaml", now=NOW)
    intro = EventType.objects.get(slug="intro")
    assert intro.default_language == "en"
    assert intro.translations == {
        "de": {
            "name": "Kennenlernen",
            "description": "Wir sprechen über Ihr Projekt.",
            "questions": {"topic": {"label": "Thema", "options": ["Eins", "Zwei"]}},
        },
        "ja": {"name": "はじめての打ち合わせ"},
    }


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            ("    language: en", "    language: klingon"),
            "line 38: event_types[0] (slug intro): Default language: 'klingon' is not a language Slotwise offers; use one of en (English)",
        ),
        (
            ("      ja: {name: はじめての打ち合わせ}", "      xx: {name: x}"),
            "line 40: event_types[0] (slug intro): Translations: 'xx' is not a language Slotwise offers",
        ),
        (
            ("options: [Eins, Zwei]", "options: [Eins, Zwei, Drei]"),
            "line 40: event_types[0] (slug intro): Topic in Deutsch: 3 options given, the question has 2",
        ),
        (
            ("    language: en", "    language: de"),
            "line 40: event_types[0] (slug intro): Translations: Deutsch is the event type's own language",
        ),
    ],
)
def test_bad_translations_name_the_line_and_write_nothing(change, expected):
    refused(LANGUAGES, change, expected)


def test_a_file_sets_approval_and_guests_and_refuses_bad_values_by_line():
    text = GOOD.replace(
        "    daily_limit: 4\n",
        "    daily_limit: 4\n    requires_confirmation: true\n    confirmation_hold_hours: 6\n    max_guests: 2\n",
        1,
    )
    load_text(text, now=NOW)
    intro = EventType.objects.get(slug="intro")
    assert (intro.requires_confirmation, intro.confirmation_hold_hours, intro.max_guests) == (True, 6, 2)
    with pytest.raises(
        LoadError, match=r"event_types\[0\] \(slug intro\): The time a request waits for approval must be"
    ):
        load_text(text.replace("confirmation_hold_hours: 6", "confirmation_hold_hours: 0"), now=NOW)
    with pytest.raises(LoadError, match=r"event_types\[0\] \(slug intro\): Guests must be between 0 and 50"):
        load_text(text.replace("max_guests: 2", "max_guests: lots"), now=NOW)
    # a group event cannot wait for approval: the service's words, on the event's line
    group = GOOD.replace("    seats: 8\n", "    seats: 8\n    requires_confirmation: true\n", 1)
    with pytest.raises(LoadError, match="Group events cannot wait for approval"):
        load_text(group.replace("slug: acme", "slug: acme2", 1), now=NOW)


def test_a_file_sets_recurrence_exports_it_back_and_refuses_bad_values_by_line():
    from slotwise.cli.orgexport import export_data

    text = GOOD.replace(
        "    daily_limit: 4\n",
        "    daily_limit: 4\n    recurrence: biweekly\n    recurrence_count: 6\n    recurrence_partial: true\n",
        1,
    )
    load_text(text, now=NOW)
    intro = EventType.objects.get(slug="intro")
    assert (intro.recurrence, intro.recurrence_count, intro.recurrence_partial) == ("biweekly", 6, True)
    exported = next(e for e in export_data(intro.organization)["event_types"] if e["slug"] == "intro")
    assert (exported["recurrence"], exported["recurrence_count"], exported["recurrence_partial"]) == (
        "biweekly",
        6,
        True,
    )
    for change, message in (
        (("recurrence: biweekly", "recurrence: daily"), "The recurrence must be none, weekly or biweekly, not 'daily'"),
        (
            ("recurrence_count: 6", "recurrence_count: 30"),
            "The number of meetings in a series must be between 2 and 24",
        ),
        (("recurrence_count: 6", "recurrence_count: 1"), "The number of meetings in a series must be between 2 and 24"),
    ):
        with pytest.raises(LoadError, match=rf"event_types\[0\] \(slug intro\): {message}"):
            load_text(text.replace(*change), now=NOW)
    load_text(text.replace("recurrence: biweekly", "recurrence: none"), now=NOW)
    assert EventType.objects.get(slug="intro").recurrence == ""
