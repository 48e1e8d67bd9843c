"""The door from Django's task API into the durable job table. It carries no work of its own: a tick runs
whatever Job rows are due, so a tick enqueued twice, or lost, changes latency and nothing else."""

from django_tasks import task

from slotwise.core.clock import utc_now


@task()
def tick() -> int:
    from .services import run_due

    return run_due(utc_now())
