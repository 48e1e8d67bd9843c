"""Sync: remote calendars -> scheduling.BusyBlock, so booking pages read busy time locally and never wait
on a remote server.

Rows written: BusyBlock(source="calendar:<connection id>", external_id="<calendar id>|<UID>|<recurrence id>").
Every delete also names the membership, so it walks the (membership, start) index instead of the table.
A sync re-expands only the UIDs that changed; once a day (as the window moves on) it re-expands all the
stored events of a calendar. A connection that fails is recorded (last_error, failures) and, if the host
chose "busy", blocks the whole window until it syncs again; "free" keeps the busy time last synced.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import DateTimeField, Q

from slotwise.accounts.models import Team
from slotwise.core.secrets import seal
from slotwise.scheduling.models import AvailabilitySchedule, BusyBlock, BusyCoverage, EventType, PoolHost

from . import ics
from .adapters import ics_feed
from .adapters.base import AdapterError, SyncTokenInvalid
from .adapters.microsoft import ReconnectNeeded, RetryLater
from .adapters.registry import adapter_for
from .models import CalendarConnection, CalendarEvent, RemoteCalendar, RemoteEvent

log = logging.getLogger(__name__)

UNREACHABLE_ID = "unreachable"
REEXPAND_AFTER = timedelta(hours=20)
_UID = re.compile(r"^UID:(.*?)\r?$", re.M)
BATCH = 2000


def horizon_days(connection: CalendarConnection | None, now: datetime) -> int:
    """How many days ahead to read a host's calendar: SLOTWISE_CALENDAR_WINDOW_DAYS (180), or as far as the
    longest bounded booking window among the host's event types, up to SLOTWISE_CALENDAR_MAX_WINDOW_DAYS
    (3,660). Unlimited windows cannot be read to the end: past the horizon the engine refuses times with
    Reason.NOT_SYNCED ("calendar not synced that far") instead of offering them as free (BusyCoverage)."""
    base = days = int(getattr(settings, "SLOTWISE_CALENDAR_WINDOW_DAYS", 180))
    cap = max(base, int(getattr(settings, "SLOTWISE_CALENDAR_MAX_WINDOW_DAYS", 3660)))
    if connection is None:
        return days
    today = now.date()
    for kind, window_days, window_end in _host_event_types(connection.membership_id).values_list(
        "window_kind", "window_days", "window_end"
    ):
        if kind == EventType.WindowKind.ROLLING and window_days:
            days = max(days, window_days + 2)  # + a day either side: a meeting that starts on the last day
        elif kind == EventType.WindowKind.RANGE and window_end:
            days = max(days, (window_end - today).days + 3)  # the range is in local dates
    return min(days, cap)


def _host_event_types(membership_id: int):
    """Active event types whose times this host's calendar decides: their own, and their teams' (as a pool
    host, or as a team member when the event has no pool)."""
    pooled = PoolHost.objects.filter(membership_id=membership_id).values("event_type_id")
    teams = Team.members.through.objects.filter(membership_id=membership_id).values("team_id")
    return EventType.objects.filter(active=True).filter(
        Q(owner_id=membership_id, team__isnull=True) | Q(pk__in=pooled) | Q(team_id__in=teams, pool__isnull=True)
    )


def window(now: datetime, connection: CalendarConnection | None = None) -> tuple[datetime, datetime]:
    return now - timedelta(days=1), now + timedelta(days=horizon_days(connection, now))


@dataclass
class SyncResult:
    ok: bool
    busy_written: int = 0
    changed: int = 0
    deleted: int = 0
    errors: list[str] = field(default_factory=list)
    retry_after: float | None = None  # the provider asked us to come back later (429/503 Retry-After)


def host_zone(connection: CalendarConnection) -> str:
    schedule = (
        AvailabilitySchedule.objects.filter(owner_id=connection.membership_id).order_by("-is_default", "pk").first()
    )
    return schedule.timezone if schedule else (connection.membership.user.timezone or "UTC")


def _ext_prefix(calendar: RemoteCalendar, uid: str) -> str:
    if len(uid) > 300:  # external_id holds 500 characters; a hash keeps very long UIDs distinct
        uid = "sha1:" + hashlib.sha1(uid.encode(), usedforsecurity=False).hexdigest()
    return f"{calendar.pk}|{uid}|"


def sync_connection(*, connection: CalendarConnection, now: datetime) -> SyncResult:
    """Bring this connection's busy time up to date. Never raises for remote trouble: it records it."""
    result = SyncResult(ok=True)
    try:
        if connection.kind == CalendarConnection.Kind.ICS:
            for cal in connection.calendars.filter(use_for_conflicts=True):
                _sync_feed(connection, cal, now, result)
        else:
            adapter = adapter_for(connection, now=now)
            _refresh_calendar_list(connection, adapter, result)
            for cal in connection.calendars.filter(use_for_conflicts=True):
                _sync_remote(connection, cal, adapter, now, result)
            result.errors += getattr(adapter, "import_errors", [])
            if getattr(adapter, "tokens_changed", False):
                connection.secret = seal(adapter.tokens)
                connection.save(update_fields=["secret"])
        for cal in connection.calendars.filter(use_for_conflicts=False):
            _busy_of(connection).filter(external_id__startswith=f"{cal.pk}|").delete()
    except AdapterError as exc:
        result.ok = False
        result.errors.append(str(exc))
        if isinstance(exc, RetryLater):
            result.retry_after = exc.retry_after
        _record_failure(connection, str(exc), now, reconnect=isinstance(exc, ReconnectNeeded))
        return result
    # Only a recorded failure writes the "unreachable" row, and only a success clears `failures`: without one
    # there is none to delete, and looking for it reads all the host's busy rows (no index on external_id),
    # most of the time of a re-sync that finds nothing changed.
    failed_before = connection.failures > 0 or bool(connection.last_error)
    connection.last_sync_at = now
    connection.last_success_at = now
    connection.last_error = ""
    connection.failures = 0
    connection.needs_reconnect = False
    connection.import_report = result.errors[:50]
    connection.save(
        update_fields=["last_sync_at", "last_success_at", "last_error", "failures", "needs_reconnect", "import_report"]
    )
    if failed_before:
        _busy_of(connection).filter(external_id=UNREACHABLE_ID).delete()
    _record_coverage(connection, now)
    return result


