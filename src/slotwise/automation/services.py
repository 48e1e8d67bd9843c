"""Rules: a trigger, filters, an action; run as durable jobs and logged as RuleRuns.

Subscribers (apps.py) run inside the booking's transaction: they pick the matching rules and write a
RuleRun plus its job, so a rolled-back booking leaves no run behind. When a booking is canceled (or moved
by a reschedule) every run that was done for it and whose action can be undone is undone, also as a job."""

import logging
from datetime import datetime

from django.db import transaction

from slotwise.bookings.models import Booking, Invitee
from slotwise.core import outbound
from slotwise.core.errors import InvalidInput
from slotwise.jobs.models import Job
from slotwise.jobs.services import cancel_pending, enqueue, handler

from .models import Rule, RuleRun
from .registry import get_action

log = logging.getLogger(__name__)

RUN_JOB = "automation.run"
UNDO_JOB = "automation.undo"
FIELDS = ("event_type", "title", "host", "team", "answer", "invitee_email")
OPS = ("contains", "equals")


def rule_create(
    *, organization, name: str, trigger: str, action: str, filters: list | None = None, params: dict | None = None,
    undo_on_cancel: bool = True,
) -> Rule:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: give the rule a name", field="name")
    if trigger not in Rule.Trigger.values:
        raise InvalidInput(f"trigger: {trigger!r} is not one of {Rule.Trigger.values}", field="trigger")
    if get_action(action) is None:
        from .registry import action_names

        raise InvalidInput(f"action: {action!r} is not one of {action_names()}", field="action")
    filters = validate_filters(filters or [])
    params = validate_params(action, params or {})
    return Rule.objects.create(organization=organization, name=name[:200], trigger=trigger, action=action,
                               filters=filters, params=params or {}, undo_on_cancel=undo_on_cancel)


def validate_params(action: str, params: dict) -> dict:
    """The built-in actions' parameters; other actions check their own when they run."""
    from urllib.parse import urlparse

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not isinstance(params, dict):
        raise InvalidInput("params: give an object", field="params")
    if action == "webhook":
        url = urlparse(str(params.get("url", "")))
        if url.scheme not in ("http", "https") or not url.netloc:
            raise InvalidInput("params.url: give the http(s) address to POST to", field="params.url")
        # Checked again on every run: the name may resolve elsewhere by then.
        params = {**params, "url": outbound.check_url(str(params["url"]), purpose="Rule webhook URL", field="params.url")}
    if action == "email":
        to = params.get("to")
        addresses = to if isinstance(to, list) else [to]
        try:
            if not to:
                raise ValidationError("empty")
            for a in addresses:
                validate_email(a)
        except ValidationError:
            raise InvalidInput(f"params.to: {to!r} is not an email address (or a list of them)",
                               field="params.to") from None
    return params


def validate_filters(filters: list) -> list:
    if not isinstance(filters, list):
        raise InvalidInput("filters: give a list of {field, op, value}", field="filters")
    for i, f in enumerate(filters):
        where = f"filters[{i}]"
        if not isinstance(f, dict) or f.get("field") not in FIELDS:
            raise InvalidInput(f"{where}.field: use one of {list(FIELDS)}", field=f"{where}.field")
        if f.get("op", "contains") not in OPS:
            raise InvalidInput(f"{where}.op: use one of {list(OPS)}", field=f"{where}.op")
        if not isinstance(f.get("value"), str) or not f["value"].strip():
            raise InvalidInput(f"{where}.value: give the text to look for", field=f"{where}.value")
        if f["field"] == "answer" and not f.get("key"):
            raise InvalidInput(f"{where}.key: name the question whose answer is checked", field=f"{where}.key")
    return filters


# --- matching --------------------------------------------------------------------------------------------


def _values(field: str, booking: Booking, invitees: list[Invitee], key: str | None) -> list[str]:
    et = booking.event_type
    if field == "event_type":
        return [et.name]
    if field == "title":
        return [f"{et.name} with {i.name}" for i in invitees] or [et.name]
    if field == "host":
        hosts = [bh.membership for bh in booking.host_blocks.select_related("membership__user")] or [booking.host]
        return [v for m in hosts for v in (m.slug, m.user.email)]
    if field == "team":
        return [et.team.slug, et.team.name] if et.team is not None else []
    if field == "answer":
        return [a.get("answer", "") for i in invitees for a in (i.answers or []) if a.get("key") == key]
    if field == "invitee_email":
        return [i.email for i in invitees]
    return []


def matches(rule: Rule, booking: Booking, invitees: list[Invitee]) -> bool:
    for f in rule.filters or []:
        wanted = f["value"].strip().casefold()
        values = [v.casefold() for v in _values(f["field"], booking, invitees, f.get("key"))]
        if f.get("op", "contains") == "equals":
            ok = any(v == wanted for v in values)
        else:
            ok = any(wanted in v for v in values)
        if not ok:
            return False
    return True


