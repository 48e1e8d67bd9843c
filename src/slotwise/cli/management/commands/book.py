from slotwise.accounts.models import Membership
from slotwise.bookings import recurring
from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import InvalidInput
from slotwise.core.instants import parse_instant
from slotwise.core.verbs import Verb

from ._util import event_from_path, now_from, run


class Command(Verb):
    help = "Book a time through the same service the pages and the API use; prints the booking uid."

    def add_arguments(self, parser):
        parser.add_argument("path", help="ORG/HOST/EVENT or ORG/team/TEAM/EVENT")
        parser.add_argument("--start", required=True, help="UTC instant, e.g. 2026-03-09T14:00:00Z")
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--tz", required=True, help="the invitee's IANA zone")
        parser.add_argument("--host", help="round-robin: book this host (slug)")
        parser.add_argument("--duration", type=int)
        parser.add_argument("--answer", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--now", help="freeze the clock (ISO instant with Z)")

    def handle(self, *args, **opts):
        invitee = run(lambda: self._book(opts))
        b = invitee.booking
        self.stdout.write(str(b.uid))
        self.stderr.write(
            f"booked {b.event_type.name} with {b.host.user.name or b.host.slug} "
            f"{b.start:%Y-%m-%dT%H:%M:%SZ}–{b.end:%H:%MZ} for {invitee.email}"
        )
        if b.series_id:
            starts = list(b.series.occurrences.order_by("start").values_list("start", flat=True))
            self.stderr.write(
                f"the first of a series of {len(starts)}: " + ", ".join(f"{s:%Y-%m-%dT%H:%MZ}" for s in starts)
            )

    def _book(self, opts):
        et = event_from_path(opts["path"])
        answers = {}
        for pair in opts["answer"]:
            if "=" not in pair:
                raise InvalidInput(f"--answer {pair!r}: use KEY=VALUE", field="--answer")
            k, v = pair.split("=", 1)
            answers[k] = v
        host = None
        if opts["host"]:
            host = Membership.objects.filter(organization=et.organization, slug=opts["host"]).first()
            if host is None:
                raise InvalidInput(f"--host: {opts['host']!r} is not a host of {et.organization.slug}", field="host")
        kwargs = dict(
            event_type=et,
            start=parse_instant(opts["start"], field="--start"),
            invitee=InviteeInput(name=opts["name"], email=opts["email"], timezone=opts["tz"], answers=answers),
            now=now_from(opts["now"]),
            source=Booking.Source.CLI,
            host=host,
        )
        if recurring.is_recurring(et):
            # The whole series, as the booking page and the API book it (one duration: the event type's).
            if opts["duration"]:
                raise InvalidInput("--duration: a series is booked at the event type's own duration", field="duration")
            return recurring.recurring_booking_create(**kwargs).first
        return booking_create(**kwargs, duration_minutes=opts["duration"])
