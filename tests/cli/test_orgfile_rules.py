"""`slotwise load` with limits, cut-offs, out of office, travel and seasonal hours: written through the
scheduling services, so a bad value gets the dashboard's words, with the file's line and key."""

from datetime import UTC, date, datetime

import pytest

from slotwise.cli.orgfile import LoadError, load_text
from slotwise.scheduling.models import AvailabilitySchedule, EventType, HostLimits, OutOfOffice, TravelStay

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

FILE = """\
organization:
  slug: acme
  week_start: sunday
hosts:
  - email: ana@acme.test
    timezone: Europe/Berlin
    weekly: {mon: ["09:00-17:00"]}
    daylight_weekly: {mon: ["08:00-16:00"]}
    limits: {day: 4, week_minutes: 600}
    out_of_office:
      - {from: 2026-03-10, to: 2026-03-12, reason: Holiday, redirect_to: ben@acme.test}
    travel:
      - {timezone: Asia/Tokyo, from: 2026-03-16, to: 2026-03-20}
  - email: ben@acme.test
    timezone: Europe/Berlin
event_types:
  - slug: intro
    host: ana@acme.test
    name: Intro
    limits: {week: 5, month: 12, day_minutes: 240}
    cutoff_hours: 24
"""


def test_rules_load_through_the_services_and_reload_in_place():
    for _ in range(2):
        load_text(FILE, now=NOW)
    et = EventType.objects.get(slug="intro")
    assert (et.weekly_limit, et.monthly_limit, et.daily_minutes_limit, et.cutoff_hours, et.organization.week_start) == (
        5,
        12,
        240,
        24,
        6,
    )
    limits = HostLimits.objects.get(membership__slug="ana")
    assert (limits.daily_limit, limits.weekly_minutes_limit) == (4, 600)
    away = OutOfOffice.objects.get()
    assert (away.first, away.last, away.reason, away.redirect_to.slug) == (
        date(2026, 3, 10),
        date(2026, 3, 12),
        "Holiday",
        "ben",
    )
    assert TravelStay.objects.get().timezone == "Asia/Tokyo"
    assert AvailabilitySchedule.objects.get(owner__slug="ana").weekly_daylight["mon"] == [["08:00", "16:00"]]


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            ("week: 5", "week: 0"),
            r"line 20: event_types\[0\] \(slug intro\): Bookings a week must be a whole number of bookings from 1 to 5000",
        ),
        (("to: 2026-03-12", "to: 2026-03-09"), r"hosts\[0\].out_of_office\[0\]: The last day is before the first"),
        (("Asia/Tokyo", "Asia/Atlantis"), r"hosts\[0\].travel\[0\].timezone"),
        (("week_start: sunday", "week_start: someday"), r"organization.week_start: 'someday' is not one of monday"),
        (("redirect_to: ben@acme.test", "redirect_to: cat@acme.test"), r"'cat@acme.test' is not a host here"),
    ],
)
def test_a_bad_rule_names_the_line_and_key_and_writes_nothing(change, expected):
    with pytest.raises(LoadError, match=expected):
        load_text(FILE.replace(*change), now=NOW)
    assert not EventType.objects.exists() and not OutOfOffice.objects.exists()
