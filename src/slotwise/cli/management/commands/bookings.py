from slotwise.bookings.models import Booking
from slotwise.core.verbs import Verb

from ._util import dispatch, iso, json_and_now
from .contacts import organization


class Command(Verb):
    help = "Bookings: `bookings list --org ORG [--source import] [--status S]`, by start; --json"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the organization's bookings (appointments), by start")
        listing.add_argument("--org", required=True, help="the organization (sub-account) slug")
        listing.add_argument("--source", choices=Booking.Source.values, help="e.g. import: those from Calendly")
        listing.add_argument("--status", choices=Booking.Status.values)
        json_and_now(listing)

    def handle(self, *args, action, **opts):
        dispatch(self, action, opts)

    def _list(self, opts, now):
        qs = (
            Booking.objects.filter(organization=organization(opts["org"]))
            .select_related("event_type", "host__user", "rescheduled_from")
            .prefetch_related("invitees")
            .order_by("start", "pk")
        )
        if opts["source"]:
            qs = qs.filter(source=opts["source"])
        if opts["status"]:
            qs = qs.filter(status=opts["status"])
        rows = [
            {
                "uid": str(b.uid),
                "start": iso(b.start),
                "end": iso(b.end),
                "status": b.status,
                "source": b.source,
                "event_type": b.event_type.name,
                "owner": b.host.user.email,
                "invitees": [{"name": i.name, "email": i.email, "status": i.status} for i in b.invitees.all()],
                "rescheduled_from": str(b.rescheduled_from.uid) if b.rescheduled_from_id else None,
            }
            for b in qs
        ]
        if not opts["json"]:
            for r in rows:
                who = ", ".join(i["email"] for i in r["invitees"]) or "-"
                self.stdout.write(
                    f"{r['start']}\t{r['status']}\t{r['source']}\t{r['event_type']}\towner {r['owner']}\t{who}"
                )
            self.stderr.write(f"{len(rows)} booking(s)")
        return rows
