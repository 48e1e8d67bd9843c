"""The CI load smoke: `slotwise bench load` on the real topology (serve with 2 workers, 1 job worker), a short
race (L2) and a short mixed run (L4), on SQLite and, in the PostgreSQL pass, on a throwaway PostgreSQL
database. It asserts the invariants only, never the speed: one booking per raced slot and a clean 409 for
every other racer, no overlapping active bookings, every webhook and email owed delivered exactly once."""

import json
import os
import sqlite3
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest


def _bench(tmp_path, configured_url):
    out = tmp_path / "load.json"
    env = {**os.environ, "SLOTWISE_DATA_DIR": str(tmp_path / "configured"), "DATABASE_URL": configured_url}
    env.pop("REDIS_URL", None)
    p = subprocess.Popen(
        [sys.executable, "-m", "slotwise", "bench", "load", "--phases", "L2,L4", "--racers", "50", "--runs", "2"]
        + ["--hosts", "12", "--busy", "20", "--requests", "60", "--seconds", "60", "--drain", "60"]
        + ["--json", str(out)]
        # The bench runs in a process of its own on a temporary SQLite database unless told a server to
        # make its throwaway database on.
        + (["--database-url", configured_url] if configured_url.startswith("postgres") else []),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = p.communicate(timeout=240)
    assert p.returncode == 0, stdout + stderr
    return json.loads(out.read_text()), stdout, p.pid


def _assert_invariants(report):
    race = report["L2"]
    assert race["passed"] == race["runs"] == 2
    assert race["runs_detail"] == [{"created": 1, "clean_409": 49, "other": 0, "stored": 1}] * 2
    mixed = report["L4"]
    assert mixed["overlaps"] == 0
    # --seed 7 and 60 ops: 47 reads, 7 bookings and 6 cancels (a cancel with nothing left to cancel books
    # first), each with its webhook and two emails.
    assert (mixed["kinds"]["read"], mixed["kinds"]["cancel"]) == (47, 6) and mixed["kinds"]["book"] >= 7
    assert mixed["statuses"].keys() <= {"200", "201", "409"}
    for what in ("webhooks", "emails"):
        delivered = mixed[what]
        assert delivered["missing"] == delivered["duplicates"] == delivered["unowed"] == 0, (what, delivered)
        assert delivered["once"] == delivered["owed"] > 0


@pytest.mark.database
def test_load_smoke_race_and_mixed_keep_their_invariants_and_leave_the_configured_database_alone(tmp_path):
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        (tmp_path / "configured").mkdir()
        db = tmp_path / "configured" / "slotwise.sqlite3"
        sqlite3.connect(db).close()  # the user's (empty) database
        configured = f"sqlite:///{db}"
    report, printed, pid = _bench(tmp_path, configured)
    assert report["db"] == ("postgresql" if configured.startswith("postgres") else "sqlite3")
    _assert_invariants(report)
    assert "L2 race 50 racers / 4 procs" in printed and "passed 2/2" in printed
    if configured.startswith("sqlite"):
        tables = sqlite3.connect(configured.removeprefix("sqlite:///")).execute("SELECT name FROM sqlite_master")
        assert tables.fetchall() == []
    else:
        import psycopg

        # The configured database itself need not exist (the tests run in test_<name>): ask the server.
        server = urlunsplit(urlsplit(configured)._replace(path="/postgres"))
        with psycopg.connect(server) as conn:
            left = conn.execute("SELECT datname FROM pg_database WHERE datname = %s", [f"slotwise_bench_{pid}"])
            assert left.fetchall() == [], "the throwaway database was not dropped"
