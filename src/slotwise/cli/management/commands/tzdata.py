"""`slotwise tzdata check [--json] [--now T]`: the upcoming bookings whose host-local or invitee-local wall
time moved under the tzdata loaded now (bookings/tzdata.py has the policy)."""

import json as jsonlib

from django.core.management.base import CommandError

from slotwise.bookings import tzdata
from slotwise.core.verbs import Verb

from ._util import now_from


class Command(Verb):
    help = "tzdata check: list upcoming bookings whose local wall time a time-zone rule change moved."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check"], help="check: list the bookings (nothing is changed)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
        parser.add_argument("--now", help="the instant to count 'upcoming' from (default: now)")

    def handle(self, *args, action, json: bool = False, now=None, **opts):
        try:
            at = now_from(now)
        except Exception as exc:  # noqa: BLE001 - InvalidInput: say it as a command error
            raise CommandError(getattr(exc, "message", str(exc))) from None
        pending = [
            {
                "booking": str(b.uid),
                "event": b.event_type.name,
                "start": m[0].start,
                "status": "pending",
                "booked_tzdata": b.tzdata_version,
                "moves": [x.as_dict() for x in m],
            }
            for b, m in tzdata.check(now=at)
        ]
        done = [
            {
                "booking": str(b.uid),
                "event": b.event_type.name,
                "start": f"{b.start:%Y-%m-%dT%H:%MZ}",
                "status": "notified",
                "booked_tzdata": b.tzdata_version,
                "notice": b.tzdata_notice,
            }
            for b in tzdata.flagged(now=at)
        ]
        rows = pending + done
        if json:
            self.stdout.write(_dumps({"tzdata": tzdata.current_version(), "bookings": rows}))
            return
        self.stdout.write(
            f"tzdata {tzdata.current_version()}: {len(pending)} booking(s) moved and not yet "
            f"notified, {len(done)} flagged and notified"
        )
        for r in pending:
            for m in r["moves"]:
                self.stdout.write(f"  {r['booking']}  {r['event']}: {tzdata.Moved(**m).sentence()}")
        for r in done:
            self.stdout.write(f"  {r['booking']}  {r['event']}: {r['notice']} (notified)")


def _dumps(value) -> str:
    return jsonlib.dumps(value, indent=2, ensure_ascii=False)
