"""What an installed slotwise can do away from a checkout: SQLite without the postgres extra, benchmarks."""

import os
import subprocess
import sys

# psycopg is the `postgres` extra: make it unimportable, as on an SQLite-only install.
NO_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg2'] = None; "
    "from slotwise.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def _env(tmp_path):
    env = {**os.environ, "SLOTWISE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "slotwise.config.settings"}
    env.pop("DATABASE_URL", None)
    return env


def test_an_sqlite_install_works_without_psycopg(tmp_path):
    for verb in (
        ["migrate", "-v0"],
        ["demo", "--now", "2026-03-02T08:00:00Z"],
        [
            "availability",
            "demo/ana/intro",
            "--from",
            "2026-03-03",
            "--to",
            "2026-03-03",
            "--tz",
            "UTC",
            "--now",
            "2026-03-02T08:00:00Z",
        ],
    ):
        p = subprocess.run(
            [sys.executable, "-c", NO_PSYCOPG, *verb],
            cwd=tmp_path,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, f"slotwise {' '.join(verb)}: {p.stderr}"
    assert p.stdout.strip(), "availability printed nothing"


def test_bench_runs_from_an_installed_package_outside_the_checkout(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "slotwise", "bench", "engine", "--runs", "1"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "ms" in p.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "slotwise", "bench", "nope"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        missing.returncode != 0 and "there are: book, engine, import, jobs, load, notify, pages, sync" in missing.stderr
    )
