from slotwise.accounts.models import Organization
from slotwise.contacts.selectors import contact_list
from slotwise.core.errors import NotFound
from slotwise.core.verbs import Verb

from ._util import dispatch, iso, json_and_now


def organization(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise NotFound(f"--org: no organization {slug!r}")
    return org


class Command(Verb):
    help = (
        "Contacts: `contacts list --org ORG [--search TEXT]`, each with its assigned user (the host of their "
        "latest appointment); --json"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the organization's contacts, most recently booked first")
        listing.add_argument("--org", required=True, help="the organization (sub-account) slug")
        listing.add_argument("--search", default="", help="only contacts whose email or name contains this")
        json_and_now(listing)

    def handle(self, *args, action, **opts):
        dispatch(self, action, opts)

    def _list(self, opts, now):
        rows = [
            {
                "email": c.email,
                "name": c.name,
                "phone": c.phone,
                "timezone": c.timezone,
                "assigned_user": c.owner.user.email if c.owner else None,
                "bookings_count": c.bookings_count,
                "last_booked_at": iso(c.last_booked_at),
                "answers": c.answers,
            }
            for c in contact_list(organization=organization(opts["org"]), query=opts["search"])
        ]
        if not opts["json"]:
            for r in rows:
                self.stdout.write(
                    f"{r['email']}\t{r['name']}\t{r['phone'] or '-'}\tassigned to "
                    f"{r['assigned_user'] or 'nobody'}\t{r['bookings_count']} booking(s)"
                )
            self.stderr.write(f"{len(rows)} contact(s)")
        return rows
