"""The scheduling services the dashboard writes through (also used by `load` and the API)."""

from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from slotwise.bookings import links
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import InvalidInput
from slotwise.core.events import subscribed
from slotwise.scheduling import services
from slotwise.scheduling.models import EventType

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    seen = []
    with ExitStack() as listening:
        for name in ("event_type.created", "event_type.updated", "event_type.deleted"):
            listening.enter_context(
                subscribed(name, lambda event, **kw: seen.append((event, kw["event_type"].slug, kw["now"])))
            )
        yield seen


def test_services_take_keywords_only(acme, now):
    with pytest.raises(TypeError):
        services.event_type_create(acme["org"], {"name": "X"}, now)  # noqa


def test_create_update_delete_publish_their_events(acme, now, published):
    et = services.event_type_create(organization=acme["org"], owner=acme["ana"], values={"name": "Quick chat"}, now=now)
    assert (et.slug, et.duration_minutes, et.window_kind, et.window_days) == ("quick-chat", 30, "rolling", 60)
    services.event_type_update(event_type=et, values={"duration_minutes": 15, "duration_options": [30, 15]}, now=now)
    et.refresh_from_db()
    assert (et.duration_minutes, et.duration_options) == (15, [30])
    services.event_type_delete(event_type=et, now=now)
    assert not EventType.objects.filter(slug="quick-chat").exists()
    assert [e for e, *_ in published[-3:]] == ["event_type.created", "event_type.updated", "event_type.deleted"]


def test_delete_with_bookings_turns_the_event_type_off(acme, now):
    booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=now,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="UTC"),
    )
    services.event_type_delete(event_type=acme["intro"], now=now)
    acme["intro"].refresh_from_db()
    assert acme["intro"].active is False


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "x", "unknown": 1}, "unknown"),
        ({"name": "x", "slug": "team"}, "slug"),
        ({"name": "x", "seats": 3}, "seats"),
        ({"name": "x", "window_kind": "range", "window_start": "2026-03-10", "window_end": "2026-03-01"}, "window_end"),
        ({"name": "x", "duration_options": [0]}, "duration_options"),
        ({"name": "x", "questions": [{"label": "Plan", "type": "single_choice", "options": ["A"]}]}, "questions"),
        ({"name": "x", "questions": [{"label": "Email", "type": "text"}]}, "questions"),
    ],
)
def test_invalid_settings_name_their_field(acme, now, values, field):
    with pytest.raises(InvalidInput) as err:
        services.event_type_create(organization=acme["org"], owner=acme["ana"], values=values, now=now)
    assert err.value.field == field
    assert EventType.objects.count() == 1


def test_pool_and_single_use_link_guards(acme, now):
    with pytest.raises(InvalidInput, match="Only team events have a pool"):
        services.pool_set(event_type=acme["intro"], hosts=[(acme["ana"], 2)])
    acme["intro"].active = False
    acme["intro"].save()
    with pytest.raises(InvalidInput, match="turn it on before sharing a link"):
        links.link_create(event_type=acme["intro"], created_by=acme["ana"], now=now)


def test_an_override_without_a_date_is_refused_and_nothing_changes(acme):
    from slotwise.scheduling.selectors import default_schedule

    schedule = default_schedule(acme["ana"])
    with pytest.raises(InvalidInput, match="Each date override needs a date"):
        services.schedule_update(
            schedule=schedule, timezone="Europe/Berlin", weekly={"mon": []}, overrides={"": ["09:00-12:00"]}
        )
    schedule.refresh_from_db()
    assert schedule.weekly["mon"] == [["09:00", "17:00"]] and not schedule.overrides.exists()
