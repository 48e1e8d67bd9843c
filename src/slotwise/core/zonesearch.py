"""Finding a time zone the way people name it: a city, a country, a common name, an abbreviation, an offset.

    search("Nepal", locale="en", now=now)         -> [Asia/Kathmandu]
    search("Pacific Time", ...)                     -> [America/Los_Angeles, America/Vancouver, ...]
    search("GMT+5:45", ...)                         -> [Asia/Kathmandu]  (the offset now)
    canonical_zone("Asia/Calcutta")                 -> "Asia/Kolkata"

Names, cities and countries are CLDR's (Babel), in the reader's locale and in English; the zones are
tzdata's zone.tab (one entry per place people live) plus UTC; legacy and ICU ids (US/Pacific,
Asia/Katmandu, the ids Chromium reports) map to those through CLDR's aliases and tzdata's links.
The index is built once per process and locale; `now` is passed in for offsets and local times.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import tzdata
from babel.core import get_global
from babel.dates import get_timezone_location, get_timezone_name

from .datefmt import format_instant, locale_for

UTC = "UTC"
LIMIT = 12
# The languages an index is built for (a third of a second each, kept per process); any other asks in
# English. A query string must not make the server build an index per locale Babel knows.
INDEX_LANGUAGES = ("en", "de", "fr", "es", "pt", "ja")
# Extra English variants whose CLDR short names are the abbreviations people use there (IST in India,
# AEST in Australia, BST in Britain); English itself has only the North American ones.
_ABBREVIATION_LOCALES = ("en", "en_IN", "en_GB", "en_AU", "en_CA", "en_NZ")
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+\-\u2212])\s*(\d{1,2})(?:\s*[:.h]?\s*(\d{2}))?$")


@dataclass(frozen=True)
class ZoneHit:
    id: str
    name: str  # "Pacific Time", "Nepal Time", in the reader's locale
    place: str  # "Los Angeles, United States"
    offset: str  # "GMT-08:00" (the locale's own form), at `now`
    local_time: str  # "4:00 AM", at `now`


@lru_cache(maxsize=1)
def _tzdata_dir() -> Path:
    return Path(tzdata.__file__).parent / "zoneinfo"


@lru_cache(maxsize=1)
def canonical_zones() -> tuple[str, ...]:
    """The zones a person chooses from: zone.tab's (current IANA names) and UTC."""
    zones = set()
    for line in (_tzdata_dir() / "zone.tab").read_text().splitlines():
        if line and not line.startswith("#"):
            zones.add(line.split("\t")[2].strip())
    zones.add(UTC)
    return tuple(sorted(zones))


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    known = set(canonical_zones())
    aliases = {}
    # tzdata's links first, CLDR's aliases over them: a link may point at a zone merged across a border
    # (Europe/Oslo -> Europe/Berlin), which CLDR does not do, and zone.tab keeps such names anyway.
    for line in (_tzdata_dir() / "tzdata.zi").read_text().splitlines():
        if line.startswith("L "):
            _, target, link = line.split()[:3]
            if target in known and link not in known:
                aliases[link] = target
    for old, new in get_global("zone_aliases").items():
        if new in known and old not in known:
            aliases[old] = new
    for name in (
        "Etc/UTC",
        "Etc/GMT",
        "Etc/Universal",
        "Etc/Zulu",
        "GMT",
        "Universal",
        "Zulu",
        "UCT",
        "Etc/UCT",
        "Etc/Greenwich",
        "Greenwich",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
    ):
        aliases[name] = UTC
    return aliases


def canonical_zone(name: str) -> str:
    """The current IANA id for a legacy or ICU one (Asia/Calcutta -> Asia/Kolkata); other names unchanged."""
    return _aliases().get(name, name)


@lru_cache(maxsize=1)
def _available() -> frozenset:
    return frozenset(available_timezones())  # reads the tzdata tree: once


def is_zone(name: str) -> bool:
    return bool(name) and name in _available()


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-blind: "São Paulo", "sao_paulo" and "Sao-Paulo" compare equal."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_/\-(),.]+", " ", text).strip()