def _record_coverage(connection: CalendarConnection, now: datetime) -> None:
    """How far this sync read: past it the host's busy time is unknown (BusyCoverage, Reason.NOT_SYNCED)."""
    coverage = BusyCoverage.objects.filter(membership_id=connection.membership_id, source=connection.busy_source)
    if not connection.calendars.filter(use_for_conflicts=True).exists():
        coverage.delete()  # nothing of this connection decides busy time
        return
    BusyCoverage.objects.update_or_create(
        membership_id=connection.membership_id,
        source=connection.busy_source,
        defaults={"known_until": window(now, connection)[1]},
    )


def _busy_of(connection: CalendarConnection):
    # The membership too, so the delete walks the (membership, start) index instead of the table.
    return BusyBlock.objects.filter(membership_id=connection.membership_id, source=connection.busy_source)


def stale_after(connection: CalendarConnection) -> timedelta:
    return max(timedelta(minutes=2 * connection.poll_minutes), timedelta(minutes=30))


def _record_failure(connection: CalendarConnection, message: str, now: datetime, *, reconnect: bool = False) -> None:
    log.warning("calendar connection %s failed to sync: %s", connection.pk, message)
    with transaction.atomic():
        connection.last_sync_at = now
        connection.last_error = message[:2000]
        connection.failures += 1
        connection.needs_reconnect = connection.needs_reconnect or reconnect
        connection.save(update_fields=["last_sync_at", "last_error", "failures", "needs_reconnect"])
        _busy_of(connection).filter(external_id=UNREACHABLE_ID).delete()
        # One failed poll leaves busy time that is minutes old; the host's choice applies once what we hold
        # is stale (or we never saw the calendar at all).
        stale = connection.last_success_at is None or now - connection.last_success_at >= stale_after(connection)
        if stale and connection.unreachable == CalendarConnection.Unreachable.BUSY:
            start, end = window(now, connection)
            BusyBlock.objects.create(
                organization_id=connection.organization_id,
                membership_id=connection.membership_id,
                start=now,
                end=end,
                source=connection.busy_source,
                external_id=UNREACHABLE_ID,
                label="calendar unreachable",
            )


def _refresh_calendar_list(connection: CalendarConnection, adapter, result: SyncResult) -> None:
    remote = {info.remote_id: info for info in adapter.list_calendars()}
    held = {c.remote_id: c for c in connection.calendars.all()}
    if held and not remote:
        # More likely a server hiccup or a permissions change than every calendar deleted: keep them.
        raise AdapterError("the server lists no calendars for this account any more; check the account")
    for remote_id, info in remote.items():
        if remote_id not in held:
            RemoteCalendar.objects.create(
                connection=connection,
                remote_id=remote_id,
                name=info.name[:200],
                read_only=info.read_only,
                # A newly seen calendar counts for conflicts: missing a meeting is worse than one blocked hour.
                use_for_conflicts=True,
            )
    for remote_id, cal in held.items():
        if remote_id not in remote:
            # Deleted on the server: its busy time would otherwise block the host for ever.
            _busy_of(connection).filter(external_id__startswith=f"{cal.pk}|").delete()
            result.errors.append(
                f"calendar {cal.name!r} no longer exists on the server; it was removed here"
                + (" and new bookings are no longer written anywhere" if cal.is_writeback else "")
            )
            cal.delete()


