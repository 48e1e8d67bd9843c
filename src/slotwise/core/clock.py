"""The one place that reads the clock. Everything below the doors (views, API, CLI, tasks) takes `now`."""

from datetime import UTC, datetime

# Parsing moved to slotwise.core.instants (one parser for every door); kept importable from here so that
# code written against the old location keeps working.
from .instants import parse_instant  # noqa: F401


def utc_now() -> datetime:
    return datetime.now(UTC)
