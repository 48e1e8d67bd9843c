"""One formatter for every date and time a person reads: booking pages, the dashboard and emails.

Patterns come from CLDR through Babel for the reader's locale (date order, weekday and month names,
12/24 h), never from strftime, so a page and the email about the same booking say the same thing.
An instant is always given with the IANA zone it is to be read in.

    format_instant(instant, "Europe/Berlin", "de", form="long", clock="24")
    -> "Montag, 2. März 2026, 15:05"
"""

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, get_timezone_gmt, match_skeleton

DEFAULT_LOCALE = "en"

# form -> CLDR skeleton (the locale turns it into its own pattern and order)
_DATE_SKELETONS = {
    "date": None,  # the locale's full date: "Monday, March 2, 2026", "2026年3月2日月曜日"
    "day": "MMMMEEEEd",  # "Monday, March 2", "Montag, 2. März"
    "short_day": "MMMEd",  # "Mon, Mar 2"
    "short_date": "yMMMEd",  # "Mon, Mar 2, 2026"
    "weekday": "EEEE",  # "Monday"
    "month": "yMMMM",  # "March 2026"
}
FORMS = ("long", "short", "time", "offset", *_DATE_SKELETONS)


@lru_cache(maxsize=64)
def locale_for(name: str | None) -> Locale:
    """A Babel locale for "pt-BR", "pt_BR", "de"; English for anything Babel does not know."""
    try:
        return Locale.parse((name or DEFAULT_LOCALE).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


def default_clock(locale: str | None) -> str:
    """'12' or '24': the locale's own habit (en: 12, de/fr/ja: 24)."""
    pattern = locale_for(locale).time_formats["short"].pattern
    return "12" if "h" in pattern or "K" in pattern else "24"


def _clock(clock: str | None, locale: str | None) -> str:
    return clock if clock in ("12", "24") else default_clock(locale)


def format_instant(
    instant: datetime, zone: str, locale: str | None = DEFAULT_LOCALE, *, form: str = "long", clock: str | None = None
) -> str:
    """`instant` (aware) as read in `zone` by a reader of `locale`.

    forms: long ("Monday, March 2, 2026, 3:05 PM"), short ("Mon, Mar 2, 2026, 3:05 PM"), time ("3:05 PM"),
    date, day, short_day, short_date, weekday, month (see _DATE_SKELETONS), offset ("GMT+05:45").
    clock: "12" or "24"; None is the locale's habit.
    """
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; one of {', '.join(FORMS)}")
    loc = locale_for(locale)
    tz = ZoneInfo(zone)
    if form == "offset":
        return get_timezone_gmt(instant.astimezone(tz), locale=loc)
    if form == "time":
        return _time(instant, tz, loc, _clock(clock, locale))
    if form in ("long", "short"):
        day = _date(instant.astimezone(tz).date(), loc, "date" if form == "long" else "short_date")
        pattern = str(loc.datetime_formats["full" if form == "long" else "medium"])
        return pattern.replace("{1}", day).replace("{0}", _time(instant, tz, loc, _clock(clock, locale)))
    return _date(instant.astimezone(tz).date(), loc, form)


def format_day(day: date, locale: str | None = DEFAULT_LOCALE, *, form: str = "day") -> str:
    """A calendar date (no instant, no zone), e.g. the day picked on the booking page."""
    if form not in _DATE_SKELETONS:
        raise ValueError(f"unknown date form {form!r}; one of {', '.join(_DATE_SKELETONS)}")
    return _date(day, locale_for(locale), form)


def format_range(
    start: datetime, end: datetime, zone: str, locale: str | None = DEFAULT_LOCALE, *, clock: str | None = None
) -> str:
    """ "Monday, March 2, 2026, 10:00 AM – 10:30 AM"; the end's date is repeated when it is another day."""
    tz = ZoneInfo(zone)
    first = format_instant(start, zone, locale, form="long", clock=clock)
    if start.astimezone(tz).date() == end.astimezone(tz).date():
        until = format_instant(end, zone, locale, form="time", clock=clock)
    else:
        until = format_instant(end, zone, locale, form="long", clock=clock)
    return f"{first} – {until}"


def weekday_names(locale: str | None = DEFAULT_LOCALE) -> list[str]:
    """Abbreviated weekday names Monday first, for calendar headers."""
    days = locale_for(locale).days["stand-alone"]["abbreviated"]
    return [days[i] for i in range(7)]


def _time(instant: datetime, tz: ZoneInfo, loc: Locale, clock: str) -> str:
    # format_skeleton would match the skeleton against the locale's on every call (a booking page shows
    # dozens of times): the matched pattern is kept per locale by _pattern.
    return format_datetime(instant, _pattern("hm" if clock == "12" else "Hm", str(loc)), tzinfo=tz, locale=loc)


def _date(day: date, loc: Locale, form: str) -> str:
    skeleton = _DATE_SKELETONS[form]
    if skeleton is None:
        return format_date(day, "full", locale=loc)
    # noon UTC read in UTC: the calendar date itself, whatever Babel does with zones
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return format_datetime(noon, _pattern(skeleton, str(loc)), tzinfo=UTC, locale=loc)


@lru_cache(maxsize=256)
def _pattern(skeleton: str, locale: str) -> str:
    """The locale's pattern for a skeleton. Babel picks the nearest skeleton the locale has, but (unlike ICU)
    keeps that one's widths: "MMMMEEEEd" in English comes out as "Mon, Mar 2". Widen abbreviated weekday
    and month names back to what was asked, as ICU's DateTimePatternGenerator does; numeric fields and
    quoted literals stay as they are."""
    skeletons = locale_for(locale).datetime_skeletons
    pattern = (
        skeletons[skeleton].pattern if skeleton in skeletons else skeletons[match_skeleton(skeleton, skeletons)].pattern
    )
    want = {"E": skeleton.count("E"), "M": skeleton.count("M")}

    def widen(m):
        run = m.group(0)
        field = {"c": "E", "L": "M"}.get(run[0], run[0])
        is_name = field == "E" and (run[0] == "E" or len(run) == 3) or field == "M" and len(run) == 3
        return run[0] * 4 if is_name and want.get(field, 0) >= 4 and len(run) < 4 else run

    parts = re.split(r"('[^']*')", pattern)
    return "".join(p if p.startswith("'") else re.sub(r"([A-Za-z])\1*", widen, p) for p in parts)
