"""The connection layer: connecting a Calendly account (personal access token or OAuth with PKCE),
listing and choosing its calendars, webhooks, the plan check, removing. Every door (dashboard, CLI,
tests) calls these; turning remote events into appointments is imports/sync.py.

Calendly is called outside our transactions (a slow Calendly never holds a lock on our rows); what it
answered is then written in one transaction, after the limits are checked again under a lock:

- one Calendly account per user per sub-account (a second, different account is refused; the same account
  again is a reconnect of the existing connection);
- a Calendly account connected by one user cannot be connected by a different user in any sub-account;
  the same user may connect it in several.

States (Connection.State) and the words beside them (state_detail) are set here, by connection_failed /
connection_succeeded / check_plan, for every caller including the poll."""

from __future__ import annotations

import contextlib
import secrets
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db import transaction

from slotwise.accounts.models import Membership
from slotwise.core import outbound
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.core.secrets import seal, unseal
from slotwise.jobs import services as jobs

from . import oauth
from .calendly import (
    CalendlyAuthError,
    CalendlyClient,
    CalendlyError,
    CalendlyRateLimited,
)
from .models import Calendar, Connection, SyncLogEntry
from .selectors import LIVE

WEBHOOK_EVENTS = ["invitee.created", "invitee.canceled"]
OAUTH_PENDING_FOR = timedelta(minutes=30)
FREE_PLAN = "stopped: the Calendly plan is free"
FREE_PLAN_REFUSED = (
    "This Calendly account is on Calendly's free plan. Importing needs a Standard, Teams or Enterprise plan "
    "(a trial works): upgrade the plan in Calendly, then connect again."
)


# ---- states -------------------------------------------------------------------------------------------


def is_free(*, plan: str, stage: str) -> bool:
    """Calendly's organization `stage` is trial | free | paid and `plan` basic (the free plan) | essentials |
    professional | teams | enterprise. A trial works whatever its plan; an ended trial becomes stage free."""
    if stage == "trial":
        return False
    return stage == "free" or plan == "basic"


def _save_state(conn: Connection, **fields) -> Connection:
    for name, value in fields.items():
        setattr(conn, name, value)
    # Never bring a removed connection back: a poll that ends after connection_remove only records nothing.
    Connection.objects.filter(pk=conn.pk).filter(LIVE).update(**fields)
    return conn


def connection_failed(*, connection: Connection, error: CalendlyError, now: datetime) -> Connection:
    """What a Calendly error means for the connection: a refused token is AUTH_FAILED (the user must connect
    again); a 429, a 5xx or no answer is RETRYING at retry_at, on jobs.services.backoff, or later if
    Calendly's Retry-After asks for longer. Other refusals (4xx) also retry, saying what Calendly said."""
    if isinstance(error, CalendlyAuthError):
        return _save_state(
            connection,
            state=Connection.State.AUTH_FAILED,
            retry_at=None,
            failures=connection.failures + 1,
            state_detail=f"Calendly refused the sign-in: {error.message}"[:500],
        )
    failures = connection.failures + 1
    wait = jobs.backoff(failures)
    if isinstance(error, CalendlyRateLimited):
        wait = max(wait, timedelta(seconds=error.retry_after))
    retry_at = now + wait
    return _save_state(
        connection,
        state=Connection.State.RETRYING,
        failures=failures,
        retry_at=retry_at,
        state_detail=f"{error.message} (attempt {failures}; next try at {retry_at:%Y-%m-%d %H:%M} UTC)"[:500],
    )


def connection_succeeded(*, connection: Connection, now: datetime) -> Connection:
    """A call went through: RETRYING and AUTH_FAILED are over (a stopped free plan stays stopped until
    check_plan sees another plan)."""
    fields: dict[str, object] = {"failures": 0, "retry_at": None, "last_success_at": now}
    if connection.state in (Connection.State.RETRYING, Connection.State.AUTH_FAILED):
        fields.update(state=Connection.State.ACTIVE, state_detail="")
    return _save_state(connection, **fields)


