"""Connecting calendars and choosing what they are for. Every door (dashboard, API, tests) calls these."""

from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction

from slotwise.accounts.models import Membership
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.core.secrets import seal
from slotwise.jobs.services import cancel_pending, enqueue
from slotwise.scheduling.models import BusyBlock, BusyCoverage

from .adapters import microsoft
from .adapters.base import AdapterError
from .adapters.caldav import CalDAV
from .adapters.google import Google, exchange_code
from .models import CalendarConnection, RemoteCalendar, RemoteEvent

SYNC_JOB = "calendars.sync"


def _check_url(url: str, *, field: str, schemes=("http", "https")) -> str:
    url = (url or "").strip()
    if url.startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise InvalidInput(
            f"The calendar address {url!r} is not an http(s) URL; paste the full address, e.g. https://…", field=field
        )
    if len(url) > 1000:
        raise InvalidInput("The calendar address can be at most 1000 characters", field=field)
    return url


def schedule_sync(connection: CalendarConnection, *, due_at: datetime) -> None:
    """One pending sync per connection: a push or a "sync now" replaces the next poll."""
    key = f"calendar-sync:{connection.pk}"
    cancel_pending(key, kinds=[SYNC_JOB])
    enqueue(
        SYNC_JOB,
        {"connection_id": connection.pk},
        due_at=due_at,
        key=key,
        max_attempts=1,
        organization_id=connection.organization_id,
    )


def connection_add_caldav(
    *, membership: Membership, url: str, username: str, password: str, now: datetime, name: str = ""
) -> CalendarConnection:
    """Discover the account's calendars (so a wrong URL or password is told now, not at the first sync)."""
    url = _check_url(url, field="url")
    try:
        calendars = CalDAV(url, username, password).list_calendars()
    except AdapterError as exc:
        raise InvalidInput(f"Could not use this CalDAV account: {exc}", field="url") from None
    if not calendars:
        raise InvalidInput("No calendars with events were found in this CalDAV account", field="url")
    with transaction.atomic():
        conn = CalendarConnection.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            kind=CalendarConnection.Kind.CALDAV,
            name=(name or urlsplit(url).netloc)[:200],
            url=url,
            username=username[:200],
            secret=seal({"password": password}),
        )
        for c in calendars:
            RemoteCalendar.objects.create(
                connection=conn, remote_id=c.remote_id, name=c.name[:200], read_only=c.read_only
            )
        schedule_sync(conn, due_at=now)
    return conn


def connection_add_ics(*, membership: Membership, url: str, now: datetime, name: str = "") -> CalendarConnection:
    url = _check_url(url, field="url")
    with transaction.atomic():
        conn = CalendarConnection.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            kind=CalendarConnection.Kind.ICS,
            name=(name or urlsplit(url).netloc)[:200],
            url=url,
        )
        RemoteCalendar.objects.create(connection=conn, remote_id=url, name=(name or url)[:200], read_only=True)
        schedule_sync(conn, due_at=now)
    return conn


def connection_add_google(*, membership: Membership, code: str, redirect_uri: str, now: datetime) -> CalendarConnection:
    """The OAuth callback: trade the code for tokens, list the calendars, keep the tokens encrypted."""
    try:
        tokens = exchange_code(code=code, redirect_uri=redirect_uri, now=now)
        calendars = Google(tokens, now=now).list_calendars()
    except AdapterError as exc:
        raise InvalidInput(f"code: Google refused the connection: {exc}; try connecting again", field="code") from None
    return _oauth_connection(membership, CalendarConnection.Kind.GOOGLE, "Google Calendar", tokens, calendars, now)


def _oauth_connection(membership, kind, name, tokens, calendars, now, *, existing=None) -> CalendarConnection:
    """Keep the tokens (encrypted) and the calendars of an OAuth sign-in: a new connection, or new tokens
    for `existing` (a reconnect keeps the host's choices and the calendars it still lists)."""
    with transaction.atomic():
        if existing is None:
            conn = CalendarConnection.objects.create(
                organization_id=membership.organization_id,
                membership=membership,
                kind=kind,
                name=name,
                secret=seal(tokens),
            )
        else:
            conn = existing
            conn.secret, conn.needs_reconnect, conn.last_error = seal(tokens), False, ""
            conn.save(update_fields=["secret", "needs_reconnect", "last_error"])
        held = set(conn.calendars.values_list("remote_id", flat=True))
        for c in calendars:
            if c.remote_id not in held:
                RemoteCalendar.objects.create(
                    connection=conn, remote_id=c.remote_id, name=c.name[:200], read_only=c.read_only
                )
        schedule_sync(conn, due_at=now)
    return conn


