"""The one place that reads the clock. Everything below the doors (views, API, CLI, tasks) takes `now`."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
