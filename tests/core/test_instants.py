"""The one parser for instants, dates and months from outside: every real calendar day is accepted, every
offset a zone uses, and everything else is refused with a message that names the field and the form."""

from datetime import UTC, date, datetime, timedelta

import pytest

from slotwise.core.errors import InvalidInput
from slotwise.core.instants import parse_date, parse_instant, parse_month

DAYS_2028 = [date(2028, 1, 1) + timedelta(days=n) for n in range(366)]  # a leap year: Feb 29 included


def test_all_366_days_of_2028_parse_as_instants_dates_and_months():
    assert len(DAYS_2028) == 366 and date(2028, 2, 29) in DAYS_2028 and DAYS_2028[-1] == date(2028, 12, 31)
    for d in DAYS_2028:
        utc = datetime(d.year, d.month, d.day, 9, 30, tzinfo=UTC)
        assert parse_instant(f"{d.isoformat()}T09:30:00Z", field="start_time") == utc
        assert parse_instant(f"{d.isoformat()}T09:30:00.000000Z", field="start_time") == utc
        assert parse_instant(f"{d.isoformat()}T23:30+14:00", field="start_time") == utc
        assert parse_instant(f"{d.isoformat()}T09:30:00-11:00", field="start_time") == utc + timedelta(hours=11)
        assert parse_date(d.isoformat(), field="date") == d
        assert parse_month(f"{d:%Y-%m}", field="month") == d.replace(day=1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-29T09:00:00Z", datetime(2026, 12, 29, 9, tzinfo=UTC)),
        ("2026-12-31T23:59:59.999999Z", datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-12-31T10:00:00+14:00", datetime(2026, 12, 30, 20, tzinfo=UTC)),  # Pacific/Kiritimati
        ("2026-12-31T10:00:00-14:00", datetime(2027, 1, 1, 0, tzinfo=UTC)),
        ("2026-12-31T10:00-11:00", datetime(2026, 12, 31, 21, tzinfo=UTC)),  # Pacific/Pago_Pago, no seconds
        ("2026-03-09T14:00:00+0530", datetime(2026, 3, 9, 8, 30, tzinfo=UTC)),  # basic-format offset
        ("2026-03-09 14:00:00Z", datetime(2026, 3, 9, 14, tzinfo=UTC)),  # RFC 3339 allows a space
        ("2026-03-09t14:00:00z", datetime(2026, 3, 9, 14, tzinfo=UTC)),
        ("  2026-03-09T14:00:00Z ", datetime(2026, 3, 9, 14, tzinfo=UTC)),
        ("2024-02-29T12:00:00+01:00", datetime(2024, 2, 29, 11, tzinfo=UTC)),
        ("1999-12-31T23:00:00Z", datetime(1999, 12, 31, 23, tzinfo=UTC)),  # any four-digit year, not only 20xx
        ("9997-12-31T09:00:00Z", datetime(9997, 12, 31, 9, tzinfo=UTC)),
        ("0002-01-01T09:00:00Z", datetime(2, 1, 1, 9, tzinfo=UTC)),
    ],
)
def test_instants_accepted(text, expected):
    got = parse_instant(text, field="start_time")
    assert got == expected and got.tzinfo is UTC


@pytest.mark.parametrize(
    "text, why",
    [
        ("2026-12-29T09:00:00", "has no UTC offset"),
        ("2026-12-29", "is not an ISO 8601 instant"),
        ("tomorrow", "is not an ISO 8601 instant"),
        ("", "missing"),
        ("2027-02-29T09:00:00Z", "2027-02 has no day 29"),
        ("2026-04-31T09:00:00Z", "2026-04 has no day 31"),
        ("2026-13-01T09:00:00Z", "there is no month 13"),
        ("2026-12-29T24:00:00Z", "hours run 00-23"),
        ("2026-12-29T09:60:00Z", "minutes and seconds 00-59"),
        ("2026-12-29T09:00:60Z", "minutes and seconds 00-59"),
        ("2026-12-29T09:00:00+14:01", "offsets run from -14:00 to +14:00"),
        ("2026-12-29T09:00:00+15:00", "offsets run from -14:00 to +14:00"),
        ("2026-12-29T09:00:00+01:75", "offsets run from -14:00 to +14:00"),
        ("9999-12-31T09:00:00Z", "the years 0002 to 9997"),
        ("0001-01-01T09:00:00Z", "the years 0002 to 9997"),
        ("9997-12-31T23:00:00-14:00", "in UTC it falls outside the years 0002 to 9997"),
        ("0000-01-01T00:00:00Z", "the years 0002 to 9997"),
        ("+12026-01-01T00:00:00Z", "is not an ISO 8601 instant"),
        ("2026-W01-1T09:00:00Z", "is not an ISO 8601 instant"),
    ],
)
def test_instants_refused_with_the_field_the_form_and_the_reason(text, why):
    with pytest.raises(InvalidInput) as err:
        parse_instant(text, field="start_time")
    assert err.value.field == "start_time"
    assert err.value.message.startswith("start_time: ")
    assert why in err.value.message
    if text:
        assert "such as 2026-12-29T09:00:00Z" in err.value.message


@pytest.mark.parametrize(
    "text, why",
    [
        ("2026-02-29", "2026-02 has no day 29"),
        ("2026-00-10", "there is no month 00"),
        ("9999-12-31", "0002 to 9997"),
        ("0001-01-01", "0002 to 9997"),
        ("2026-1-5", "is not a date"),
        ("20261229", "is not a date"),
    ],
)
def test_dates_refused(text, why):
    with pytest.raises(InvalidInput) as err:
        parse_date(text, field="date")
    assert err.value.message.startswith("date: ") and why in err.value.message
    assert "such as 2026-12-29" in err.value.message


@pytest.mark.parametrize(
    "text, why",
    [
        ("9999-12", "0002 to 9997"),
        ("0001-01", "0002 to 9997"),
        ("2026-13", "there is no month 13"),
        ("2026-3", "is not a month"),
        ("2026-03-01", "is not a month"),
    ],
)
def test_months_refused(text, why):
    with pytest.raises(InvalidInput) as err:
        parse_month(text, field="month")
    assert err.value.message.startswith("month: ") and why in err.value.message