def _sync_feed(connection, cal: RemoteCalendar, now: datetime, result: SyncResult) -> None:
    fetched = ics_feed.fetch(cal.remote_id, etag=cal.etag, last_modified=cal.last_modified)
    if fetched.changed and fetched.digest and fetched.digest == cal.content_hash:
        # The same bytes again from a server that does not answer 304: nothing to re-read.
        fetched = replace(fetched, changed=False, text="")
    with transaction.atomic():
        if fetched.changed:
            RemoteEvent.objects.update_or_create(
                calendar=cal, href="feed", defaults={"data": fetched.text, "etag": fetched.etag}
            )
            cal.etag, cal.last_modified = fetched.etag[:500], fetched.last_modified[:100]
            cal.content_hash = fetched.digest
            cal.save(update_fields=["etag", "last_modified", "content_hash"])
            result.changed += 1
        if fetched.changed or _stale(cal, now):
            _expand_all(connection, cal, now, result)


def _sync_free_busy(connection, cal: RemoteCalendar, adapter, now: datetime, result: SyncResult) -> None:
    """A calendar shared as free/busy only: its events are refused, its busy periods are not."""
    periods = adapter.free_busy(cal.remote_id, window(now, connection))
    with transaction.atomic():
        _busy_of(connection).filter(external_id__startswith=f"{cal.pk}|").delete()
        _insert_busy(
            [
                (
                    connection.organization_id,
                    connection.membership_id,
                    a,
                    b,
                    connection.busy_source,
                    f"{cal.pk}|freebusy|{a:%Y%m%dT%H%M%SZ}",
                    "busy",
                )
                for a, b in periods
                if b > a
            ]
        )
        cal.expanded_at = now
        cal.save(update_fields=["expanded_at"])
    result.busy_written += len(periods)


def _stale(cal: RemoteCalendar, now: datetime) -> bool:
    return cal.expanded_at is None or now - cal.expanded_at >= REEXPAND_AFTER


def _uid_of(text: str) -> str:
    m = _UID.search(text)
    return m.group(1).strip() if m else ""


def _sync_remote(connection, cal: RemoteCalendar, adapter, now: datetime, result: SyncResult) -> None:
    try:
        try:
            changes = adapter.changes(cal.remote_id, cal.sync_token, window=window(now, connection))
        except SyncTokenInvalid:
            changes = adapter.changes(cal.remote_id, "", window=window(now, connection))
    except AdapterError as exc:
        if exc.status == 403 and hasattr(adapter, "free_busy"):
            _sync_free_busy(connection, cal, adapter, now, result)
            return
        raise
    with transaction.atomic():
        held = {e.href: e for e in RemoteEvent.objects.filter(calendar=cal).only("id", "href", "etag", "uid")}
        touched: set[str] = set()
        gone = set(changes.deletes)
        if changes.full:
            gone |= set(held) - {r.href for r in changes.upserts}
        for href in gone:
            if href in held:
                touched.add(held[href].uid)
                result.deleted += 1
        RemoteEvent.objects.filter(calendar=cal, href__in=[h for h in gone if h in held]).delete()
        new, updated = [], []
        for res in changes.upserts:
            old = held.get(res.href)
            if old is not None and res.etag and old.etag == res.etag:
                continue
            uid = _uid_of(res.data)[:500]
            touched.add(uid)
            result.changed += 1
            if old is None:
                new.append(RemoteEvent(calendar=cal, href=res.href, etag=res.etag[:500], data=res.data, uid=uid))
            else:
                touched.add(old.uid)
                old.etag, old.data, old.uid = res.etag[:500], res.data, uid
                updated.append(old)
        RemoteEvent.objects.bulk_create(new, batch_size=BATCH)
        RemoteEvent.objects.bulk_update(updated, ["etag", "data", "uid"], batch_size=BATCH)
        cal.sync_token = changes.token
        cal.save(update_fields=["sync_token"])
        if _stale(cal, now) or changes.full:
            _expand_all(connection, cal, now, result)
        elif touched:
            _expand_uids(connection, cal, touched, now, result)


def _own_uids(connection, cal: RemoteCalendar) -> set[str]:
    """Events Slotwise wrote: the host's own write-back copies (the bookings already block their time, with
    buffers, and counting the copy too would refuse the second seat of a group event), and team-calendar
    copies in this calendar (other people's meetings, which do not make this host busy). Only this
    calendar's copies: a meeting's UID is also on the invitees' copies (calendar_object.py), and a host
    invited to a colleague's meeting is busy then, whatever a team calendar elsewhere holds."""
    return set(
        CalendarEvent.objects.filter(
            Q(calendar__connection__membership_id=connection.membership_id, purpose=CalendarEvent.Purpose.WRITEBACK)
            | Q(calendar=cal)
        ).values_list("uid", flat=True)
    )


