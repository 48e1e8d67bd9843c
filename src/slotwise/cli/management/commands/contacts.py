"""`slotwise contacts list --org ORG [--json]`: an organization's contacts, each with its assigned user
(Contact.owner: the host of the contact's latest booking)."""

import json as jsonlib

from django.core.management.base import BaseCommand

from slotwise.contacts.selectors import contact_list

from ._util import iso, organization_from, run


def contact_dict(c) -> dict:
    owner = c.owner
    return {
        "email": c.email, "name": c.name, "timezone": c.timezone, "bookings": c.bookings_count,
        "first_seen_at": iso(c.first_seen_at), "last_booked_at": iso(c.last_booked_at),
        "assigned_user": {"email": owner.user.email, "name": owner.user.name, "slug": owner.slug} if owner else None,
    }


class Command(BaseCommand):
    help = "contacts list --org ORG [--json]: the organization's contacts with each one's assigned user."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list"], help="list: print the contacts (nothing is changed)")
        parser.add_argument("--org", required=True, help="the organization (or sub-account) slug; only its contacts")
        parser.add_argument("--json", action="store_true", help="print JSON instead of lines")

    def handle(self, *args, action, org, json=False, **opts):
        organization = run(lambda: organization_from(org))
        rows = [contact_dict(c) for c in contact_list(organization=organization)]
        if json:
            self.stdout.write(jsonlib.dumps({"organization": organization.slug, "contacts": rows}, indent=2,
                                            ensure_ascii=False))
            return
        self.stdout.write(f"{organization.slug}: {len(rows)} contact(s)")
        for r in rows:
            who = f"assigned to {r['assigned_user']['email']}" if r["assigned_user"] else "no assigned user"
            self.stdout.write(f"  {r['email']:<32} {r['name'] or '-':<24} {r['bookings']:>3} booking(s)  {who}")
