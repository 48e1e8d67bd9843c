import sys
import uuid

from django.conf import settings

from slotwise.accounts.models import Membership, Organization
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.core.verbs import Verb
from slotwise.imports import selectors, services
from slotwise.imports.calendly import CalendlyError
from slotwise.imports.models import Calendar, Connection

from ._util import dispatch, json_and_now


def _iso(dt):
    return None if dt is None else f"{dt:%Y-%m-%dT%H:%M:%SZ}"


def connection_row(c: Connection) -> dict:
    words = selectors.state_words(c)
    return {
        "id": str(c.uuid),
        "provider": c.provider,
        "organization": c.organization.slug,
        "user": c.membership.user.email,
        "method": c.method,
        "account_name": c.account_name,
        "account_email": c.account_email,
        "account_uri": c.account_user_uri,
        "state": c.state,
        "state_label": words["label"],
        "state_detail": c.state_detail,
        "plan": c.plan,
        "stage": c.stage,
        "webhooks_active": c.webhooks_active,
        "sync": words["sync"],
        "api_base": c.api_base,
        "calendars_selected": c.calendars.filter(selected=True).count(),
        "retry_at": _iso(c.retry_at),
        "last_success_at": _iso(c.last_success_at),
        "connected_at": _iso(c.connected_at),
    }


def calendar_row(cal: Calendar) -> dict:
    return {
        "uri": cal.uri,
        "uuid": cal.uri.rstrip("/").rsplit("/", 1)[-1],
        "slug": cal.scheduling_url.rstrip("/").rsplit("/", 1)[-1] if cal.scheduling_url else "",
        "name": cal.name,
        "kind": cal.kind,
        "kind_label": selectors.calendar_kind_words(cal),
        "pooling_type": cal.pooling_type or None,
        "selected": cal.selected,
        "imported_from": _iso(cal.imported_from),
        "deselected_at": _iso(cal.deselected_at),
        "delete_chosen_at": _iso(cal.delete_chosen_at),
        "gone_at": _iso(cal.gone_at),
    }


