"""Reads the doors share: which connections a member sees and acts on, their calendars, log and runs."""

from __future__ import annotations

import uuid as uuidlib

from django.db.models import Q, QuerySet

from slotwise.accounts.models import Membership
from slotwise.bookings.models import Booking
from slotwise.core.errors import NotFound

from .models import Calendar, Connection, ImportedEvent, SyncLogEntry, SyncRun

LIVE = ~Q(state=Connection.State.REMOVED)


def connections(membership: Membership) -> QuerySet[Connection]:
    """The live connections of the member's sub-account that they may see: their own, or all when admin."""
    qs = Connection.objects.filter(LIVE, organization_id=membership.organization_id).select_related("membership__user")
    if not membership.is_admin:
        qs = qs.filter(membership=membership)
    return qs.order_by("created_at", "pk")


def connection_for(*, membership: Membership, ident) -> Connection:
    """One of `connections(membership)` by its uuid; NotFound otherwise (never another sub-account's)."""
    try:
        key = uuidlib.UUID(str(ident))
    except ValueError:
        key = None
    conn = connections(membership).filter(uuid=key).first() if key else None
    if conn is None:
        raise NotFound("No such Calendly connection in this account")
    return conn


def oauth_started_by(*, user, state: str) -> bool:
    """Whether the Calendly sign-in `state` ("<connection uuid>.<nonce>") belongs to a connection of
    `user`: the callback's check when the sign-in was started elsewhere (`slotwise connections add
    calendly --oauth`) rather than in this browser session. The nonce itself is checked by the service."""
    ident = (state or "").partition(".")[0]
    try:
        key = uuidlib.UUID(ident)
    except ValueError:
        return False
    return Connection.objects.filter(LIVE, uuid=key, membership__user=user).exists()


def calendars(connection: Connection) -> list[Calendar]:
    """Personal first, then shared, by name; calendars Calendly no longer lists come last."""
    rows = Calendar.objects.filter(connection=connection)
    return sorted(rows, key=lambda c: (c.gone_at is not None, c.kind != Calendar.Kind.PERSONAL, c.name.lower(), c.pk))


def log(connection: Connection, *, limit: int = 50) -> list[SyncLogEntry]:
    return list(SyncLogEntry.objects.filter(connection=connection).order_by("-at", "-id")[:limit])


def latest_run(connection: Connection) -> SyncRun | None:
    return SyncRun.objects.filter(connection=connection).order_by("-started_at", "-pk").first()


def progress(run: SyncRun | None) -> dict | None:
    """A run as people read it: done of total (total unknown until the first page is counted), percent."""
    if run is None:
        return None
    percent = None
    if run.total:
        percent = min(100, round(100 * run.done / run.total))
    return {
        "run": run,
        "running": run.finished_at is None,
        "done": run.done,
        "total": run.total,
        "percent": percent,
        "outcome": run.outcome,
    }


STATE_WORDS: dict[str, str] = {
    Connection.State.PENDING: "Not finished: sign in with Calendly",
    Connection.State.ACTIVE: "Active",
    Connection.State.RETRYING: "Retrying",
    Connection.State.AUTH_FAILED: "Sign-in refused: connect again",
    Connection.State.STOPPED_FREE_PLAN: "Stopped: the Calendly plan is free",
    Connection.State.REMOVED: "Removed",
}


def state_words(connection: Connection) -> dict:
    """The state as the pages and the CLI say it: a label, what it means (state_detail), and whether it is
    a problem the user should look at."""
    return {
        "label": STATE_WORDS.get(str(connection.state), str(connection.state)),
        "detail": connection.state_detail,
        "ok": connection.state == Connection.State.ACTIVE,
        "sync": (
            "Near real time: Calendly webhooks, with a poll every few minutes"
            if connection.webhooks_active
            else "Polling every few minutes (Calendly webhooks are not available for this account)"
        ),
    }


POOLING_WORDS = {"round_robin": "round robin", "collective": "collective", "multi_pool": "multi-pool"}


def calendar_kind_words(calendar: Calendar) -> str:
    if calendar.kind == Calendar.Kind.PERSONAL:
        return "Personal"
    pooling = POOLING_WORDS.get(calendar.pooling_type)
    return f"Shared ({pooling})" if pooling else "Shared"


def deletion_votes(calendar_uri: str, organization_id: int) -> tuple[int, int]:
    """(members who chose to delete, members who connected it) for a shared calendar."""
    voters = Calendar.objects.filter(
        connection__organization_id=organization_id, uri=calendar_uri, consented_at__isnull=False
    )
    rows = list(voters.values_list("connection__membership_id", "delete_chosen_at", "selected"))
    members = {m for m, _, _ in rows}
    chose = {m for m, at, selected in rows if at is not None and not selected}
    return len(chose), len(members)


def deletion_notice(booking: Booking) -> str:
    """For a shared calendar's imported appointment some members chose to delete: "2 of 3 connected members
    chose to delete"; "" otherwise."""
    ie = ImportedEvent.objects.filter(booking=booking, shared=True).first()
    if ie is None:
        return ""
    chose, of = deletion_votes(ie.calendar_uri, ie.organization_id)
    return f"{chose} of {of} connected members chose to delete" if chose else ""