def check_plan(*, connection: Connection, now: datetime, client: CalendlyClient | None = None) -> bool:
    """Read the Calendly organization's plan and stage; True when syncing may go on. Every poll calls it.

    Free -> STOPPED_FREE_PLAN "stopped: the Calendly plan is free" (sync stops); a paid plan or a trial
    again -> ACTIVE. A Calendly error is recorded with connection_failed and gives False."""
    if connection.state == Connection.State.REMOVED:
        return False
    client = client or CalendlyClient(connection, now=now)
    try:
        organization = client.organization(connection.account_organization_uri or client.me()["current_organization"])
    except CalendlyError as exc:
        connection_failed(connection=connection, error=exc, now=now)
        return False
    plan, stage = organization.get("plan") or "", organization.get("stage") or ""
    fields = {"plan": plan, "stage": stage, "last_polled_at": now}
    if is_free(plan=plan, stage=stage):
        if connection.state != Connection.State.STOPPED_FREE_PLAN:
            _log(connection, SyncLogEntry.Action.SKIPPED, now, "Sync stopped: the Calendly plan is free")
        _save_state(connection, state=Connection.State.STOPPED_FREE_PLAN, state_detail=FREE_PLAN, **fields)
        return False
    if connection.state == Connection.State.STOPPED_FREE_PLAN:
        _log(connection, SyncLogEntry.Action.UPDATED, now, f"Sync resumed: the Calendly plan is now {plan} ({stage})")
        fields.update(state=Connection.State.ACTIVE, state_detail="")
    _save_state(connection, **fields)
    connection_succeeded(connection=connection, now=now)
    return connection.state == Connection.State.ACTIVE


def _log(conn: Connection, action: str, now: datetime, detail: str, event_uri: str = "") -> None:
    SyncLogEntry.objects.create(connection=conn, at=now, action=action, event_uri=event_uri, detail=detail[:1000])


# ---- connecting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Account:
    user: dict
    organization: dict


def _api_base(api_base: str | None) -> str:
    base = (api_base or getattr(settings, "SLOTWISE_CALENDLY_API_BASE", "") or "https://api.calendly.com").strip()
    return outbound.check_url(base, purpose="Calendly API base URL", field="api_base").rstrip("/")


def _auth_base(auth_base: str | None) -> str:
    base = (auth_base or getattr(settings, "SLOTWISE_CALENDLY_AUTH_BASE", "") or "https://auth.calendly.com").strip()
    return outbound.check_url(base, purpose="Calendly sign-in URL", field="auth_base").rstrip("/")


def _read_account(conn: Connection, now: datetime, *, field: str | None) -> _Account:
    """Who the token belongs to and their organization's plan; a free plan is refused here."""
    client = CalendlyClient(conn, now=now)
    try:
        user = client.me()
        organization = client.organization(user["current_organization"])
    except CalendlyAuthError as exc:
        raise CalendlyAuthError(f"Calendly did not accept this sign-in: {exc.message}", field=field) from None
    except KeyError:
        raise CalendlyError("Calendly's answer for the user has no current_organization") from None
    if is_free(plan=organization.get("plan") or "", stage=organization.get("stage") or ""):
        raise PermissionDenied(FREE_PLAN_REFUSED)
    return _Account(user=user, organization=organization)


def _lock_account(account_user_uri: str) -> None:
    """Serialise connects of one Calendly account across sub-accounts. PostgreSQL: a transaction-scoped
    advisory lock on the URI; SQLite: transactions are BEGIN IMMEDIATE (settings), so writers queue already."""
    if db.vendor == "postgresql":
        with db.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"slotwise.imports:{account_user_uri}"])


