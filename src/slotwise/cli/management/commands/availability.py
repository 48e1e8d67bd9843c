import json

from django.core.management.base import CommandError

from slotwise.accounts.models import Membership
from slotwise.bookings.availability import event_availability
from slotwise.core.instants import parse_date
from slotwise.core.timezones import validate_zone
from slotwise.core.verbs import Verb
from slotwise.scheduling.selectors import local_range

from ._util import event_from_path, now_from, run

MAX_DAYS = 366


class Command(Verb):
    help = "Print the times a booking page offers, grouped by the viewer's local date."

    def add_arguments(self, parser):
        parser.add_argument("path", help="ORG/HOST/EVENT or ORG/team/TEAM/EVENT")
        parser.add_argument("--from", dest="first", required=True, help="first local date, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", required=True, help="last local date (inclusive)")
        parser.add_argument("--tz", required=True, help="the viewer's IANA zone")
        parser.add_argument("--now", help="freeze the clock (ISO instant with Z)")
        parser.add_argument("--host", help="round-robin: only this host's times (host slug)")
        parser.add_argument("--duration", type=int, help="one of the event's durations, in minutes")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        run(lambda: self._handle(opts))

    def _handle(self, opts):
        first, last = parse_date(opts["first"], field="--from"), parse_date(opts["last"], field="--to")
        if last < first:
            raise CommandError("--to is before --from")
        if (last - first).days >= MAX_DAYS:
            raise CommandError(f"--from/--to: at most {MAX_DAYS} days at a time")
        zone = validate_zone(opts["tz"], field="--tz")
        now = now_from(opts["now"])
        et = event_from_path(opts["path"])
        host = None
        if opts["host"]:
            host = Membership.objects.filter(organization=et.organization, slug=opts["host"]).first()
            if host is None:
                raise CommandError(f"--host: {opts['host']!r} is not a host of {et.organization.slug}")
        start, end = local_range(first, last, zone)
        result = event_availability(
            event_type=et,
            start=start,
            end=end,
            viewer_zone=zone,
            now=now,
            host=host,
            duration_minutes=opts["duration"],
        )
        days = {d.isoformat(): [s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in starts] for d, starts in result.days.items()}
        if opts["json"]:
            self.stdout.write(json.dumps({"timezone": zone, "days": days}, indent=2))
            return
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(zone)
        self.stdout.write(f"{et.name} — times in {zone}")
        if not days:
            self.stdout.write("  no free times in that range")
        for d, starts in result.days.items():
            local = ", ".join(s.astimezone(tz).strftime("%H:%M") for s in starts)
            self.stdout.write(f"  {d:%a %Y-%m-%d}: {local}")
