"""Start `slotwise worker` as a real process against the test database."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

SRC = Path(__file__).resolve().parents[2] / "src"


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def start_worker(
    *,
    smtp_port: int | None = None,
    lease_seconds: float = 2,
    extra: list[str] = (),
    env: dict | None = None,
    command: list[str] | None = None,
):
    """`slotwise worker` as a process on the test database; `command` replaces `-m slotwise worker ...`."""
    environ = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SLOTWISE_DATA_DIR": str(settings.DATA_DIR),
        "SLOTWISE_JOBS_LEASE_SECONDS": str(lease_seconds),
        "PYTHONPATH": str(SRC),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    if smtp_port is not None:
        environ.update(SLOTWISE_SMTP_HOST="127.0.0.1", SLOTWISE_SMTP_PORT=str(smtp_port))
    return subprocess.Popen(
        [sys.executable, *(command or ["-m", "slotwise", "worker", "--interval", "0.2", *extra])],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_started(proc, timeout: float = 90) -> None:
    """Block until the worker logs that it is listening (Django start-up is slow on a loaded machine)."""
    import select
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if " started (" in line:
                return
            if not line and proc.poll() is not None:
                raise AssertionError(f"the worker exited with {proc.returncode} before starting")
    raise AssertionError(f"the worker did not start within {timeout}s")


def wait_until(predicate, timeout: float, what: str) -> None:
    """Poll `predicate` every 20 ms until it holds; fail after `timeout` seconds, naming `what` was awaited."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