def _check_limits(*, membership: Membership, account_user_uri: str, reuse: Connection | None) -> Connection | None:
    """The two limits, checked inside the caller's transaction after _lock_account. Returns the live
    connection of this user here to reconnect (same Calendly account), if any."""
    others = (
        Connection.objects.filter(LIVE, account_user_uri=account_user_uri)
        .exclude(membership__user_id=membership.user_id)
        .exclude(state=Connection.State.PENDING)
    )
    if others.exists():
        raise Conflict(
            "This Calendly account is already connected by another user. A Calendly account can be connected "
            "by one user only (that user may connect it in several sub-accounts)."
        )
    mine_qs = Connection.objects.select_for_update().filter(
        LIVE, organization_id=membership.organization_id, membership=membership, provider=Connection.Provider.CALENDLY
    )
    if reuse is not None:
        mine_qs = mine_qs.exclude(pk=reuse.pk)
    mine = mine_qs.first()
    existing = reuse if reuse is not None and reuse.account_user_uri else mine
    if existing is not None and existing.account_user_uri and existing.account_user_uri != account_user_uri:
        raise Conflict(
            f"You have already connected the Calendly account {existing.account_email or existing.account_name} in "
            "this sub-account; each user connects one Calendly account per sub-account. Remove it first to "
            "connect another."
        )
    return mine


def _connected(conn: Connection, account: _Account, *, method: str, secret: dict, now: datetime) -> Connection:
    user, organization = account.user, account.organization
    conn.method = method
    conn.secret = seal(secret)
    conn.account_user_uri = user["uri"]
    conn.account_organization_uri = user.get("current_organization") or organization.get("uri", "")
    conn.account_name = (user.get("name") or "")[:200]
    conn.account_email = user.get("email") or ""
    conn.plan = organization.get("plan") or ""
    conn.stage = organization.get("stage") or ""
    conn.state = Connection.State.ACTIVE
    conn.state_detail = ""
    conn.failures = 0
    conn.retry_at = None
    conn.connected_at = conn.connected_at or now
    conn.last_success_at = now
    conn.save()
    return conn


def connection_add_token(
    *, membership: Membership, token: str, api_base: str | None = None, now: datetime
) -> Connection:
    """Connect with a personal access token (Calendly: Integrations -> API and webhooks). The same account
    again reconnects the existing connection with the new token. Then lists the calendars."""
    token = (token or "").strip()
    if not token:
        raise InvalidInput("Paste a Calendly personal access token", field="token")
    if len(token) > 4000:
        raise InvalidInput("That is not a Calendly personal access token (too long)", field="token")
    probe = Connection(
        organization=membership.organization,
        membership=membership,
        method=Connection.Method.TOKEN,
        api_base=_api_base(api_base),
        secret=seal({"access_token": token}),
    )
    account = _read_account(probe, now, field="token")
    with transaction.atomic():
        _lock_account(account.user["uri"])
        existing = _check_limits(membership=membership, account_user_uri=account.user["uri"], reuse=None)
        conn = existing or probe
        conn.api_base = probe.api_base
        conn = _connected(conn, account, method=Connection.Method.TOKEN, secret={"access_token": token}, now=now)
        _log(
            conn,
            SyncLogEntry.Action.UPDATED,
            now,
            f"Connected Calendly account {conn.account_email} with a personal access token",
        )
    _refresh_after_connect(conn, now)
    return conn


def connection_oauth_start(
    *,
    membership: Membership,
    api_base: str | None = None,
    auth_base: str | None = None,
    redirect_uri: str,
    now: datetime,
) -> tuple[Connection, str]:
    """Begin Calendly's OAuth: a PENDING connection (or this user's existing one, to reconnect) holds the
    PKCE verifier and state, sealed; the user is sent to the returned authorize URL."""
    if not oauth.configured():
        raise InvalidInput(
            "Calendly sign-in is not set up on this server (SLOTWISE_CALENDLY_CLIENT_ID and "
            "SLOTWISE_CALENDLY_CLIENT_SECRET); connect with a personal access token instead"
        )
    api, auth = _api_base(api_base), _auth_base(auth_base)
    verifier, nonce = oauth.new_verifier(), secrets.token_urlsafe(24)
    pending = {
        "code_verifier": verifier,
        "state": nonce,
        "redirect_uri": redirect_uri,
        "started_at": now.isoformat(),
        "api_base": api,
        "auth_base": auth,
    }
    with transaction.atomic():
        conn = (
            Connection.objects.select_for_update()
            .filter(
                LIVE,
                organization_id=membership.organization_id,
                membership=membership,
                provider=Connection.Provider.CALENDLY,
            )
            .first()
        )
        if conn is None:
            conn = Connection.objects.create(
                organization=membership.organization,
                membership=membership,
                method=Connection.Method.OAUTH,
                api_base=api,
                auth_base=auth,
                state=Connection.State.PENDING,
                secret=seal({"pending": pending}),
            )
        else:
            Connection.objects.filter(pk=conn.pk).update(secret=seal({**unseal(conn.secret), "pending": pending}))
    state = f"{conn.uuid}.{nonce}"
    return conn, oauth.authorize_url(auth_base=auth, redirect_uri=redirect_uri, state=state, verifier=verifier)


