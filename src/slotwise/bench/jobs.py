"""Job throughput: how many jobs per second `slotwise worker` processes claim, run and finish.

The jobs are `jobs.noop` (a handler that does nothing), so the figure is the queue's own cost per job (claim,
lease, finish: the database round trips), the ceiling under any real handler. Each run writes --jobs jobs in
one transaction once every worker has sent its first heartbeat, then times from that commit until the last
is done; it then checks that each job ran exactly once (one attempt, done).

    slotwise bench jobs [--jobs 1000] [--workers 1] [--concurrency 1] [--runs 3]
    several workers on SQLite: slotwise bench jobs --workers 3
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

from slotwise.bench import _workers

GOAL_PER_WORKER = 50  # jobs/s per worker (issue 14: keep up with bookings)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="slotwise bench jobs", description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=1000, help="jobs per run (default 1000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--concurrency", type=int, default=1, help="threads per worker process (default 1)")
    p.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    p.add_argument("--timeout", type=float, default=300, help="seconds one run may take (default 300)")
    args = p.parse_args(argv)
    if os.environ.get("SLOTWISE_BENCH_CHILD") != "1":
        # Run by hand: a scratch SQLite database of its own (`slotwise bench jobs` has given us one already).
        tmp = tempfile.mkdtemp(prefix="slotwise-bench-jobs-")
        os.environ.update(SLOTWISE_DATA_DIR=tmp, DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slotwise.config.settings")
    os.environ.setdefault("SLOTWISE_LOG_LEVEL", "WARNING")
    os.environ["SLOTWISE_WORKER_HEARTBEAT_SECONDS"] = "1"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from slotwise.jobs.models import Job, WorkerHeartbeat
    from slotwise.jobs.services import enqueue

    load = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    Job.objects.all().delete()
    WorkerHeartbeat.objects.all().delete()
    workers = _workers.start(args.workers, args.concurrency)
    rates: list[float] = []
    waits: list[float] = []
    problems: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while WorkerHeartbeat.objects.count() < args.workers * args.concurrency:
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise SystemExit("the workers did not start within 120 s")
            time.sleep(0.1)
        for run in range(args.runs):
            with transaction.atomic():
                ids = [enqueue("jobs.noop", {"run": run, "n": i}).pk for i in range(args.jobs)]
            committed = time.perf_counter()
            until = time.monotonic() + args.timeout
            while Job.objects.filter(pk__in=ids).exclude(status=Job.Status.DONE).exists():
                if time.monotonic() > until:
                    problems.append(f"run {run + 1}: not all jobs done within {args.timeout:g} s")
                    break
                time.sleep(0.02)
            elapsed = time.perf_counter() - committed
            rates.append(args.jobs / elapsed)
            rows = Job.objects.filter(pk__in=ids)
            waits += [
                (j.finished_at - j.created_at).total_seconds() * 1000 for j in rows.only("created_at", "finished_at")
            ]
            twice = rows.exclude(attempts=1).count()
            if twice:
                problems.append(f"run {run + 1}: {twice} job(s) claimed more than once")
    finally:
        _workers.stop(workers)

    db = os.environ["DATABASE_URL"].split(":", 1)[0]
    n = args.workers * args.concurrency
    per_worker = [r / n for r in rates]
    print(
        f"slotwise bench jobs: {args.jobs} jobs x {args.runs} runs; {args.workers} worker process(es) x "
        f"{args.concurrency} thread(s); db={db}"
    )
    print(f"  machine: {os.cpu_count()} CPUs, load average {load:.1f} at start (figures fall as it rises)")
    print(
        f"  throughput, all workers   median {statistics.median(rates):8.1f} jobs/s   "
        f"worst {min(rates):8.1f} jobs/s   best {max(rates):8.1f} jobs/s"
    )
    print(
        f"  per worker                median {statistics.median(per_worker):8.1f} jobs/s   (goal >= {GOAL_PER_WORKER})"
    )
    print(
        f"  commit -> claimed         median {statistics.median(waits):8.1f} ms     p95 {pct(waits, 95):8.1f} ms"
        f"   (n={len(waits)}; the batch waits its turn)"
    )
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
