from django.core.management.base import BaseCommand

from slotwise.cli.orgexport import export_text

from ._util import run


class Command(BaseCommand):
    help = "Write an organization in the load format (docs/load-format.md) to standard output or --out FILE."

    def add_arguments(self, parser):
        parser.add_argument("org", help="the organization's slug")
        parser.add_argument("--out", help="write to this file instead of standard output")

    def handle(self, *args, **opts):
        text = run(lambda: export_text(opts["org"]))
        if opts["out"]:
            with open(opts["out"], "w", encoding="utf-8") as f:
                f.write(text)
        else:
            self.stdout.write(text, ending="")
