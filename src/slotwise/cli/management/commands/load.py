from slotwise.cli.orgfile import EXTRA_SECTIONS, load_file
from slotwise.core.verbs import Verb

from ._util import now_from, run


class Command(Verb):
    help = "Create or update an organization from a YAML or JSON file (format: docs/load-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--now", help="freeze the clock (ISO instant)")

    def handle(self, *args, **opts):
        result = run(lambda: load_file(opts["file"], now=now_from(opts["now"])))
        for r in [result, *result.get("sub_accounts", [])]:
            under = f" (sub-account of {result['organization']})" if r is not result else ""
            self.stdout.write(
                f"loaded {r['organization']}{under}: {r['hosts']} hosts, {r['teams']} teams, "
                f"{r['event_types']} event types, {r['busy']} busy intervals"
                + "".join(f", {r[k]} {k.replace('_', ' ')}" for k in EXTRA_SECTIONS if r.get(k))
            )