def _city_from_id(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _place(zone: str, locale) -> str:
    if zone == UTC:
        return ""
    city = get_timezone_location(zone, locale=locale, return_city=True)
    if "/" in city or city == zone:  # CLDR has no exemplar city: "Indiana/Indianapolis"
        city = _city_from_id(zone)
    territory = get_global("zone_territories").get(zone)
    country = locale.territories.get(territory, "") if territory and territory != "001" else ""
    return f"{city}, {country}" if country and country != city else city


def _name(zone: str, locale) -> str:
    if zone == UTC:
        return "UTC"
    generic = get_timezone_name(zone, "long", zone_variant="generic", locale=locale)
    return generic


@lru_cache(maxsize=1)
def _major() -> frozenset:
    """The zone CLDR names for each Windows zone ("Pacific Standard Time" -> America/Los_Angeles): about 140
    zones most people live in, listed first among equally good matches ("Pacific", "United States")."""
    return frozenset(canonical_zone(z) for z in get_global("windows_zone_mapping").values())


@dataclass(frozen=True)
class _Entry:
    zone: str
    name: str
    place: str
    keys: tuple[str, ...]  # folded names, cities, countries
    abbreviations: frozenset  # folded; matched whole only
    id_key: str = ""  # the folded id, "pacific chatham": below a name that matches as well
    major: bool = False


def _entry(zone: str, loc, english, probes: tuple[datetime, ...]) -> _Entry:
    keys = {_fold(_city_from_id(zone))}
    for locale in {loc, english}:
        if zone == UTC:
            keys.update({"utc", "gmt", "coordinated universal time", "greenwich mean time"})
            continue
        keys.add(_fold(get_timezone_location(zone, locale=locale, return_city=True)))
        keys.add(_fold(get_timezone_location(zone, locale=locale)))
        territory = get_global("zone_territories").get(zone)
        if territory and territory != "001":
            keys.add(_fold(locale.territories.get(territory, "")))
        for variant in ("generic", "standard", "daylight"):
            keys.add(_fold(get_timezone_name(zone, "long", zone_variant=variant, locale=locale)))
    abbreviations = set()
    tz = ZoneInfo(zone)
    for probe in probes:
        local = probe.astimezone(tz)
        tzdata_abbr = local.tzname() or ""
        if tzdata_abbr[:1].isalpha():  # "IST", "NPT"; not "+0545"
            abbreviations.add(_fold(tzdata_abbr))
        for name in _ABBREVIATION_LOCALES:
            short = get_timezone_name(local, "short", locale=locale_for(name))
            if short[:1].isalpha() and not short.startswith(("GMT", "UTC")):
                abbreviations.add(_fold(short))
    return _Entry(
        zone=zone,
        name=_name(zone, loc),
        place=_place(zone, loc),
        keys=tuple(k for k in keys if k),
        abbreviations=frozenset(abbreviations),
        id_key=_fold(zone),
        major=zone in _major(),
    )


@lru_cache(maxsize=8)
def _index(locale: str, year: int) -> tuple[_Entry, ...]:
    """Every canonical zone with its search keys, for one locale. Abbreviations are read at the year's
    two solstices (standard and summer time)."""
    loc, english = locale_for(locale), locale_for("en")
    probes = (
        datetime.fromisoformat(f"{year}-01-15T12:00:00+00:00"),
        datetime.fromisoformat(f"{year}-07-15T12:00:00+00:00"),
    )
    return tuple(_entry(zone, loc, english, probes) for zone in canonical_zones())


def _offset_minutes(query: str) -> int | None:
    m = _OFFSET.match(query.strip().casefold())
    if not m:
        return None
    sign = -1 if m.group(1) in "-\u2212" else 1
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    return sign * (hours * 60 + minutes)


def _rank(entry: _Entry, q: str) -> float | None:
    """0 an exact name, id or abbreviation, 1 a name that starts with it, 1.5 an id that does ("Pacific"
    finds Pacific Time before Pacific/Chatham), 2 a word of a name or id that does, 3 inside a name."""
    if q in entry.abbreviations or q in entry.keys or q == entry.id_key:
        return 0
    if any(k.startswith(q) for k in entry.keys):
        return 1
    if entry.id_key.startswith(q):
        return 1.5
    if any(f" {q}" in f" {k}" for k in (*entry.keys, entry.id_key)):
        return 2
    if len(q) >= 3 and any(q in k for k in entry.keys):
        return 3
    return None


def search(query: str, *, locale: str, now: datetime, clock: str | None = None, limit: int = LIMIT) -> list[ZoneHit]:
    """Zones matching `query`, best first, each with its name in `locale`, offset and local time at `now`."""
    query = (query or "").strip()[:64]
    if not query:
        return []
    loc = locale_for(locale)
    entries = _index(str(loc) if loc.language in INDEX_LANGUAGES else "en", now.year)
    alias = canonical_zone(query)
    exact = [e for e in entries if e.zone == alias or e.zone.casefold() == query.casefold()]
    offset = _offset_minutes(query)
    if offset is not None:
        wanted = timedelta(minutes=offset)
        found = [e for e in entries if now.astimezone(ZoneInfo(e.zone)).utcoffset() == wanted]
        ranked = sorted(found, key=lambda e: (e.zone != UTC, not e.major, e.name, e.place))
    else:
        q = _fold(query)
        scored = [(r, e) for e in entries if (r := _rank(e, q)) is not None] if q else []
        ranked = [e for _, e in sorted(scored, key=lambda p: (p[0], not p[1].major, p[1].name, p[1].place))]
    ordered = exact + [e for e in ranked if e not in exact]
    return [_hit(e, locale, now, clock) for e in ordered[:limit]]


def _hit(entry: _Entry, locale: str, now: datetime, clock: str | None) -> ZoneHit:
    return ZoneHit(
        id=entry.zone,
        name=entry.name,
        place=entry.place,
        offset=format_instant(now, entry.zone, locale, form="offset"),
        local_time=format_instant(now, entry.zone, locale, form="time", clock=clock),
    )


def describe(zone: str, *, locale: str, now: datetime, clock: str | None = None) -> ZoneHit:
    """One zone as a person reads it, without building the index (the booking page shows one zone)."""
    loc = locale_for(locale)
    return ZoneHit(
        id=zone,
        name=_name(zone, loc),
        place=_place(zone, loc),
        offset=format_instant(now, zone, locale, form="offset"),
        local_time=format_instant(now, zone, locale, form="time", clock=clock),
    )
