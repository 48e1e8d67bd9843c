from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction

from slotwise.cli.orgfile import load_file
from slotwise.core.verbs import Verb
from slotwise.scheduling.models import BusyBlock, EventType

from ._util import now_from, run

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo.yaml"


class Command(Verb):
    help = (
        "Create the demo organization once and print a login and booking URLs; --reset restores it. "
        "A later run leaves what was changed in the dashboard alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="freeze the clock (ISO instant with Z)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="load the demo file again over the demo organization, undoing changes to it",
        )

    def handle(self, *args, **opts):
        from slotwise.accounts.models import Organization

        now = run(lambda: now_from(opts["now"]))
        exists = Organization.objects.filter(slug="demo").exists()
        with transaction.atomic():
            if opts["reset"] or not exists:
                run(lambda: load_file(DEMO_FILE, now=now))
            # The demo's outside meetings follow today's date; they are demo data only (source "demo").
            self._busy(now)
        base = settings.BASE_URL
        if exists and not opts["reset"]:
            self.stdout.write(
                "Demo organization 'demo' is ready (kept as you left it; `slotwise demo --reset` restores it).\n"
            )
        else:
            self.stdout.write("Demo organization 'demo' is ready.\n")
        self.stdout.write(f"  Dashboard: {base}/dashboard/   login ana@demo.slotwise.test / slotwise-demo")
        self.stdout.write("  Admin:     /admin/ is for operators: create one with `slotwise createsuperuser`")
        for et in EventType.objects.filter(organization__slug="demo").select_related("organization", "owner", "team"):
            self.stdout.write(f"  {et.name:<24} {base}{et.path}")
        self.stdout.write("  'demo' is an agency: the dashboard's Account switcher enters its two sub-accounts,")
        for et in (
            EventType.objects.filter(organization__parent__slug="demo")
            .select_related("organization", "owner", "team")
            .order_by("organization__slug")
        ):
            self.stdout.write(f"  {et.organization.name + ': ' + et.name:<24} {base}{et.path}")

    def _busy(self, now):
        """A few external meetings in the coming days, so the pages show real gaps. Replaced on each run."""
        BusyBlock.objects.filter(organization__slug="demo", source="demo").delete()
        from slotwise.accounts.models import Membership

        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        blocks = []
        for m, hour in (
            Membership.objects.filter(organization__slug="demo").values_list("pk", "user__email").order_by("pk")
        ):
            offset = {"ana": 10, "ben": 15, "chitra": 6, "dan": 1}.get(hour.split("@")[0], 12)
            for day in range(1, 15, 2):
                start = today + timedelta(days=day, hours=offset)
                blocks.append(
                    BusyBlock(
                        organization_id=self._org_id(),
                        membership_id=m,
                        start=start,
                        end=start + timedelta(hours=1),
                        source="demo",
                        label="Busy (demo)",
                    )
                )
        BusyBlock.objects.bulk_create(blocks)

    def _org_id(self):
        from slotwise.accounts.models import Organization

        return Organization.objects.get(slug="demo").pk