def _write_busy(connection, cal, texts: list[str], now: datetime, result: SyncResult) -> None:
    rows = _busy_rows(connection, cal, texts, now, result)
    _insert_busy(rows)
    result.busy_written += len(rows)


def _busy_rows(connection, cal, texts: list[str], now: datetime, result: SyncResult) -> list[tuple]:
    start, end = window(now, connection)
    parsed = ics.busy_from_ics(
        "\n".join(texts),
        window_start=start,
        window_end=end,
        host_zone=host_zone(connection),
        skip_uids=_own_uids(connection, cal),
    )
    result.errors += parsed.errors
    rows = [
        (
            connection.organization_id,
            connection.membership_id,
            b.start,
            b.end,
            connection.busy_source,
            (_ext_prefix(cal, b.uid) + b.recurrence_id)[:500],
            b.summary[:200],
        )
        for b in parsed.busy
    ]
    return rows


_BUSY_COLUMNS = ("organization", "membership", "start", "end", "source", "external_id", "label")


def _insert_busy(rows: list[tuple]) -> None:
    """A plain executemany: bulk_create compiles SQL per ~100 rows on SQLite, which was most of a 10 000-event
    sync. Values go through each field's own get_db_prep_save, so UTC handling is Django's."""
    if not rows:
        return
    fields = [BusyBlock._meta.get_field(name) for name in _BUSY_COLUMNS]
    conn = connections[router.db_for_write(BusyBlock)]
    qn = conn.ops.quote_name
    # Table and column names are this model's own, quoted by the backend; every value is a %s parameter.
    sql = (
        f"INSERT INTO {qn(BusyBlock._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    # Instants go through the backend's own adapter (Django's UTC handling); ids and text need none. The
    # full get_db_prep_save per value was a third of a large feed's insert.
    adapt = [conn.ops.adapt_datetimefield_value if isinstance(f, DateTimeField) else None for f in fields]
    prepped = [[a(v) if a else v for a, v in zip(adapt, row, strict=True)] for row in rows]
    with conn.cursor() as cur:
        for i in range(0, len(prepped), BATCH):
            cur.executemany(sql, prepped[i : i + BATCH])


def _expand_all(connection, cal: RemoteCalendar, now: datetime, result: SyncResult) -> None:
    """Every stored event of `cal` expanded again; only the rows that differ from the held ones are written
    (a daily re-expansion of an unchanged feed deletes and inserts nearly nothing)."""
    rows = _busy_rows(
        connection, cal, list(RemoteEvent.objects.filter(calendar=cal).values_list("data", flat=True)), now, result
    )
    _replace_busy(_busy_of(connection).filter(external_id__startswith=f"{cal.pk}|"), rows)
    result.busy_written += len(rows)
    cal.expanded_at = now
    cal.save(update_fields=["expanded_at"])


def _replace_busy(held, rows: list[tuple]) -> None:
    """Make the BusyBlock rows of queryset `held` equal to `rows` (as _insert_busy takes them), as a multiset
    of (start, end, external id, label): rows in both are left alone, the others deleted or inserted. The
    triggers raise the host's busy version for each write, in the caller's transaction."""
    ids: dict[tuple, list[int]] = {}
    for pk, a, b, ext, label in held.values_list("pk", "start", "end", "external_id", "label").iterator(BATCH):
        ids.setdefault((a, b, ext, label), []).append(pk)
    new = []
    for row in rows:
        same = ids.get((row[2], row[3], row[5], row[6]))
        if same:
            same.pop()
        else:
            new.append(row)
    gone = [pk for pks in ids.values() for pk in pks]
    for i in range(0, len(gone), BATCH):
        BusyBlock.objects.filter(pk__in=gone[i : i + BATCH]).delete()
    _insert_busy(new)


def _expand_uids(connection, cal: RemoteCalendar, uids: set[str], now: datetime, result: SyncResult) -> None:
    uids = sorted(uids)
    for i in range(0, len(uids), 200):
        chunk = uids[i : i + 200]
        q = Q()
        for uid in chunk:
            q |= Q(external_id__startswith=_ext_prefix(cal, uid))
        _busy_of(connection).filter(q).delete()
        texts = list(RemoteEvent.objects.filter(calendar=cal, uid__in=chunk).values_list("data", flat=True))
        if texts:
            _write_busy(connection, cal, texts, now, result)
