from django.core.management.base import BaseCommand

from slotwise.cli.orgfile import load_file

from ._util import now_from, run


class Command(BaseCommand):
    help = "Create or update an organization from a YAML or JSON file (format: docs/load-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--now", help="freeze the clock (ISO instant)")

    def handle(self, *args, **opts):
        result = run(lambda: load_file(opts["file"], now=now_from(opts["now"])))
        self.stdout.write(
            f"loaded {result['organization']}: {result['hosts']} hosts, {result['teams']} teams, "
            f"{result['event_types']} event types, {result['busy']} busy intervals"
        )
