import zoneinfo
from functools import lru_cache

from .errors import InvalidInput


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def validate_zone(name: str, *, field: str = "timezone") -> str:
    """The IANA name, or an error that says what is wrong. Abbreviations such as EST are refused: they
    are ambiguous, and the zone must carry its DST rules."""
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{field}: give an IANA time zone such as Europe/Berlin", field=field)
    if name not in zoneinfo.available_timezones():
        raise InvalidInput(
            f"{field}: unknown time zone {name!r}; use an IANA name such as America/New_York", field=field
        )
    return name
