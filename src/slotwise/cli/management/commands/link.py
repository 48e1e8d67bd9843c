import re

from django.conf import settings

from slotwise.accounts.models import Membership, Organization
from slotwise.bookings import links
from slotwise.bookings.models import SingleUseLink
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.core.verbs import Verb

from ._util import dispatch, event_from_path, iso, json_and_now

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def link_row(link: SingleUseLink, now) -> dict:
    et = link.event_type
    return {
        "uuid": str(link.uuid),
        "url": f"{settings.BASE_URL}/d/{link.token}/",
        "event_type": et.path.strip("/"),
        "state": link.state(now),
        "max_event_count": link.max_event_count,
        "uses": link.uses,
        "expires_at": iso(link.expires_at),
        "created_at": iso(link.created_at),
        "revoked_at": iso(link.revoked_at),
        "created_by": link.created_by.user.email if link.created_by else None,
        "prefill": {"name": link.prefill_name, "email": link.prefill_email, "reference": link.reference},
        "bookings": [str(b.uid) for b in link.bookings.order_by("created_at")],
    }


class Command(Verb):
    help = (
        "Single-use links: `link create ORG/HOST/EVENT [--expires 7d] [--name N] [--email E] [--ref R]`, "
        "`link list ORG[/HOST/EVENT] [--by EMAIL] [--state S]`, `link revoke UUID|URL`; --json on each"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a single-use link and print its URL")
        create.add_argument("path", help="ORG/HOST/EVENT or ORG/team/TEAM/EVENT")
        create.add_argument("--expires", help="7d, 24h, 90m, or an instant such as 2026-03-09T17:00:00Z")
        create.add_argument("--name", default="", help="prefill the invitee's name")
        create.add_argument("--email", default="", help="prefill the invitee's email")
        create.add_argument("--ref", default="", help="a reference such as a ticket number, shown to the host")
        create.add_argument("--max", type=int, default=1, dest="max_event_count", help="bookings allowed (default 1)")
        create.add_argument("--by", help="the sender's email (a host of the event type); default: none")
        listing = sub.add_parser("list", help="list links, newest first")
        listing.add_argument("path", help="ORG, or ORG/HOST/EVENT or ORG/team/TEAM/EVENT for one event type")
        listing.add_argument("--by", help="only links sent by this email")
        listing.add_argument("--state", choices=SingleUseLink.State.values)
        revoke = sub.add_parser("revoke", help="revoke a link: it books nothing any more")
        revoke.add_argument("link", help="the link's uuid, or its URL")
        revoke.add_argument("--by", help="who revokes (email); default: the operator")
        json_and_now(create, listing, revoke)

    def handle(self, *args, action, **opts):
        dispatch(self, action, opts)

    def _member(self, email, organization):
        if not email:
            return None
        m = Membership.objects.filter(organization=organization, user__email=email.strip().lower()).first()
        if m is None:
            raise NotFound(f"--by: {email} is not a member of {organization.slug}")
        return m

    def _create(self, opts, now):
        et = event_from_path(opts["path"])
        link = links.link_create(
            event_type=et,
            created_by=self._member(opts["by"], et.organization),
            now=now,
            max_event_count=opts["max_event_count"],
            expires_at=links.parse_expiry(opts["expires"], now=now),
            prefill_name=opts["name"],
            prefill_email=opts["email"],
            reference=opts["ref"],
        )
        row = link_row(link, now)
        if not opts["json"]:
            self.stdout.write(row["url"])
            self.stderr.write(
                f"single-use link {link.uuid} for {et.name}"
                + (f", expires {row['expires_at']}" if link.expires_at else "")
            )
        return row

    def _list(self, opts, now):
        parts = [p for p in opts["path"].strip("/").split("/") if p]
        if len(parts) == 1:
            organization = Organization.objects.filter(slug=parts[0]).first()
            if organization is None:
                raise NotFound(f"{parts[0]}: no such organization")
            et = None
        else:
            et = event_from_path(opts["path"])
            organization = et.organization
        qs = links.link_list(
            membership=None,
            organization=organization,
            now=now,
            event_type=et,
            created_by=self._member(opts["by"], organization),
            state=opts["state"],
        )
        rows = [link_row(link, now) for link in qs[:500]]
        if not opts["json"]:
            if not rows:
                self.stderr.write("no links")
            for r in rows:
                extra = " ".join(
                    x
                    for x in (
                        r["prefill"]["reference"] and f"ref={r['prefill']['reference']}",
                        r["expires_at"] and f"expires={r['expires_at']}",
                    )
                    if x
                )
                self.stdout.write(f"{r['uuid']}  {r['state']:<8} {r['event_type']}  {r['url']}  {extra}".rstrip())
        return rows

    def _revoke(self, opts, now):
        found = _UUID.search(opts["link"])
        if found:
            link = links.link_get(membership=None, uuid=found.group(0).lower())
        else:
            token = opts["link"].rstrip("/").rsplit("/", 1)[-1]
            link = SingleUseLink.objects.filter(token=token).first()
            if link is None:
                raise InvalidInput(f"{opts['link']!r}: give the link's uuid (slotwise link list) or its URL")
        by = self._member(opts["by"], link.event_type.organization)
        link = links.link_revoke(link=link, by=by, now=now)
        if not opts["json"]:
            self.stdout.write(f"revoked {link.uuid}")
        return link_row(link, now)
