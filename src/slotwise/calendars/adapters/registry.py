"""The adapter for a connection. Tests swap nothing here: they point URLs at Radicale or the Google fake."""

from __future__ import annotations

from datetime import datetime

from slotwise.core.secrets import seal, unseal

from ..models import CalendarConnection
from .caldav import CalDAV
from .google import Google
from .microsoft import Microsoft


def adapter_for(connection: CalendarConnection, *, now: datetime):
    secret = unseal(connection.secret)
    if connection.kind == CalendarConnection.Kind.CALDAV:
        return CalDAV(connection.url, connection.username, secret.get("password", ""))
    if connection.kind == CalendarConnection.Kind.GOOGLE:
        return Google(secret, now=now)
    if connection.kind == CalendarConnection.Kind.MICROSOFT:
        return Microsoft(secret, now=now, on_tokens=_store_tokens(connection), on_reconnect=_ask_reconnect(connection))
    raise ValueError(f"{connection.kind} connections are read-only feeds and have no adapter for writing")


def _store_tokens(connection: CalendarConnection):
    """Microsoft rotates refresh tokens: a new pair is stored the moment it arrives, whatever the caller
    (sync, write-back, copy) does next, so a job that fails afterwards cannot lose it."""

    def store(tokens: dict) -> None:
        connection.secret = seal(tokens)
        CalendarConnection.objects.filter(pk=connection.pk).update(secret=connection.secret)

    return store


def _ask_reconnect(connection: CalendarConnection):
    """Whoever found out (sync, write-back), the dashboard shows "Reconnect" for this connection at once."""

    def ask(message: str) -> None:
        connection.needs_reconnect, connection.last_error = True, message[:2000]
        CalendarConnection.objects.filter(pk=connection.pk).update(needs_reconnect=True, last_error=message[:2000])

    return ask
