"""From remote Calendly events to appointments and contacts: the poll, the webhook, and deletion.

What is imported: an event on a *selected* calendar whose `created_at` is at or after that calendar's
`imported_from` (set each time it is (re)selected), so events booked while a calendar was deselected or
disconnected never arrive later. An ImportedEvent row is the memory of every remote event we took: one per
(sub-account, event uri), so the same event by webhook twice, or by webhook and poll, or by two members'
connections of one shared calendar, is one appointment. After a permanent deletion the row stays as a
tombstone (booking null, deleted_at set) and the event is never imported again.

The poll lists the connection's scheduled events starting at or after max(the earliest imported_from, the
start of the previous run that read every event). That bound is sound because Calendly books and cancels only meetings
that have not started: an event created, canceled or rescheduled since the last poll starts after it. An
event is read again (its invitees) only when its updated_at moved, so a poll with no changes is one list.

Errors: Calendly's 429/5xx/network errors stop the run, set the connection RETRYING with backoff, and lose
nothing: what was done is committed per event, what was not is found again by the next run (its bound only
moves on success). A 401 sets AUTH_FAILED. A guard conflict (the owner has a booking then) is logged as
"skipped: overlaps ..." and retried next poll.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from slotwise.bookings import imports as appointments
from slotwise.bookings.imports import ImportOverlap
from slotwise.bookings.models import Booking
from slotwise.core.errors import InvalidInput
from slotwise.jobs.services import cancel_pending, enqueue, handler
from slotwise.scheduling.services import external_event_type

from . import services as connection_layer
from .calendly import CalendlyClient, CalendlyError, CalendlyNotFound
from .models import Calendar, Connection, ImportedEvent, ImportedInvitee, SyncLogEntry, SyncRun
from .selectors import deletion_votes

log = logging.getLogger(__name__)

SOURCE = "calendly"
POLL_JOB = "imports.poll"
POLL_EVERY = timedelta(minutes=5)
PROGRESS_EVERY = 25  # events between two progress writes of a first sync
LIVE = (Connection.State.ACTIVE, Connection.State.RETRYING)
FREE_PLAN = "stopped: the Calendly plan is free"


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _log(connection: Connection, action: str, detail: str, *, now: datetime, event_uri: str = "") -> None:
    SyncLogEntry.objects.create(
        connection=connection, at=now, action=action, event_uri=event_uri[:500], detail=detail[:1000]
    )


# --- who owns an imported appointment ----------------------------------------------------------------------


def _owner(calendar: Calendar, event: dict, rng: random.Random) -> tuple:
    """(membership, owner_rule). Personal: the member who connected it. Shared: the Calendly-assigned host
    when that user has an ACTIVE connection in this sub-account, else a connected member of the calendar at
    random (rng passed in)."""
    connection = calendar.connection
    if calendar.kind == Calendar.Kind.PERSONAL:
        return connection.membership, ImportedEvent.OwnerRule.CONNECTED_USER
    org = connection.organization_id
    assigned = [m.get("user") for m in event.get("event_memberships") or [] if m.get("user")]
    if assigned:
        hosts = {
            c.account_user_uri: c.membership
            for c in Connection.objects.filter(
                organization_id=org, state=Connection.State.ACTIVE, account_user_uri__in=assigned
            ).select_related("membership")
        }
        for uri in assigned:  # a collective event lists every host; the first connected one owns it
            if uri in hosts:
                return hosts[uri], ImportedEvent.OwnerRule.ASSIGNED_HOST
    members = sorted(
        {
            c.connection.membership
            for c in Calendar.objects.filter(
                connection__organization_id=org,
                connection__state=Connection.State.ACTIVE,
                uri=calendar.uri,
                selected=True,
            ).select_related("connection__membership")
        },
        key=lambda m: m.pk,
    ) or [connection.membership]
    return rng.choice(members), ImportedEvent.OwnerRule.RANDOM_MEMBER


# --- one remote event -------------------------------------------------------------------------------------


PHONE_QUESTION = re.compile(r"\b(phone|mobile|cell|telephone|tel)\b", re.IGNORECASE)
PHONE_ANSWER = re.compile(r"^\+?[\d\s().\-/]{6,40}$")


def _phone(invitee: dict, answers: list[dict]) -> str:
    """The number Calendly keeps for text reminders, else the answer to a phone question (Calendly's phone
    custom questions come back as plain questions and answers)."""
    if invitee.get("text_reminder_number"):
        return str(invitee["text_reminder_number"])
    for qa in answers:
        answer = str(qa.get("answer") or "").strip()
        if PHONE_QUESTION.search(str(qa.get("question") or "")) and PHONE_ANSWER.match(answer):
            return answer
    return ""


def _guest(invitee: dict) -> dict:
    answers = [
        {"question": qa.get("question"), "answer": qa.get("answer")}
        for qa in sorted(invitee.get("questions_and_answers") or [], key=lambda q: q.get("position", 0))
    ]
    return {
        "name": invitee.get("name") or "",
        "email": invitee.get("email") or "",
        "first_name": invitee.get("first_name") or "",
        "last_name": invitee.get("last_name") or "",
        "timezone": invitee.get("timezone") or "",
        "phone": _phone(invitee, answers),
        "answers": answers,
    }


def _location(event: dict) -> str:
    loc = event.get("location") or {}
    return str(loc.get("join_url") or loc.get("location") or "")[:500]


def _when(event: dict) -> str:
    start = parse_ts(event.get("start_time"))
    return f"{start:%Y-%m-%d %H:%M} UTC" if start else "an unknown time"


def _no_email(invitee: dict, event: dict) -> str:
    who = invitee.get("name") or "a guest"
    return (
        f"skipped: {who} ({event.get('name', 'an event')} at {_when(event)}) has no email address, "
        "so no contact was made"
    )


@dataclass
class Outcome:
    changed: bool = False


def _previous_booking(org_id: int, invitee: dict) -> Booking | None:
    old = invitee.get("old_invitee")
    if not old:
        return None
    row = (
        ImportedInvitee.objects.filter(event__organization_id=org_id, invitee_uri=old)
        .select_related("event__booking")
        .first()
    )
    return row.event.booking if row and row.event.booking_id else None


def _imported_event(org: int, event_uri: str, calendar: Calendar, now: datetime) -> tuple[ImportedEvent, bool]:
    """The event's row, locked, and whether it is new. Two imports of one event at once (webhook and poll)
    meet at the unique (organization, event_uri): the second waits for the first and takes its row."""
    rows = ImportedEvent.objects.select_for_update(of=("self",)).select_related("booking")
    ie = rows.filter(organization_id=org, event_uri=event_uri).first()
    if ie is not None:
        return ie, False
    try:
        with transaction.atomic():
            return ImportedEvent.objects.create(
                organization_id=org,
                event_uri=event_uri,
                calendar_uri=calendar.uri,
                shared=calendar.kind == Calendar.Kind.SHARED,
                owner_rule=ImportedEvent.OwnerRule.CONNECTED_USER,
                imported_at=now,
            ), True
    except IntegrityError:
        return rows.get(organization_id=org, event_uri=event_uri), False


def _apply(
    calendar: Calendar, event: dict, invitees: list[dict], *, now: datetime, rng: random.Random, types: dict
) -> bool:
    """Make our appointment match the remote event and these of its invitees. Idempotent; True if it
    changed something. Raises ImportOverlap (nothing written) when the guard refuses the time."""
    connection = calendar.connection
    org = connection.organization_id
    event_uri = event["uri"]
    with transaction.atomic():
        ie, created = _imported_event(org, event_uri, calendar, now)
        if ie.deleted_at is not None:
            return False  # deleted for good: never again
        known = {} if created else {r.invitee_uri: r for r in ie.invitees.select_related("invitee")}
        changed = False
        active = [i for i in invitees if i.get("status", "active") == "active" and i["uri"] not in known]
        for inv in [i for i in active if not i.get("email")]:
            ImportedInvitee.objects.create(event=ie, invitee_uri=inv["uri"], invitee=None)
            _log(connection, SyncLogEntry.Action.SKIPPED, _no_email(inv, event), now=now, event_uri=event_uri)
            changed = True
        active = [i for i in active if i.get("email")]
        if ie.booking is None and active and event.get("status", "active") == "active":
            owner, rule = _owner(calendar, event, rng)
            start, end = parse_ts(event["start_time"]), parse_ts(event["end_time"])
            if (owner.pk, calendar.uri) not in types:  # one lookup per owner and calendar in a run
                types[owner.pk, calendar.uri] = external_event_type(
                    owner=owner,
                    source=SOURCE,
                    uri=calendar.uri,
                    name=calendar.name,
                    duration_minutes=int((end - start).total_seconds() // 60),
                )
            et = types[owner.pk, calendar.uri]
            previous = _previous_booking(org, active[0])
            booking = appointments.appointment_import(
                event_type=et,
                host=owner,
                start=start,
                end=end,
                timezone=active[0].get("timezone") or "",
                invitees=[_guest(i) for i in active],
                location=_location(event),
                now=now,
                rescheduled_from=previous,
            )
            ie.booking, ie.owner_rule = booking, rule
            ie.remote_updated_at = parse_ts(event.get("updated_at"))
            ie.save(update_fields=["booking", "owner_rule", "remote_updated_at"])
            for inv, local in zip(active, booking.invitees.order_by("pk"), strict=True):
                ImportedInvitee.objects.create(event=ie, invitee_uri=inv["uri"], invitee=local)
            moved = f", moved from {previous.start:%Y-%m-%d %H:%M} UTC" if previous else ""
            _log(
                connection,
                SyncLogEntry.Action.IMPORTED,
                f"imported {event.get('name', 'an event')} at {_when(event)} with "
                f"{', '.join(i['email'] for i in active)} for {owner}{moved}",
                now=now,
                event_uri=event_uri,
            )
            return True
        booking = ie.booking
        if booking is None:
            return changed
        for inv in active:  # another guest of a group meeting
            local = appointments.appointment_invitee_add(booking=booking, guest=_guest(inv), now=now)
            ImportedInvitee.objects.create(event=ie, invitee_uri=inv["uri"], invitee=local)
            _log(
                connection,
                SyncLogEntry.Action.UPDATED,
                f"{inv['email']} joined {booking.event_type.name} at {_when(event)}",
                now=now,
                event_uri=event_uri,
            )
            changed = True
        for inv in invitees:
            row = known.get(inv["uri"])
            if inv.get("status") == "canceled" and row is not None and row.invitee is not None:
                changed |= _cancel_invitee(connection, booking, row, inv, event, now=now)
        if event.get("status") == "canceled" and booking.status == Booking.Status.CONFIRMED and not invitees:
            cancellation = event.get("cancellation") or {}
            appointments.appointment_cancel(
                booking=booking,
                reason=cancellation.get("reason") or "",
                canceled_by=cancellation.get("canceled_by") or "",
                now=now,
            )
            _log(
                connection,
                SyncLogEntry.Action.CANCELED,
                f"canceled {booking.event_type.name} at {_when(event)}",
                now=now,
                event_uri=event_uri,
            )
            changed = True
        start, end = parse_ts(event.get("start_time")), parse_ts(event.get("end_time"))
        if (
            booking.status == Booking.Status.CONFIRMED
            and start
            and end
            and (start, end) != (booking.start, booking.end)
        ):
            appointments.appointment_update(booking=booking, start=start, end=end, now=now)
            _log(
                connection,
                SyncLogEntry.Action.UPDATED,
                f"moved {booking.event_type.name} to {_when(event)}",
                now=now,
                event_uri=event_uri,
            )
            changed = True
        updated = parse_ts(event.get("updated_at"))
        if updated and updated != ie.remote_updated_at:
            ImportedEvent.objects.filter(pk=ie.pk).update(remote_updated_at=updated)
        return changed


def _cancel_invitee(connection, booking, row, inv, event, *, now) -> bool:
    local = row.invitee
    if local.status != "active":
        return False
    cancellation = inv.get("cancellation") or {}
    reason = cancellation.get("reason") or ""
    if inv.get("rescheduled"):
        others = booking.invitees.filter(status="active").exclude(pk=local.pk).exists()
        if not others:
            appointments.appointment_cancel(
                booking=booking,
                reason=reason,
                now=now,
                rescheduled=True,
                canceled_by=cancellation.get("canceled_by") or local.name,
            )
            _log(
                connection,
                SyncLogEntry.Action.CANCELED,
                f"{local.email} rescheduled {booking.event_type.name} at {_when(event)} in Calendly",
                now=now,
                event_uri=event["uri"],
            )
            return True
    appointments.appointment_invitee_cancel(invitee=local, reason=reason, now=now)
    _log(
        connection,
        SyncLogEntry.Action.CANCELED,
        f"{local.email} canceled {booking.event_type.name} at {_when(event)}" + (f": {reason}" if reason else ""),
        now=now,
        event_uri=event["uri"],
    )
    return True


def _importable(calendar: Calendar | None, event: dict) -> bool:
    if calendar is None or not calendar.selected or calendar.imported_from is None:
        return False
    created = parse_ts(event.get("created_at"))
    return created is not None and created >= calendar.imported_from


def _process(
    calendar: Calendar,
    event: dict,
    invitees: list[dict],
    *,
    now: datetime,
    rng: random.Random,
    types: dict | None = None,
) -> bool:
    """_apply, with a guard refusal logged (and retried next time) rather than raised. `types`: the
    external event types found so far in this run, by (owner, calendar uri)."""
    types = {} if types is None else types
    try:
        return _apply(calendar, event, invitees, now=now, rng=rng, types=types)
    except ImportOverlap as exc:
        types.clear()  # an event type created in the rolled-back transaction went with it
        _log(
            calendar.connection,
            SyncLogEntry.Action.SKIPPED,
            f"skipped: {exc.message}; trying again next poll",
            now=now,
            event_uri=event["uri"],
        )
    except InvalidInput as exc:
        types.clear()
        _log(
            calendar.connection,
            SyncLogEntry.Action.SKIPPED,
            f"skipped {event.get('name', 'an event')} at {_when(event)}: {exc.message}",
            now=now,
            event_uri=event["uri"],
        )
    except IntegrityError:
        types.clear()
        # A concurrent import of the same event or guest (webhook and poll at once) won; the next
        # delivery or poll sees its rows.
        log.info("import of %s raced another; leaving it to the winner", event.get("uri"))
    return False


# --- connection states: the connection layer's helpers (imports/services.py), one wording ----------------


def _failed(connection: Connection, exc: CalendlyError, *, now: datetime) -> None:
    connection_layer.connection_failed(connection=connection, error=exc, now=now)


# --- the poll ---------------------------------------------------------------------------------------------


def _calendars(connection: Connection) -> dict[str, Calendar]:
    return {c.uri: c for c in connection.calendars.filter(selected=True, imported_from__isnull=False)}


def _still_live(connection: Connection) -> bool:
    state = Connection.objects.filter(pk=connection.pk).values_list("state", flat=True).first()
    return state in LIVE


def sync_connection(
    *,
    connection: Connection,
    now: datetime,
    trigger: str = "poll",
    progress: Callable[[int, int], None] | None = None,
    rng: random.Random | None = None,
) -> SyncRun:
    """Poll one connection: import what is new on its selected calendars, follow cancels and reschedules.
    Idempotent; a run stopped by an error or a removal is resumed by the next one. `progress(done, total)`
    is called as events are done (also written to the SyncRun for the dashboard)."""
    rng = rng or random.Random()  # noqa: S311 - picks an owner among members, not a secret
    first = not connection.runs.exists()
    run = SyncRun.objects.create(
        connection=connection, trigger="first" if first and trigger == "poll" else trigger, started_at=now
    )

    def finish(outcome: str) -> SyncRun:
        run.finished_at, run.outcome = now, outcome[:500]
        run.save(update_fields=["finished_at", "outcome", "total", "done"])
        Connection.objects.filter(pk=connection.pk).update(last_polled_at=now)
        return run

    if connection.state not in LIVE and connection.state != Connection.State.STOPPED_FREE_PLAN:
        return finish(f"not synced: the connection is {connection.get_state_display().lower()}")
    calendars = _calendars(connection)
    client = CalendlyClient(connection, now=now)
    # The previous run that read every event: its start bounds what this one must list (see the top).
    previous_success = (
        connection.runs.filter(finished_at__isnull=False, total__isnull=False, done=F("total"))
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    try:
        # Each poll checks the plan (and records a failure to reach Calendly on the connection).
        if not connection_layer.check_plan(connection=connection, now=now, client=client):
            connection.refresh_from_db()
            return finish(connection.state_detail or FREE_PLAN)
        if not calendars:
            return finish("no calendars selected")
        since = min(c.imported_from for c in calendars.values())
        if previous_success and previous_success > since:
            since = previous_success
        known = dict(
            ImportedEvent.objects.filter(
                organization_id=connection.organization_id, calendar_uri__in=list(calendars)
            ).values_list("event_uri", "remote_updated_at")
        )
        todo = []
        for event in _remote_events(client, connection, calendars, since):
            calendar = calendars.get(event.get("event_type"))
            if event.get("uri") in known:
                if calendar is not None and parse_ts(event.get("updated_at")) != known[event["uri"]]:
                    todo.append((calendar, event))
            elif _importable(calendar, event):
                todo.append((calendar, event))
        run.total = len(todo)
        run.save(update_fields=["total"])
        changed, types = 0, {}
        for n, (calendar, event) in enumerate(todo, 1):
            if not _still_live(connection):
                return finish(f"stopped after {n - 1} of {len(todo)}: the connection was removed")
            try:
                invitees = list(client.invitees(event["uri"]))
            except CalendlyNotFound:
                invitees = []
            changed += _process(calendar, event, invitees, now=now, rng=rng, types=types)
            run.done = n
            if n % PROGRESS_EVERY == 0 or n == len(todo):
                SyncRun.objects.filter(pk=run.pk).update(done=n)
            if progress is not None:
                progress(n, len(todo))
    except CalendlyError as exc:
        _failed(connection, exc, now=now)
        return finish(f"stopped after {run.done} of {run.total or 0}: {exc.message}")
    connection_layer.connection_succeeded(connection=connection, now=now)
    return finish(f"{changed} changed of {run.total} read")


def _remote_events(client: CalendlyClient, connection: Connection, calendars: dict[str, Calendar], since):
    """The user's scheduled events; with a shared calendar selected, also the organization's (a round robin
    assigned to a member who has not connected is not the user's event, but it is the calendar's). Listing
    the organization needs an admin's token; without one, the user's events are what there is."""
    seen = set()
    for event in client.scheduled_events(user=connection.account_user_uri, min_start_time=since):
        seen.add(event.get("uri"))
        yield event
    if not connection.account_organization_uri or not any(c.kind == Calendar.Kind.SHARED for c in calendars.values()):
        return
    try:
        for event in client.scheduled_events(organization=connection.account_organization_uri, min_start_time=since):
            if event.get("uri") not in seen and event.get("event_type") in calendars:
                yield event
    except CalendlyError as exc:
        if exc.http_status != 403:
            raise


def handle_webhook(*, connection: Connection, payload: dict, now: datetime, rng: random.Random | None = None) -> None:
    """A verified Calendly webhook (invitee.created / invitee.canceled): the same import as the poll, for
    this one invitee. Idempotent. Events of calendars no live connection here selected are ignored."""
    event_name = payload.get("event")
    invitee = payload.get("payload")
    if event_name not in ("invitee.created", "invitee.canceled") or not isinstance(invitee, dict):
        return
    event = invitee.get("scheduled_event")
    if not isinstance(event, dict) or not event.get("uri") or not invitee.get("uri"):
        raise InvalidInput("The webhook's invitee has no scheduled event", field="payload")
    if connection.state not in LIVE:
        return
    calendar = _calendar_for(connection, event.get("event_type") or "")
    if calendar is None:
        return
    known = ImportedEvent.objects.filter(organization_id=connection.organization_id, event_uri=event["uri"]).exists()
    if not known and not _importable(calendar, event):
        return
    _process(calendar, event, [invitee], now=now, rng=rng or random.Random())  # noqa: S311 - not a secret


def _calendar_for(connection: Connection, uri: str) -> Calendar | None:
    """The calendar a delivered event belongs to: this connection's own, else (an organization-scope
    subscription) another live connection's in the same sub-account."""
    qs = Calendar.objects.filter(uri=uri, selected=True, imported_from__isnull=False).select_related(
        "connection__membership"
    )
    mine = qs.filter(connection=connection).first()
    if mine is not None:
        return mine
    return (
        qs.filter(connection__organization_id=connection.organization_id, connection__state__in=LIVE)
        .order_by("imported_from")
        .first()
    )


