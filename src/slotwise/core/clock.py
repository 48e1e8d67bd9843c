"""The one place that reads the clock. Everything below the doors (views, API, CLI, tasks) takes `now`."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_instant(value: str, *, field: str = "start") -> datetime:
    """An ISO 8601 instant with an explicit offset or Z, returned in UTC. Naive times are refused: they
    would be read in some server zone, which is exactly the mistake Slotwise exists to avoid."""
    from .errors import InvalidInput

    try:
        dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except (ValueError, AttributeError):
        raise InvalidInput(
            f"{field}: {value!r} is not an ISO 8601 instant; use for example 2026-03-09T14:00:00Z", field=field
        ) from None
    if dt.tzinfo is None:
        raise InvalidInput(
            f"{field}: {value!r} has no UTC offset; add Z or an offset such as +01:00", field=field
        )
    return dt.astimezone(UTC)
