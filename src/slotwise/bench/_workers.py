"""`slotwise worker` processes for the benches that measure the queue (jobs, notify)."""

import os
import signal
import subprocess
import sys


def start(count: int, concurrency: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(  # noqa: S603 - our own worker command, no shell
            [sys.executable, "-m", "slotwise", "worker", "--concurrency", str(concurrency)],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop(workers: list[subprocess.Popen]) -> None:
    """SIGTERM (each finishes the job in hand), then a kill for one that has not stopped within 20 s."""
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(20)
        except subprocess.TimeoutExpired:
            w.kill()
