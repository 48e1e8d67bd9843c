"""The one parser for instants, dates and months that come from outside (API, booking pages, CLI, load
files). Every door calls these, so every door accepts and refuses the same text with the same message.

Accepted:
- an instant: ISO 8601 / RFC 3339 date and time with Z or an offset, e.g. `2026-12-29T09:00:00Z`,
  `2026-12-29T09:00+14:00`, `2026-12-29T09:00:00.5-11:00`. Seconds and fractions are optional; `T` may be
  a space (RFC 3339 allows it) and the offset may omit its colon (`+0530`). Offsets run to ±14:00, the widest
  any zone uses (Pacific/Kiritimati). A time without an offset is refused: it would be read in some server
  zone, which is exactly the mistake Slotwise exists to avoid.
- a date `YYYY-MM-DD`, a month `YYYY-MM`.

Years: any four-digit year in [MIN_YEAR, MAX_YEAR]. Python's datetime ends at 0001-01-01 and 9999-12-31;
the code above us adds days, months and offsets to what it parses (the next month of a calendar, the week
around a day, a local day's UTC range) and the engine reads each zone's rules a year past the last instant,
so the years at each end are refused here with a message instead of overflowing into a 500 later.
"""

import re
from datetime import UTC, date, datetime, timedelta, timezone

from .errors import InvalidInput

MIN_YEAR, MAX_YEAR = 2, 9997
MAX_OFFSET = timedelta(hours=14)

INSTANT_EXAMPLE = "2026-12-29T09:00:00Z"
DATE_EXAMPLE = "2026-12-29"
MONTH_EXAMPLE = "2026-12"

_INSTANT = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt ](?P<h>\d{2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?P<tz>[Zz]|(?P<sign>[+-])(?P<oh>\d{2}):?(?P<om>\d{2}))"
)
_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?")
_DATE = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})")
_MONTH = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{2})")


def _shown(text) -> str:
    """The input as the message quotes it: short, and printable even when it is not."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _refuse(field: str, value: str, expected: str, why: str = "") -> InvalidInput:
    """One message shape for every refusal: what was given, what is expected, and why it is not that."""
    return InvalidInput(f"{field}: {_shown(value)} is not {expected}" + (f" ({why})" if why else ""), field=field)


def _text(text, *, field: str, expected: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"{field}: missing; give {expected}", field=field)
    return text.strip()


def _year(year: int, *, field: str, value: str, expected: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _refuse(field, value, expected, f"Slotwise schedules in the years {MIN_YEAR:04d} to {MAX_YEAR}")


def _calendar_date(m: re.Match, *, field: str, value: str, expected: str) -> date:
    year, month, day = int(m["y"]), int(m["mo"]), int(m["d"])
    _year(year, field=field, value=value, expected=expected)
    if not 1 <= month <= 12:
        raise _refuse(field, value, expected, f"there is no month {month:02d}")
    try:
        return date(year, month, day)
    except ValueError:
        raise _refuse(field, value, expected, f"{year:04d}-{month:02d} has no day {day:02d}") from None


def parse_instant(text, *, field: str) -> datetime:
    """An instant with Z or an offset, as an aware datetime in UTC."""
    expected = f"an ISO 8601 instant such as {INSTANT_EXAMPLE} or 2026-12-29T09:00:00+01:00"
    value = _text(text, field=field, expected=expected)
    m = _INSTANT.fullmatch(value)
    if m is None:
        if _LOCAL.fullmatch(value):
            raise _refuse(field, value, expected, "it has no UTC offset; add Z or an offset such as +01:00")
        raise _refuse(field, value, expected)
    day = _calendar_date(m, field=field, value=value, expected=expected)
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        # 24:00 and leap seconds are ISO forms no calendar stores; say which part is out of range.
        raise _refuse(field, value, expected, "hours run 00-23, minutes and seconds 00-59")
    micro = int((m["f"] or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if m["sign"]:
        oh, om = int(m["oh"]), int(m["om"])
        offset = timedelta(hours=oh, minutes=om)
        if om > 59 or offset > MAX_OFFSET:
            raise _refuse(field, value, expected, "offsets run from -14:00 to +14:00")
        if m["sign"] == "-":
            offset = -offset
    local = datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=timezone(offset))
    # The UTC instant can leave the year range where the wall clock did not (9997-12-31T23:00-14:00).
    instant = local.astimezone(UTC)
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise _refuse(field, value, expected, f"in UTC it falls outside the years {MIN_YEAR:04d} to {MAX_YEAR}")
    return instant


def parse_date(text, *, field: str) -> date:
    """A calendar date `YYYY-MM-DD`."""
    expected = f"a date such as {DATE_EXAMPLE}"
    value = _text(text, field=field, expected=expected)
    m = _DATE.fullmatch(value)
    if m is None:
        raise _refuse(field, value, expected)
    return _calendar_date(m, field=field, value=value, expected=expected)


def parse_month(text, *, field: str) -> date:
    """A month `YYYY-MM`, as the first day of that month."""
    expected = f"a month such as {MONTH_EXAMPLE}"
    value = _text(text, field=field, expected=expected)
    m = _MONTH.fullmatch(value)
    if m is None:
        raise _refuse(field, value, expected)
    year, month = int(m["y"]), int(m["mo"])
    _year(year, field=field, value=value, expected=expected)
    if not 1 <= month <= 12:
        raise _refuse(field, value, expected, f"there is no month {month:02d}")
    return date(year, month, 1)
