import argparse
import os
import pkgutil
import subprocess
import sys
import tempfile

from django.conf import settings
from django.core.management.base import CommandError

import slotwise.bench
from slotwise.core.verbs import Verb


def scenarios() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(slotwise.bench.__path__) if not m.name.startswith("_"))


class Command(Verb):
    help = (
        "Run a benchmark scenario (slotwise.bench) and print its figures: engine, pages, book, notify, sync, import, jobs, load. "
        "Each runs in a process of its own on a fresh SQLite database in a temporary directory, never on this "
        "instance's database; SLOTWISE_BENCH_DATABASE_URL names another database for it to fill."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help=" | ".join(scenarios()))
        parser.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to the scenario, e.g. --runs 10")

    def handle(self, *args, **opts):
        name = opts["name"]
        if name not in scenarios():
            raise CommandError(f"no benchmark {name!r} (there are: {', '.join(scenarios())})")
        own = os.environ.get("SLOTWISE_BENCH_DATABASE_URL", "")
        if own and own == os.environ.get("DATABASE_URL", settings.DATABASE_URL):
            raise CommandError("SLOTWISE_BENCH_DATABASE_URL is this instance's database: name a scratch one")
        # Django is already set up here, on the instance's database: the scenario gets a fresh process whose
        # settings see only its own directory and database (issue 14: `bench sync` filled the real one).
        with tempfile.TemporaryDirectory(prefix=f"slotwise-bench-{name}-") as tmp:
            env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "REDIS_URL")}
            env.update(
                SLOTWISE_BENCH_CHILD="1",
                SLOTWISE_DATA_DIR=tmp,
                DATABASE_URL=own or f"sqlite:///{tmp}/bench.sqlite3",
                DJANGO_SETTINGS_MODULE="slotwise.config.settings",
            )
            env.setdefault("SLOTWISE_LOG_LEVEL", "ERROR")
            # A missed goal is a figure, printed; only a scenario that could not run (an exception) fails the verb.
            run = f"import importlib, sys; importlib.import_module('slotwise.bench.{name}').main(sys.argv[1:])"
            code = subprocess.call([sys.executable, "-c", run, *opts["rest"]], env=env)  # noqa: S603 - our own interpreter and module
        if code:
            raise CommandError(f"bench {name} stopped with an error (exit status {code})")
