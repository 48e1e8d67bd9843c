"""Instants through the API: whatever `event_type_available_times` lists, `POST /invitees` accepts, on every
day of every month, in every offset a zone uses, written with Z or with an offset."""

import calendar
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.api.tokens import token_create
from slotwise.bookings.models import Booking
from slotwise.scheduling.models import AvailabilitySchedule
from slotwise.scheduling.selectors import local_range
from tests import factories
from tests.api.conftest import BASE, Api

pytestmark = pytest.mark.django_db

ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# Pacific/Kiritimati is UTC+14:00, Pacific/Pago_Pago UTC-11:00: together 25 hours of offset, so their days
# straddle two UTC dates. Lord Howe has a 30-minute DST shift; Kathmandu a +05:45 offset.
ZONES = [
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "UTC",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Europe/Berlin",
]
# The end of every month of a common and a leap year: days 28-31 wherever the month has them, Feb 29 2028.
MONTH_ENDS = [
    date(y, m, d) for y in (2027, 2028) for m in range(1, 13) for d in range(28, calendar.monthrange(y, m)[1] + 1)
]


def _z_form(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def _offset_form(instant: datetime, offset: timedelta) -> str:
    """The same instant as a wall time at `offset`, written ±HH:MM."""
    return instant.astimezone(timezone(offset)).isoformat(timespec="seconds")


class Rollback(Exception):
    pass


def _host_with_token(zone: str, now: datetime):
    org = factories.org()
    host = factories.host(org, tz=zone, weekly=ALL_DAY)
    et = factories.event_type(host, duration_minutes=30, increment_minutes=60)
    _, secret = token_create(membership=host, scope="write", now=now)
    return et, Api(secret)


def _listed(api: Api, et, day: date, zone: str) -> list[str]:
    lo, hi = local_range(day, day, zone)
    r = api.get(
        "/event_type_available_times",
        {"event_type": f"{BASE}/event_types/{et.uuid}", "start_time": _z_form(lo), "end_time": _z_form(hi)},
    )
    assert r.status_code == 200, r.content
    return [t["start_time"] for t in r.json()["collection"]]


def _book(api: Api, et, start_time: str, n: int = 0):
    return api.post(
        "/invitees",
        {
            "event_type": f"{BASE}/event_types/{et.uuid}",
            "start_time": start_time,
            "invitee": {"name": f"Ada {n}", "email": f"ada{n}@example.com", "timezone": "Europe/London"},
        },
    )


def test_api_accepts_instants_on_the_29th_30th_and_31st(now):
    """The API's instant regex allowed days 01-28 only (and years 20xx, offsets to ±13:59): POST /invitees
    refused 2026-12-29T09:00:00Z although event_type_available_times offered it."""
    et, api = _host_with_token("UTC", now)
    days = [
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 29),
        date(2027, 3, 31),
        date(2028, 2, 29),
        date(2099, 12, 31),
        date(2100, 1, 31),
    ]
    for n, day in enumerate(days):
        listed = _listed(api, et, day, "UTC")
        wanted = f"{day.isoformat()}T09:00:00.000000Z"
        assert wanted in listed, (day, listed[:3])
        r = _book(api, et, f"{day.isoformat()}T09:00:00Z", n)
        assert r.status_code == 201, (day, r.content)
    r = _book(api, et, "2026-12-30T23:00:00+14:00", 99)  # Kiritimati's wall clock: 09:00 UTC on the 30th
    assert r.status_code == 409 and r.json()["details"][0]["parameter"] == "start_time"  # taken above
    assert Booking.objects.filter(event_type=et).count() == len(days)


@pytest.fixture
def anyzone(now):
    """One host open around the clock and a write token; each example sets the host's zone (and rolls back)."""
    return _host_with_token("UTC", now)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(day=st.sampled_from(MONTH_ENDS), zone=st.sampled_from(ZONES), data=st.data())
def test_every_listed_instant_is_accepted_by_post_invitees(anyzone, day, zone, data):
    et, api = anyzone
    try:
        with transaction.atomic():
            AvailabilitySchedule.objects.filter(owner=et.owner).update(timezone=zone)
            listed = _listed(api, et, day, zone)
            assert listed, f"{zone} is open all day, so {day} lists times"
            chosen = data.draw(st.lists(st.sampled_from(listed), min_size=1, max_size=2, unique=True), label="starts")
            for n, start_time in enumerate(chosen):
                instant = datetime.fromisoformat(start_time)
                host_offset = instant.astimezone(ZoneInfo(zone)).utcoffset()
                any_offset = timedelta(minutes=15 * data.draw(st.integers(-56, 56), label="offset quarters"))
                written = data.draw(
                    st.sampled_from(
                        [
                            _z_form(instant),
                            start_time,
                            _offset_form(instant, host_offset),
                            _offset_form(instant, any_offset),
                        ]
                    ),
                    label="written as",
                )
                r = _book(api, et, written, n)
                assert r.status_code == 201, (written, r.content)
                event = r.json()["resource"]["event"].rsplit("/", 1)[1]
                assert Booking.objects.get(uid=event).start == instant
            raise Rollback
    except Rollback:
        pass
