import argparse
import importlib
import pkgutil

from django.core.management.base import BaseCommand, CommandError

import slotwise.bench


def scenarios() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(slotwise.bench.__path__) if not m.name.startswith("_"))


class Command(BaseCommand):
    help = "Run a benchmark scenario (slotwise.bench) and print its figures: engine, pages, book, notify, sync, import, load."

    def add_arguments(self, parser):
        parser.add_argument("name", help="engine | pages | book | notify | sync | import | load")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to the scenario, e.g. --runs 10")

    def handle(self, *args, **opts):
        if opts["name"] not in scenarios():
            raise CommandError(f"no benchmark {opts['name']!r} (there are: {', '.join(scenarios())})")
        module = importlib.import_module(f"slotwise.bench.{opts['name']}")
        module.main(opts["rest"])