def connection_add_microsoft(
    *,
    membership: Membership,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    now: datetime,
    reconnect: CalendarConnection | None = None,
) -> CalendarConnection:
    """The Microsoft sign-in callback: trade the code (with the PKCE verifier) for tokens, list the
    calendars, keep the tokens encrypted. With `reconnect`, the host signed in again for that connection."""
    if reconnect is not None and (
        reconnect.membership_id != membership.pk or reconnect.kind != CalendarConnection.Kind.MICROSOFT
    ):
        raise NotFound("that Outlook connection does not exist (any more); connect Outlook again")
    try:
        tokens = microsoft.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier, now=now)
        adapter = microsoft.Microsoft(tokens, now=now)
        calendars = adapter.list_calendars()
    except AdapterError as exc:
        raise InvalidInput(f"Microsoft refused the connection ({exc}); try connecting again", field="code") from None
    if not calendars:
        raise InvalidInput("This Microsoft account has no calendars to connect", field="code")
    return _oauth_connection(
        membership,
        CalendarConnection.Kind.MICROSOFT,
        adapter.account or "Outlook",
        tokens,
        calendars,
        now,
        existing=reconnect,
    )


def google_watch(*, connection: CalendarConnection, address: str, now: datetime) -> dict:
    """Ask Google to push changes of the conflict calendars to `address` (the push view)."""
    from slotwise.core.secrets import unseal

    adapter = Google(unseal(connection.secret), now=now)
    channel_id = f"slotwise-{connection.pk}-{secrets.token_hex(8)}"
    token = secrets.token_urlsafe(24)
    data = {}
    for cal in connection.calendars.filter(use_for_conflicts=True):
        data = adapter.watch(cal.remote_id, channel_id=channel_id, token=token, address=address)
    connection.channel_id, connection.channel_token = channel_id, token
    if data.get("expiration"):
        from datetime import UTC

        connection.channel_expires_at = datetime.fromtimestamp(int(data["expiration"]) / 1000, UTC)
    if adapter.tokens_changed:
        connection.secret = seal(adapter.tokens)
    connection.save(update_fields=["channel_id", "channel_token", "channel_expires_at", "secret"])
    return data


def google_push(*, channel_id: str, token: str, state: str, now: datetime) -> bool:
    """A push notification: sync that connection now. Unknown channels or tokens are ignored (False)."""
    conn = CalendarConnection.objects.filter(channel_id=channel_id, kind=CalendarConnection.Kind.GOOGLE).first()
    if conn is None or not secrets.compare_digest(conn.channel_token, token or ""):
        return False
    if state != "sync":  # "sync" only confirms the channel; "exists"/"not_exists" mean something changed
        with transaction.atomic():
            schedule_sync(conn, due_at=now)
    return True


def calendars_choose(
    *, connection: CalendarConnection, conflicts: set[int], writeback: int | None, unreachable: str | None = None
) -> None:
    """Which of this connection's calendars count for conflicts; which one (of all the host's
    connections) receives new bookings; what an unreachable calendar means."""
    ids = set(connection.calendars.values_list("pk", flat=True))
    if not set(conflicts) <= ids:
        raise InvalidInput("Choose calendars of this connection", field="conflicts")
    if unreachable is not None and unreachable not in CalendarConnection.Unreachable.values:
        raise InvalidInput(
            "Choose whether a calendar that cannot be reached counts as busy or free", field="unreachable"
        )
    with transaction.atomic():
        if writeback is not None:
            target = RemoteCalendar.objects.filter(pk=writeback, connection=connection).first()
            if target is None:
                raise InvalidInput("writeback: choose a calendar of this connection", field="writeback")
            if target.read_only or connection.kind == CalendarConnection.Kind.ICS:
                raise InvalidInput(
                    f"writeback: {target.name} is read-only; choose a calendar you can write to", field="writeback"
                )
            RemoteCalendar.objects.filter(connection__membership_id=connection.membership_id).update(is_writeback=False)
            RemoteCalendar.objects.filter(pk=target.pk).update(is_writeback=True)
        else:
            connection.calendars.update(is_writeback=False)
        connection.calendars.filter(pk__in=conflicts).update(use_for_conflicts=True)
        dropped = list(
            connection.calendars.exclude(pk__in=conflicts).filter(use_for_conflicts=True).values_list("pk", flat=True)
        )
        connection.calendars.filter(pk__in=dropped).update(use_for_conflicts=False, sync_token="", expanded_at=None)
        for pk in dropped:
            BusyBlock.objects.filter(
                membership_id=connection.membership_id, source=connection.busy_source, external_id__startswith=f"{pk}|"
            ).delete()
            RemoteEvent.objects.filter(calendar_id=pk).delete()
        if unreachable is not None:
            connection.unreachable = unreachable
            connection.save(update_fields=["unreachable"])


def connection_delete(*, connection: CalendarConnection) -> None:
    with transaction.atomic():
        BusyBlock.objects.filter(membership_id=connection.membership_id, source=connection.busy_source).delete()
        BusyCoverage.objects.filter(membership_id=connection.membership_id, source=connection.busy_source).delete()
        cancel_pending(f"calendar-sync:{connection.pk}")
        connection.delete()


def connection_for(membership: Membership, pk: int) -> CalendarConnection:
    conn = CalendarConnection.objects.filter(pk=pk, membership=membership).first()
    if conn is None:
        raise NotFound(f"calendar connection {pk} does not exist")
    return conn
