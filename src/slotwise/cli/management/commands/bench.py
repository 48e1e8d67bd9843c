import argparse
import importlib.util
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import slotwise

BENCH_DIR = Path(slotwise.__file__).resolve().parent / "bench"


class Command(BaseCommand):
    help = "Run a benchmark scenario from bench/ and print its figures: engine, pages, notify, sync."

    def add_arguments(self, parser):
        parser.add_argument("name", help="engine | pages | notify | sync")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to the scenario, e.g. --runs 10")

    def handle(self, *args, **opts):
        script = BENCH_DIR / f"{opts['name']}.py"
        if not script.exists():
            found = ", ".join(sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))) or "none"
            raise CommandError(f"no benchmark {opts['name']!r} in {BENCH_DIR} (there are: {found})")
        spec = importlib.util.spec_from_file_location(f"bench_{opts['name']}", script)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(BENCH_DIR))
        spec.loader.exec_module(module)
        module.main(opts["rest"])