def _pending_for(state: str, now: datetime) -> tuple[Connection, dict, dict]:
    stale = InvalidInput("This Calendly sign-in is no longer valid (used, expired or started elsewhere); start again")
    ident, _, nonce = (state or "").partition(".")
    try:
        conn = (
            Connection.objects.filter(LIVE).select_related("membership", "organization").get(uuid=uuidlib.UUID(ident))
        )
    except (ValueError, Connection.DoesNotExist):
        raise stale from None
    stored = unseal(conn.secret)
    pending = stored.get("pending") or {}
    if not nonce or not secrets.compare_digest(nonce, pending.get("state", "")):
        raise stale
    if datetime.fromisoformat(pending["started_at"]) + OAUTH_PENDING_FOR < now:
        raise stale
    return conn, stored, pending


def connection_oauth_finish(*, state: str, code: str, now: datetime) -> Connection:
    """Calendly sent the user back with ?code=&state=: exchange the code (with the PKCE verifier), read the
    account and its plan, check the limits, and the connection is ACTIVE. A refusal leaves no new row."""
    conn, stored, pending = _pending_for(state, now)
    if not code:
        raise InvalidInput("Calendly did not send an authorization code; start again")
    tokens = oauth.exchange_code(
        auth_base=pending["auth_base"],
        code=code,
        redirect_uri=pending["redirect_uri"],
        verifier=pending["code_verifier"],
        now=now,
    )
    secret = {k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}
    probe = Connection(
        pk=conn.pk,
        organization=conn.organization,
        membership=conn.membership,
        method=Connection.Method.OAUTH,
        api_base=pending["api_base"],
        auth_base=pending["auth_base"],
        secret=seal(secret),
    )
    try:
        account = _read_account(probe, now, field=None)
        with transaction.atomic():
            _lock_account(account.user["uri"])
            row = Connection.objects.select_for_update().get(pk=conn.pk)
            _check_limits(membership=conn.membership, account_user_uri=account.user["uri"], reuse=row)
            row.api_base, row.auth_base = pending["api_base"], pending["auth_base"]
            conn = _connected(row, account, method=Connection.Method.OAUTH, secret=secret, now=now)
            _log(
                conn,
                SyncLogEntry.Action.UPDATED,
                now,
                f"Connected Calendly account {conn.account_email} (signed in with Calendly)",
            )
    except (CalendlyError, Conflict, PermissionDenied):
        oauth.revoke(auth_base=pending["auth_base"], token=tokens.get("refresh_token") or tokens["access_token"])
        _abandon_pending(conn.pk, stored)
        raise
    _refresh_after_connect(conn, now)
    return conn


def _abandon_pending(pk: int, stored: dict) -> None:
    """A refused OAuth finish: a connection that never connected goes; a reconnect keeps what it had."""
    with transaction.atomic():
        row = Connection.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            return
        if row.state == Connection.State.PENDING and row.connected_at is None:
            row.delete()
        else:
            Connection.objects.filter(pk=pk).update(secret=seal({k: v for k, v in stored.items() if k != "pending"}))