# --- deletion ---------------------------------------------------------------------------------------------


def delete_synced(*, calendar: Calendar, now: datetime) -> int:
    """This member chose "delete everything it synced, permanently" for `calendar`. A personal calendar's
    appointments go now; a shared calendar's go only when every member who connected it chose so (until
    then they stay, and their page says how many chose). Returns how many appointments were deleted.
    Deleted ones leave tombstones and never come back; contacts stay, their history and owner updated."""
    connection = calendar.connection
    Calendar.objects.filter(pk=calendar.pk).update(delete_chosen_at=now)
    calendar.delete_chosen_at = now
    if calendar.kind == Calendar.Kind.SHARED:
        chose, of = deletion_votes(calendar.uri, connection.organization_id)
        if chose < of:
            _log(
                connection,
                SyncLogEntry.Action.DELETED,
                f"{connection.membership} chose to delete what {calendar.name} synced: {chose} of {of} "
                "connected members chose to delete; it stays until all do",
                now=now,
            )
            return 0
    events = ImportedEvent.objects.filter(
        organization_id=connection.organization_id, calendar_uri=calendar.uri, deleted_at__isnull=True
    ).select_related("booking")
    deleted = 0
    for ie in events.iterator():
        with transaction.atomic():
            if ie.booking_id is not None:
                appointments.appointment_delete(booking=ie.booking, now=now)
                deleted += 1
            ImportedEvent.objects.filter(pk=ie.pk).update(booking=None, deleted_at=now)
    _log(
        connection,
        SyncLogEntry.Action.DELETED,
        f"deleted {deleted} appointment{'s' if deleted != 1 else ''} synced from {calendar.name}, permanently",
        now=now,
    )
    return deleted


