"""What the job queue tells /readyz and /metrics (registered in JobsConfig.ready): a worker's heartbeat is
recent; how many jobs wait, and how long the oldest due one has waited. Both read the clock, like the views
they answer for."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from prometheus_client.core import GaugeMetricFamily

from slotwise.core.clock import utc_now
from slotwise.core.readiness import NotReady

from .models import Job, WorkerHeartbeat


def check_worker() -> str:
    stale = float(getattr(settings, "SLOTWISE_WORKER_STALE_SECONDS", 60))
    newest = WorkerHeartbeat.objects.order_by("-beat_at").first()
    if newest is None:
        raise NotReady("no job worker has reported; start one: `slotwise worker` (or `slotwise serve`, which runs one)")
    age = (utc_now() - newest.beat_at).total_seconds()
    if age > stale:
        raise NotReady(
            f"the newest job worker heartbeat ({newest.worker_id}) is {age:.0f} s old (limit {stale:.0f} s): "
            "no worker is working the queue; start or restart `slotwise worker`"
        )
    alive = WorkerHeartbeat.objects.filter(beat_at__gte=utc_now() - timedelta(seconds=stale)).count()
    return f"ok ({alive} worker(s), last beat {age:.0f} s ago)"


def queue_readings() -> Iterable:
    now = utc_now()
    due = Q(status=Job.Status.PENDING, due_at__lte=now)
    row = Job.objects.aggregate(
        due=Count("id", filter=due),
        scheduled=Count("id", filter=Q(status=Job.Status.PENDING, due_at__gt=now)),
        running=Count("id", filter=Q(status=Job.Status.RUNNING)),
        failed=Count("id", filter=Q(status=Job.Status.FAILED)),
        oldest_due=Min("due_at", filter=due),
    )
    depth = GaugeMetricFamily(
        "slotwise_jobs_queued", "Jobs in the queue, by state (due: waiting for a worker now)", labels=["state"]
    )
    for state in ("due", "scheduled", "running", "failed"):
        depth.add_metric([state], row[state])
    yield depth
    oldest = row["oldest_due"]
    yield GaugeMetricFamily(
        "slotwise_jobs_oldest_due_age_seconds",
        "How long the oldest due job has waited for a worker (0 when none waits)",
        value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )
    workers = GaugeMetricFamily(
        "slotwise_worker_heartbeat_age_seconds", "Seconds since each job worker's last heartbeat", labels=["worker"]
    )
    for worker_id, beat_at in WorkerHeartbeat.objects.values_list("worker_id", "beat_at"):
        workers.add_metric([worker_id], (now - beat_at).total_seconds())
    yield workers