def _refresh_after_connect(conn: Connection, now: datetime) -> None:
    # A failure is recorded on the connection by calendars_refresh; the page says so and offers a retry.
    with contextlib.suppress(CalendlyError):
        calendars_refresh(connection=conn, now=now)
    if conn.calendars.filter(selected=True).exists():  # a reconnect: the polls stopped at AUTH_FAILED
        _schedule_poll(conn, now)


# ---- calendars ----------------------------------------------------------------------------------------


def _kind(event_type: dict) -> str:
    """Personal: a one-on-one or group event type of the user alone. Shared: round robin, collective (a
    pooling type), or an event type of a team profile."""
    profile = event_type.get("profile") or {}
    if event_type.get("pooling_type") or profile.get("type") == "Team":
        return Calendar.Kind.SHARED
    return Calendar.Kind.PERSONAL


def calendars_refresh(*, connection: Connection, now: datetime) -> list[Calendar]:
    """List the calendars of the connected account: the event types the user hosts or is a pool member of
    (Calendly's GET /event_types?user=), personal and shared. New ones are added (not selected); vanished
    ones are marked gone_at (their imported appointments stay). Returns the live calendars, by name."""
    _live(connection)
    client = CalendlyClient(connection, now=now)
    try:
        listed = [e for e in client.event_types(user=connection.account_user_uri) if not e.get("deleted_at")]
    except CalendlyError as exc:
        connection_failed(connection=connection, error=exc, now=now)
        raise
    connection_succeeded(connection=connection, now=now)
    with transaction.atomic():
        existing = {c.uri: c for c in Calendar.objects.select_for_update().filter(connection=connection)}
        seen = set()
        for et in listed:
            uri = et.get("uri")
            if not uri or uri in seen:
                continue
            seen.add(uri)
            fields = {
                "name": (et.get("name") or et.get("slug") or "Untitled")[:200],
                "kind": _kind(et),
                "pooling_type": (et.get("pooling_type") or "")[:20],
                "scheduling_url": (et.get("scheduling_url") or "")[:500],
                "gone_at": None,
            }
            cal = existing.get(uri)
            if cal is None:
                Calendar.objects.create(connection=connection, uri=uri, **fields)
            elif any(getattr(cal, k) != v for k, v in fields.items()):
                if cal.gone_at is not None:
                    _log(
                        connection,
                        SyncLogEntry.Action.UPDATED,
                        now,
                        f"Calendar {fields['name']} is listed by Calendly again",
                    )
                Calendar.objects.filter(pk=cal.pk).update(**fields)
        for uri, cal in existing.items():
            if uri not in seen and cal.gone_at is None:
                Calendar.objects.filter(pk=cal.pk).update(gone_at=now)
                _log(
                    connection,
                    SyncLogEntry.Action.SKIPPED,
                    now,
                    f"Calendar {cal.name} is no longer listed by Calendly: nothing more is imported from it; "
                    "what was imported stays",
                    event_uri="",
                )
    return list(Calendar.objects.filter(connection=connection, gone_at__isnull=True).order_by("kind", "name", "pk"))


def _live(connection: Connection) -> None:
    if connection.state == Connection.State.REMOVED:
        raise InvalidInput("This Calendly connection was removed; connect the account again")
    if connection.state == Connection.State.PENDING:
        raise InvalidInput("This Calendly connection is not finished: sign in with Calendly first")