# --- the poll job -----------------------------------------------------------------------------------------


def schedule_poll(connection: Connection, *, due_at: datetime) -> None:
    """One pending poll per connection; "sync now" replaces the next one."""
    key = f"imports-poll:{connection.pk}"
    cancel_pending(key, kinds=[POLL_JOB])
    enqueue(
        POLL_JOB,
        {"connection_id": connection.pk},
        due_at=due_at,
        key=key,
        max_attempts=1,
        organization_id=connection.organization_id,
    )


@handler(POLL_JOB)
def run_poll(payload, job) -> None:
    """Poll one connection, then queue the next poll: in 5 minutes, or at retry_at after a failure."""
    now = job.now
    connection = Connection.objects.filter(pk=payload["connection_id"]).select_related("membership").first()
    if connection is None or connection.state in (Connection.State.REMOVED, Connection.State.AUTH_FAILED):
        return  # removed, or waiting for the user to connect again (which schedules a poll)
    if connection.state == Connection.State.RETRYING and connection.retry_at and connection.retry_at > now:
        schedule_poll(connection, due_at=connection.retry_at)
        return
    try:
        sync_connection(connection=connection, now=now)
    finally:
        connection.refresh_from_db()
        if connection.state not in (Connection.State.REMOVED, Connection.State.AUTH_FAILED):
            due = connection.retry_at if connection.state == Connection.State.RETRYING and connection.retry_at else None
            schedule_poll(connection, due_at=due or now + POLL_EVERY)


def poll_all(*, now: datetime) -> int:
    """Queue a poll for every connection that should be polled and has none pending (a worker starting:
    the chain of polls survives a queue that was cleared or a poll job that was lost)."""
    from slotwise.jobs.models import Job

    pending = set(Job.objects.filter(kind=POLL_JOB, status=Job.Status.PENDING).values_list("key", flat=True))
    n = 0
    for connection in Connection.objects.filter(Q(state__in=LIVE) | Q(state=Connection.State.STOPPED_FREE_PLAN)):
        if f"imports-poll:{connection.pk}" not in pending:
            schedule_poll(connection, due_at=now)
            n += 1
    return n
