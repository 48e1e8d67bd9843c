"""`slotwise bookings list --org ORG [--source SOURCE] [--json]`: an organization's bookings, newest first;
SOURCE is Booking.source (page, api, single_use, import, cli)."""

import json as jsonlib

from django.core.management.base import BaseCommand

from slotwise.bookings.models import Booking
from slotwise.bookings.selectors import booking_list

from ._util import iso, organization_from, run


def booking_dict(b) -> dict:
    return {
        "uid": str(b.uid), "event_type": b.event_type.name, "event_path": b.event_type.path,
        "host": {"email": b.host.user.email, "name": b.host.user.name, "slug": b.host.slug},
        "start": iso(b.start), "end": iso(b.end), "timezone": b.timezone, "status": b.status, "source": b.source,
        "invitees": [{"name": i.name, "email": i.email, "status": i.status} for i in b.invitees.all()],
        "created_at": iso(b.created_at),
    }


class Command(BaseCommand):
    help = "bookings list --org ORG [--source SOURCE] [--json]: the organization's bookings, newest first."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list"], help="list: print the bookings (nothing is changed)")
        parser.add_argument("--org", required=True, help="the organization (or sub-account) slug; only its bookings")
        parser.add_argument("--source", choices=Booking.Source.values,
                            help="only bookings made this way (import: brought in from a connected account)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of lines")

    def handle(self, *args, action, org, source=None, json=False, **opts):
        organization = run(lambda: organization_from(org))
        rows = [booking_dict(b) for b in booking_list(organization_id=organization.pk, source=source)]
        if json:
            self.stdout.write(jsonlib.dumps({"organization": organization.slug, "source": source, "bookings": rows},
                                            indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"{organization.slug}: {len(rows)} booking(s)" + (f" from {source}" if source else ""))
        for r in rows:
            who = ", ".join(i["email"] for i in r["invitees"]) or "no invitees"
            self.stdout.write(f"  {r['start']}  {r['event_type']:<24} {r['status']:<11} {r['source']:<10} "
                              f"host {r['host']['email']}  {who}")