def _calendar(connection: Connection, ident: str) -> Calendar:
    """A calendar of this connection by its Calendly URI, its uuid (the URI's last segment) or its slug."""
    ident = (ident or "").strip().rstrip("/")
    cals = list(Calendar.objects.filter(connection=connection))
    for test in (
        lambda c: c.uri.rstrip("/") == ident,
        lambda c: c.uri.rstrip("/").rsplit("/", 1)[-1] == ident,
        lambda c: c.scheduling_url.rstrip("/").rsplit("/", 1)[-1] == ident,
    ):
        found = [c for c in cals if test(c)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InvalidInput(f"{ident} names more than one calendar of this connection; use its Calendly URI")
    raise NotFound(f"{ident} is not one of this connection's Calendly calendars")


def calendars_select(*, connection: Connection, uris: list[str], consent: bool, now: datetime) -> list[Calendar]:
    """Choose calendars to import from (the chosen ones are added to those already selected; deselecting
    is calendar_deselect, which asks for the delete choice). Consent is required. A calendar newly
    (re)selected imports only events created from now on: imported_from = now."""
    _live(connection)
    chosen = [_calendar(connection, u) for u in uris]
    if not chosen:
        return list(Calendar.objects.filter(connection=connection, selected=True).order_by("name"))
    if not consent:
        raise InvalidInput(
            "Tick the consent box to let Slotwise import the events of the chosen calendars", field="consent"
        )
    for cal in chosen:
        if cal.gone_at is not None:
            raise InvalidInput(f"{cal.name} is no longer listed by Calendly and cannot be chosen", field="calendars")
    with transaction.atomic():
        for cal in chosen:
            row = Calendar.objects.select_for_update().get(pk=cal.pk)
            if row.selected:
                continue
            Calendar.objects.filter(pk=row.pk).update(
                selected=True,
                consented_at=now,
                imported_from=now,
                deselected_at=None,
                delete_chosen_at=None,
            )
            _log(
                connection,
                SyncLogEntry.Action.UPDATED,
                now,
                f"Calendar {row.name} selected: events created from now on are imported",
            )
    webhooks_subscribe(connection=connection, now=now)
    _schedule_poll(connection, now)
    return list(Calendar.objects.filter(connection=connection, selected=True).order_by("name"))


def _delete_synced(calendar: Calendar, now: datetime) -> int:
    from . import sync  # deletes once every member who connected the calendar chose to

    return sync.delete_synced(calendar=calendar, now=now)


def _schedule_poll(connection: Connection, now: datetime) -> None:
    """A poll due now (the first sync, "Sync now", a reconnect): imports.sync keeps one pending per connection."""
    from . import sync

    sync.schedule_poll(connection, due_at=now)


def calendar_deselect(*, connection: Connection, uri: str, delete_synced: bool, now: datetime) -> int:
    """Stop importing from a calendar. With delete_synced, this member chooses to delete everything it
    synced, permanently (for a shared calendar: deleted once every member who connected it chose so).
    Returns how many appointments were deleted now. Events booked while deselected never arrive later."""
    cal = _calendar(connection, uri)
    with transaction.atomic():
        Calendar.objects.filter(pk=cal.pk).update(
            selected=False,
            deselected_at=now if cal.selected else cal.deselected_at,
            delete_chosen_at=now if delete_synced else None,
        )
        cal.refresh_from_db()
        if cal.deselected_at == now:
            _log(
                connection,
                SyncLogEntry.Action.UPDATED,
                now,
                f"Calendar {cal.name} deselected: nothing more is imported from it",
            )
    if not delete_synced:
        return 0
    deleted = _delete_synced(cal, now)
    _log(
        connection,
        SyncLogEntry.Action.DELETED,
        now,
        f"Chose to delete everything synced from {cal.name}: {deleted} appointment(s) deleted permanently",
    )
    return deleted


def connection_remove(*, connection: Connection, delete_synced: bool, now: datetime) -> int:
    """Disconnect: unsubscribe the webhook and revoke the OAuth grant (both best effort), deselect every
    calendar (with the delete choice for each), state REMOVED. The row stays, with its calendars' choices
    and imported_from instants on record. Returns how many appointments were deleted."""
    if connection.state == Connection.State.REMOVED:
        raise InvalidInput("This Calendly connection is removed already")
    webhooks_unsubscribe(connection=connection, now=now)
    tokens = unseal(connection.secret)
    if connection.method == Connection.Method.OAUTH and tokens.get("refresh_token"):
        oauth.revoke(auth_base=connection.auth_base, token=tokens["refresh_token"])
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(
            state=Connection.State.REMOVED,
            removed_at=now,
            secret="",
            retry_at=None,
            webhooks_active=False,
            state_detail="Removed",
            webhook_subscription_uri="",
            webhook_signing_key="",
        )
        Calendar.objects.filter(connection=connection, selected=True).update(selected=False, deselected_at=now)
        if delete_synced:
            Calendar.objects.filter(connection=connection).update(delete_chosen_at=now)
        _log(connection, SyncLogEntry.Action.UPDATED, now, "Connection removed")
    connection.refresh_from_db()
    deleted = 0
    if delete_synced:
        for cal in Calendar.objects.filter(connection=connection).order_by("pk"):
            deleted += _delete_synced(cal, now)
        _log(
            connection,
            SyncLogEntry.Action.DELETED,
            now,
            f"Chose to delete everything synced: {deleted} appointment(s) deleted permanently",
        )
    return deleted


def sync_requested(*, connection: Connection, now: datetime) -> None:
    """ "Sync now": a poll due at once."""
    _live(connection)
    _schedule_poll(connection, now)


# ---- webhooks -----------------------------------------------------------------------------------------


def hook_url(connection: Connection) -> str:
    return f"{settings.BASE_URL.rstrip('/')}/hooks/calendly/{connection.hook_token}/"


def _scope(client: CalendlyClient, connection: Connection) -> str:
    """organization when the user is an admin or owner of their Calendly organization, else user."""
    try:
        memberships = list(
            client.organization_memberships(
                organization=connection.account_organization_uri, user=connection.account_user_uri
            )
        )
    except CalendlyError:
        return "user"
    roles = {m.get("role") for m in memberships}
    return "organization" if roles & {"admin", "owner"} else "user"


def webhooks_subscribe(*, connection: Connection, now: datetime) -> bool:
    """Subscribe to invitee.created and invitee.canceled at our /hooks/calendly/<hook_token>/, with a
    signing key we generate and seal. True when webhooks are active; when Calendly refuses (a plan without
    webhooks, a 4xx) or cannot be reached, webhooks_active is False and polling alone carries on."""
    if connection.webhooks_active and connection.webhook_subscription_uri:
        return True
    client = CalendlyClient(connection, now=now)
    key = secrets.token_urlsafe(32)
    url = hook_url(connection)
    scope = _scope(client, connection)
    body: dict[str, Any] = {
        "url": url,
        "events": WEBHOOK_EVENTS,
        "organization": connection.account_organization_uri,
        "user": connection.account_user_uri,
        "scope": scope,
        "signing_key": key,
    }
    try:
        try:
            hook = client.create_webhook(**body)
        except CalendlyError as exc:
            if exc.http_status != 409:
                raise
            # Ours from before (its key is lost with the old row's secret): replace it.
            for old in client.webhooks(
                organization=connection.account_organization_uri,
                scope=scope,
                user=connection.account_user_uri if scope == "user" else None,
            ):
                if old.get("callback_url") == url:
                    client.delete_webhook(old["uri"])
            hook = client.create_webhook(**body)
    except CalendlyError as exc:
        _save_state(connection, webhooks_active=False, webhook_subscription_uri="", webhook_signing_key="")
        _log(
            connection,
            SyncLogEntry.Action.SKIPPED,
            now,
            f"Calendly webhooks are not available ({exc.message}); polling every few minutes instead",
        )
        return False
    _save_state(
        connection,
        webhooks_active=True,
        webhook_subscription_uri=hook.get("uri", ""),
        webhook_signing_key=seal({"signing_key": key}),
    )
    _log(connection, SyncLogEntry.Action.UPDATED, now, f"Subscribed to Calendly webhooks ({scope} scope)")
    return True


def webhooks_unsubscribe(*, connection: Connection, now: datetime) -> None:
    if not connection.webhook_subscription_uri:
        return
    try:
        CalendlyClient(connection, now=now).delete_webhook(connection.webhook_subscription_uri)
    except CalendlyError as exc:
        _log(connection, SyncLogEntry.Action.ERROR, now, f"Could not unsubscribe the Calendly webhook: {exc.message}")
    _save_state(connection, webhooks_active=False, webhook_subscription_uri="", webhook_signing_key="")


def signing_key(connection: Connection) -> str:
    return unseal(connection.webhook_signing_key).get("signing_key", "")
