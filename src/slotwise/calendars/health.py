"""What calendar sync tells /metrics (registered in CalendarsConfig.ready): per connection, how long ago its
busy time was last read successfully (since it was connected, when it never was), and its failures in a row."""

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily

from slotwise.core.clock import utc_now

from .models import CalendarConnection


def sync_readings() -> Iterable:
    now = utc_now()
    labels = ["connection", "kind", "organization"]
    lag = GaugeMetricFamily(
        "slotwise_calendar_sync_lag_seconds",
        "Seconds since a calendar connection's busy time was last synced successfully",
        labels=labels,
    )
    failures = GaugeMetricFamily(
        "slotwise_calendar_sync_failures", "Failed syncs in a row of a calendar connection", labels=labels
    )
    rows = CalendarConnection.objects.values_list(
        "pk", "kind", "organization__slug", "last_success_at", "created_at", "failures"
    )
    for pk, kind, org, success_at, created_at, failed in rows:
        key = [str(pk), kind, org]
        lag.add_metric(key, max(0.0, (now - (success_at or created_at)).total_seconds()))
        failures.add_metric(key, failed)
    yield lag
    yield failures
