"""`slotwise export ORG [--out FILE]`: an organization as a load file (docs/load-format.md); an agency
comes with its sub-accounts."""

from pathlib import Path

from slotwise.cli.orgfile import export_text
from slotwise.core.verbs import Verb

from ._util import organization_from, run


class Command(Verb):
    help = "export ORG [--out FILE]: write an organization (an agency with its sub-accounts) as a load file."

    def add_arguments(self, parser):
        parser.add_argument("org", help="the organization's slug")
        parser.add_argument("--out", help="write to this file instead of printing")

    def handle(self, *args, org, out=None, **opts):
        text = export_text(run(lambda: organization_from(org)))
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {out}")
        else:
            self.stdout.write(text, ending="")