class Command(Verb):
    help = (
        "Connections to a Calendly account: `connections add calendly --org ORG --user EMAIL (--token TOKEN | "
        "--oauth) [--api-base URL]`, `list --org ORG`, `calendars ID`, `select ID CAL...`, "
        "`deselect ID CAL... [--delete-synced]`, `sync ID`, `remove ID [--delete-synced]`; --json on each. "
        "ID is the connection's id (a uuid, from `list`); CAL a Calendly event type URI, uuid or slug."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="connect a user's Calendly account in a sub-account")
        add.add_argument("provider", choices=["calendly"])
        add.add_argument("--org", required=True, help="the sub-account (organization slug)")
        add.add_argument("--user", required=True, help="the member's email: whose Calendly account this is")
        how = add.add_mutually_exclusive_group(required=True)
        how.add_argument("--token", help="a Calendly personal access token")
        how.add_argument(
            "--oauth",
            action="store_true",
            help="print the Calendly sign-in address for the user to open (signed in to Slotwise)",
        )
        add.add_argument("--api-base", help="Calendly's API base URL (default https://api.calendly.com)")
        listing = sub.add_parser("list", help="the sub-account's connections with their state")
        listing.add_argument("--org", required=True)
        cals = sub.add_parser("calendars", help="a connection's calendars (read from Calendly again first)")
        cals.add_argument("id")
        cals.add_argument("--no-refresh", action="store_true", help="show what is stored; do not ask Calendly")
        select = sub.add_parser(
            "select", help="import from these calendars (events created from now on); running it is the user's consent"
        )
        select.add_argument("id")
        select.add_argument("calendars", nargs="+", metavar="CAL")
        deselect = sub.add_parser("deselect", help="stop importing from these calendars")
        deselect.add_argument("id")
        deselect.add_argument("calendars", nargs="+", metavar="CAL")
        deselect.add_argument(
            "--delete-synced",
            action="store_true",
            help="also delete everything they synced, permanently (shared calendars: once every "
            "connected member chose to)",
        )
        sync = sub.add_parser("sync", help="sync now, showing progress")
        sync.add_argument("id")
        remove = sub.add_parser("remove", help="remove the connection (unsubscribes Calendly's webhook)")
        remove.add_argument("id")
        remove.add_argument(
            "--delete-synced", action="store_true", help="also delete everything it synced, permanently"
        )
        json_and_now(add, listing, cals, select, deselect, sync, remove)

    def handle(self, *args, action, **opts):
        dispatch(self, action, opts)

    def _say(self, opts, text: str) -> None:
        if not opts["json"]:
            self.stdout.write(text)

    def _connection(self, ident) -> Connection:
        try:
            key = uuid.UUID(ident)
        except ValueError:
            key = None
        conn = (
            key
            and Connection.objects.select_related("membership__user", "organization")
            .exclude(state=Connection.State.REMOVED)
            .filter(uuid=key)
            .first()
        )
        if not conn:
            raise NotFound(f"{ident}: no such connection; `slotwise connections list --org ORG` shows them")
        return conn

    def _add(self, opts, now):
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise NotFound(f"--org: no organization {opts['org']!r}")
        m = (
            Membership.objects.filter(organization=org, user__email=opts["user"].strip().lower())
            .select_related("user")
            .first()
        )
        if m is None:
            raise NotFound(f"--user: {opts['user']} is not a member of {org.slug}")
        if opts["oauth"]:
            conn, url = services.connection_oauth_start(
                membership=m,
                api_base=opts["api_base"],
                auth_base=None,
                now=now,
                redirect_uri=f"{settings.BASE_URL}/dashboard/connections/calendly/callback/",
            )
            self._say(opts, f"Open this address as {m.user.email} (signed in to Slotwise) and allow access:\n{url}")
            return {"id": str(conn.uuid), "state": conn.state, "authorize_url": url}
        conn = services.connection_add_token(membership=m, token=opts["token"], api_base=opts["api_base"], now=now)
        row = connection_row(conn)
        self._say(
            opts,
            f"connected {conn.account_email} ({conn.plan}, {conn.stage}) for {m.user.email} in {org.slug}: "
            f"id {conn.uuid}\nnext: slotwise connections calendars {conn.uuid}",
        )
        return row

    def _list(self, opts, now):
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise NotFound(f"--org: no organization {opts['org']!r}")
        rows = [
            connection_row(c)
            for c in Connection.objects.filter(organization=org)
            .exclude(state=Connection.State.REMOVED)
            .select_related("membership__user", "organization")
            .order_by("created_at")
        ]
        if not rows:
            self._say(opts, f"no connections in {org.slug}")
        for r in rows:
            detail = f" ({r['state_detail']})" if r["state_detail"] and r["state"] != "active" else ""
            self._say(
                opts,
                f"{r['id']}  {r['user']}  Calendly {r['account_email'] or '-'}  {r['state_label']}{detail}  "
                f"{r['calendars_selected']} calendar(s)  "
                f"{'webhooks' if r['webhooks_active'] else 'polling'}",
            )
        return rows

    def _calendars(self, opts, now):
        conn = self._connection(opts["id"])
        if not opts["no_refresh"]:
            try:
                services.calendars_refresh(connection=conn, now=now)
            except CalendlyError as exc:
                sys.stderr.write(f"Calendly could not be read ({exc.message}); showing the calendars last read\n")
        rows = [calendar_row(c) for c in selectors.calendars(conn)]
        for r in rows:
            mark = "[x]" if r["selected"] else "[ ]"
            since = f"  imported from {r['imported_from']}" if r["selected"] else ""
            gone = "  (no longer in Calendly)" if r["gone_at"] else ""
            self._say(opts, f"{mark} {r['name']}  {r['kind_label']}  {r['slug'] or r['uuid']}{since}{gone}")
        return rows

    def _select(self, opts, now):
        conn = self._connection(opts["id"])
        services.calendars_select(connection=conn, uris=opts["calendars"], consent=True, now=now)
        rows = [calendar_row(c) for c in selectors.calendars(conn) if c.selected]
        for r in rows:
            self._say(opts, f"importing from {r['name']}: events created from {r['imported_from']} on")
        return rows

    def _deselect(self, opts, now):
        conn = self._connection(opts["id"])
        deleted = 0
        for ident in opts["calendars"]:
            deleted += services.calendar_deselect(
                connection=conn, uri=ident, delete_synced=opts["delete_synced"], now=now
            )
        self._say(
            opts,
            f"stopped importing from {len(opts['calendars'])} calendar(s)"
            + (f"; {deleted} appointment(s) deleted permanently" if opts["delete_synced"] else ""),
        )
        return {"deselected": opts["calendars"], "deleted": deleted}

    def _sync(self, opts, now):
        conn = self._connection(opts["id"])
        if conn.state == Connection.State.PENDING:
            raise InvalidInput("This connection is not finished: sign in with Calendly first")
        from slotwise.imports import sync

        def progress(done: int, total: int) -> None:
            if not opts["json"]:
                sys.stderr.write(f"\r{done} of {total} events")
                sys.stderr.flush()

        run_ = sync.sync_connection(connection=conn, now=now, trigger="manual", progress=progress)
        if not opts["json"]:
            sys.stderr.write("\n")
        conn.refresh_from_db()
        out = {
            "id": str(conn.uuid),
            "state": conn.state,
            "state_detail": conn.state_detail,
            "done": run_.done,
            "total": run_.total,
            "outcome": run_.outcome,
        }
        self._say(opts, f"{run_.outcome or 'done'} ({selectors.state_words(conn)['label']})")
        return out

    def _remove(self, opts, now):
        conn = self._connection(opts["id"])
        deleted = services.connection_remove(connection=conn, delete_synced=opts["delete_synced"], now=now)
        self._say(
            opts,
            f"removed {conn.account_email or conn.uuid}"
            + (f"; {deleted} appointment(s) deleted permanently" if opts["delete_synced"] else ""),
        )
        return {"id": str(conn.uuid), "state": "removed", "deleted": deleted}
