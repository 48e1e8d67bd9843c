"""Every `slotwise bench` verb leaves the instance's database as it found it (issue 14: `bench sync` filled a
user's real database with bench organizations, and crashed on the second run), and runs from an installed
package: only src/ is importable, from a directory outside the checkout, so nothing comes from tests/."""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from slotwise.cli.management.commands.bench import scenarios

SRC = Path(__file__).resolve().parents[2] / "src"

# Each verb at its smallest size: the point is where it writes, not its figures.
TINY = {
    "engine": ["--runs", "1"],
    "pages": ["--runs", "1"],
    "sync": ["--events", "50", "--runs", "1", "--s2-events", "1", "--caldav-events", "0"],
    "notify": ["--bookings", "2", "--gap", "0"],
    "import": ["--users", "1", "--events", "10", "--polls", "1", "--webhooks", "2"],
    "jobs": ["--jobs", "10", "--runs", "1"],
    "book": ["--hosts", "3", "--threads", "2", "--bookings", "4", "--racers", "4", "--race-workers", "2"],
}
# Verbs whose own test runs them small and checks the configured database is left alone.
ELSEWHERE = {"load": "tests/bench/test_load_smoke.py"}


def test_every_bench_verb_has_a_tiny_size_here():
    assert sorted([*TINY, *ELSEWHERE]) == scenarios()


def fingerprint(db: Path) -> dict[str, str]:
    """Every table's rows, hashed: what is in the database, whatever the WAL or the page layout did."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {
            t: hashlib.sha256(repr(conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall()).encode()).hexdigest()
            for t in tables
        }


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A configured Slotwise (SQLite in its data directory, the demo loaded), and a directory outside the
    checkout to run the verbs from."""
    data = tmp_path_factory.mktemp("instance")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(SLOTWISE_DATA_DIR=str(data), PYTHONPATH=str(SRC), SLOTWISE_LOG_LEVEL="ERROR")
    for verb in (["migrate", "-v0"], ["demo", "--now", "2026-03-02T08:00:00Z"]):
        p = subprocess.run(
            [sys.executable, "-m", "slotwise", *verb],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
    return data / "slotwise.sqlite3", elsewhere, env


@pytest.mark.parametrize("verb", sorted(TINY))
def test_a_bench_verb_does_not_touch_the_configured_database_and_needs_no_checkout(instance, verb):
    db, elsewhere, env = instance
    before = fingerprint(db)
    assert before["accounts_organization"]
    p = subprocess.run(
        [sys.executable, "-m", "slotwise", "bench", verb, *TINY[verb]],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
    assert p.stdout.strip(), "the bench printed no figures"
    assert fingerprint(db) == before