def fire(*, trigger: str, booking: Booking, invitees: list[Invitee], now: datetime) -> list[RuleRun]:
    runs = []
    for rule in Rule.objects.filter(organization_id=booking.organization_id, trigger=trigger, active=True).order_by("pk"):
        if not matches(rule, booking, invitees):
            continue
        run = RuleRun.objects.create(rule=rule, booking=booking, trigger=trigger, action=rule.action, created_at=now)
        enqueue(RUN_JOB, {"run_id": run.pk}, key=f"rule-run:{run.pk}", organization_id=booking.organization_id,
                due_at=now)
        runs.append(run)
    return runs


def undo_for_booking(*, booking: Booking, now: datetime) -> int:
    """Undo what rules did for a booking that is no longer happening. Runs not yet started are skipped."""
    n = 0
    for run in RuleRun.objects.filter(booking=booking, status__in=[RuleRun.Status.PENDING, RuleRun.Status.DONE]) \
            .select_related("rule"):
        if run.trigger != Rule.Trigger.CREATED or not run.rule.undo_on_cancel:
            continue
        if run.status == RuleRun.Status.PENDING:
            cancel_pending(f"rule-run:{run.pk}")
            RuleRun.objects.filter(pk=run.pk, status=RuleRun.Status.PENDING).update(status=RuleRun.Status.SKIPPED)
            continue
        action = get_action(run.action)
        if action is None or action.undo is None:
            continue
        _enqueue_undo(run, now)
        n += 1
    return n


def _enqueue_undo(run: RuleRun, now: datetime) -> None:
    RuleRun.objects.filter(pk=run.pk).update(status=RuleRun.Status.UNDOING)
    enqueue(UNDO_JOB, {"run_id": run.pk}, key=f"rule-run:{run.pk}", organization_id=run.rule.organization_id,
            due_at=now)


# --- subscribers -----------------------------------------------------------------------------------------


def on_booking_created(*, booking: Booking, invitee: Invitee, now: datetime, **_) -> None:
    fire(trigger=Rule.Trigger.CREATED, booking=booking, invitees=[invitee], now=now)


def on_booking_canceled(*, booking: Booking, invitees: list[Invitee], now: datetime, **_) -> None:
    undo_for_booking(booking=booking, now=now)
    fire(trigger=Rule.Trigger.CANCELED, booking=booking, invitees=invitees, now=now)


def on_booking_rescheduled(*, old: Booking, invitee: Invitee, new: Invitee, now: datetime, **_) -> None:
    if old.status == Booking.Status.RESCHEDULED:
        # The old time is gone: what was done for it (a calendar copy) must not stay behind.
        undo_for_booking(booking=old, now=now)
    fire(trigger=Rule.Trigger.RESCHEDULED, booking=new.booking, invitees=[new], now=now)


# --- jobs ------------------------------------------------------------------------------------------------


def _load(run_id: int) -> RuleRun | None:
    return RuleRun.objects.select_related("rule", "booking__event_type", "booking__host__user").filter(pk=run_id).first()


@handler(RUN_JOB)
def run_rule(payload: dict, job: Job) -> None:
    run = _load(payload["run_id"])
    if run is None or run.status != RuleRun.Status.PENDING:
        return
    action = get_action(run.action)
    now = job.now
    RuleRun.objects.filter(pk=run.pk).update(attempts=job.attempts)
    try:
        if action is None:
            raise LookupError(f"no action {run.action!r} is registered")
        state = action.do(rule=run.rule, booking=run.booking, params=dict(run.rule.params or {}), now=now) or {}
    except Exception as exc:
        final = job.attempts >= job.max_attempts
        RuleRun.objects.filter(pk=run.pk).update(
            error=f"{exc.__class__.__name__}: {exc}"[:4000],
            status=RuleRun.Status.FAILED if final else RuleRun.Status.PENDING,
        )
        raise
    with transaction.atomic():
        done = RuleRun.objects.filter(pk=run.pk, status=RuleRun.Status.PENDING).update(
            status=RuleRun.Status.DONE, state=state, error="", done_at=now
        )
        if not done:
            # The booking was canceled while the action ran: keep what it did on record, then undo it.
            RuleRun.objects.filter(pk=run.pk).update(state=state, done_at=now)
            run.refresh_from_db()
            if action.undo is not None and run.rule.undo_on_cancel:
                _enqueue_undo(run, now)


@handler(UNDO_JOB)
def undo_rule(payload: dict, job: Job) -> None:
    run = _load(payload["run_id"])
    if run is None or run.status != RuleRun.Status.UNDOING:
        return
    action = get_action(run.action)
    now = job.now
    try:
        if action is None or action.undo is None:
            raise LookupError(f"the action {run.action!r} has no undo")
        action.undo(rule=run.rule, booking=run.booking, params=dict(run.rule.params or {}), state=run.state or {},
                    now=now)
    except Exception as exc:
        final = job.attempts >= job.max_attempts
        RuleRun.objects.filter(pk=run.pk).update(
            error=f"undo: {exc.__class__.__name__}: {exc}"[:4000],
            status=RuleRun.Status.UNDO_FAILED if final else RuleRun.Status.UNDOING,
        )
        raise
    RuleRun.objects.filter(pk=run.pk).update(status=RuleRun.Status.UNDONE, undone_at=now, error="")
