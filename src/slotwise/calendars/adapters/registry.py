"""The adapter for a connection. Tests swap nothing here: they point URLs at Radicale or the Google fake."""

from __future__ import annotations

from datetime import datetime

from slotwise.core.secrets import unseal

from ..models import CalendarConnection
from .caldav import CalDAV
from .google import Google


def adapter_for(connection: CalendarConnection, *, now: datetime):
    secret = unseal(connection.secret)
    if connection.kind == CalendarConnection.Kind.CALDAV:
        return CalDAV(connection.url, connection.username, secret.get("password", ""))
    if connection.kind == CalendarConnection.Kind.GOOGLE:
        return Google(secret, now=now)
    raise ValueError(f"{connection.kind} connections are read-only feeds and have no adapter for writing")
