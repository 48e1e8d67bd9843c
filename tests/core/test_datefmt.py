"""The one formatter: CLDR patterns per locale (date order, names, 12/24 h), for pages and emails alike."""

from datetime import UTC, date, datetime

import pytest

from slotwise.core.datefmt import default_clock, format_day, format_instant, format_range, weekday_names

T = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)  # Monday 15:05 in Berlin


@pytest.mark.parametrize(
    ("locale", "long", "short", "day"),
    [
        ("en", "Monday, March 2, 2026, 3:05 PM", "Mon, Mar 2, 2026, 3:05 PM", "Monday, March 2"),
        ("de", "Montag, 2. März 2026, 15:05", "Mo., 2. März 2026, 15:05", "Montag, 2. März"),
        ("fr", "lundi 2 mars 2026, 15:05", "lun. 2 mars 2026, 15:05", "lundi 2 mars"),
        ("es", "lunes, 2 de marzo de 2026, 15:05", "lun, 2 mar 2026, 15:05", "lunes, 2 de marzo"),
        (
            "pt_BR",
            "segunda-feira, 2 de março de 2026 15:05",
            "seg., 2 de mar. de 2026 15:05",
            "segunda-feira, 2 de março",
        ),
        ("ja", "2026年3月2日月曜日 15:05", "2026年3月2日(月) 15:05", "3月2日月曜日"),
    ],
)
def test_each_locale_writes_its_own_date_order_names_and_clock(locale, long, short, day):
    assert format_instant(T, "Europe/Berlin", locale, form="long") == long
    assert format_instant(T, "Europe/Berlin", locale, form="short") == short
    assert format_instant(T, "Europe/Berlin", locale, form="day") == day
    assert format_day(date(2026, 3, 2), locale, form="day") == day


@pytest.mark.parametrize(
    ("locale", "twelve", "twentyfour", "habit"),
    [
        ("en", "3:05 PM", "15:05", "12"),
        ("de", "3:05\u202fPM", "15:05", "24"),  # CLDR's narrow no-break space
        ("es", "3:05\u202fp.\u202fm.", "15:05", "24"),
        ("ja", "午後3:05", "15:05", "24"),
        ("pt-BR", "3:05\u202fPM", "15:05", "24"),
    ],
)
def test_twelve_and_twentyfour_hours_in_each_locale(locale, twelve, twentyfour, habit):
    assert format_instant(T, "Europe/Berlin", locale, form="time", clock="12") == twelve
    assert format_instant(T, "Europe/Berlin", locale, form="time", clock="24") == twentyfour
    assert default_clock(locale) == habit


def test_the_same_instant_is_read_in_the_zone_given():
    assert format_instant(T, "Asia/Kathmandu", "en", form="long") == "Monday, March 2, 2026, 7:50 PM"
    assert format_instant(T, "Pacific/Kiritimati", "en", form="date") == "Tuesday, March 3, 2026"  # UTC+14
    assert format_instant(T, "Asia/Kathmandu", "en", form="offset") == "GMT+05:45"
    assert format_instant(T, "Asia/Kathmandu", "fr", form="offset") == "UTC+05:45"


def test_weekday_and_month_names():
    assert format_instant(T, "UTC", "de", form="weekday") == "Montag"
    assert format_instant(T, "UTC", "ja", form="month") == "2026年3月"
    assert format_day(date(2026, 3, 1), "es", form="month") == "marzo de 2026"
    assert weekday_names("en") == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert weekday_names("ja")[0] == "月"


def test_a_range_repeats_the_date_only_when_the_end_is_another_day():
    end = T.replace(hour=14, minute=35)
    assert format_range(T, end, "Europe/Berlin", "en") == "Monday, March 2, 2026, 3:05 PM – 3:35 PM"
    late = datetime(2026, 3, 2, 22, 45, tzinfo=UTC)
    assert (
        format_range(late, late.replace(hour=23, minute=30), "Europe/Berlin", "de")
        == "Montag, 2. März 2026, 23:45 – Dienstag, 3. März 2026, 00:30"
    )


def test_an_unknown_locale_is_english_and_an_unknown_form_an_error():
    assert format_instant(T, "UTC", "xx_YY", form="time") == "2:05 PM"
    with pytest.raises(ValueError):
        format_instant(T, "UTC", "en", form="fancy")
