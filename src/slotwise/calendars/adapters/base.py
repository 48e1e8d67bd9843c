from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class AdapterError(Exception):
    """The remote calendar could not be reached or refused us. The message is safe to show the host and to
    store: it never contains a password or token."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class SyncTokenInvalid(AdapterError):
    """The provider forgot our sync token (CalDAV valid-sync-token, Google 410 GONE): sync again in full."""


@dataclass(frozen=True)
class CalendarInfo:
    remote_id: str
    name: str
    read_only: bool = False


@dataclass(frozen=True)
class Resource:
    """One remote event resource: a CalDAV object (iCalendar text) or a Google event (as iCalendar text)."""

    href: str
    etag: str
    data: str


@dataclass
class Changes:
    token: str
    full: bool  # True: `upserts` is everything; anything we hold that is not in it is gone
    upserts: list[Resource] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Written:
    href: str
    etag: str = ""


class Adapter(Protocol):
    def list_calendars(self) -> list[CalendarInfo]: ...

    def changes(self, calendar_id: str, token: str) -> Changes: ...

    def default_href(self, calendar_id: str, uid: str) -> str: ...

    def put_event(self, calendar_id: str, *, uid: str, ics: str, href: str = "", attendees: list = ()) -> Written: ...

    def delete_event(self, calendar_id: str, *, href: str) -> None: ...
