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


TRIGGER_WORDS: dict[str, str] = {
    Rule.Trigger.CREATED: "A booking is made",
    Rule.Trigger.CANCELED: "A booking is cancelled",
    Rule.Trigger.RESCHEDULED: "A booking is rescheduled",
}
FIELD_WORDS = {
    "event_type": "the event's name",
    "title": "the meeting title (event name with the invitee)",
    "host": "the host (page name or email)",
    "team": "the team",
    "answer": "the answer to a question",
    "invitee_email": "the invitee's email",
}
OP_WORDS = {"contains": "contains", "equals": "is exactly"}


def _clean(*, organization, name: str, trigger: str, action: str, filters, params) -> dict:
    """One set of rules for every door (dashboard, load files, tests); messages in words, `field` for forms."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput('Give the rule a name, such as "Copy support calls to the team calendar"', field="name")
    if len(name) > 200:
        raise InvalidInput("A rule's name can be at most 200 characters", field="name")
    if trigger not in Rule.Trigger.values:
        raise InvalidInput(
            f"{trigger!r} is not something a rule can run on; choose one of: " + ", ".join(TRIGGER_WORDS.values()),
            field="trigger",
        )
    registered = get_action(action)
    if registered is None:
        from .registry import action_names

        raise InvalidInput(
            f"{action!r} is not something a rule can do; choose one of: {', '.join(action_names())}", field="action"
        )
    filters = validate_filters(filters or [])
    params = validate_params(action, params or {})
    if registered.check is not None:
        params = registered.check(organization=organization, params=params)
    return {"name": name, "trigger": trigger, "action": action, "filters": filters, "params": params or {}}


def rule_create(
    *,
    organization,
    name: str,
    trigger: str,
    action: str,
    filters: list | None = None,
    params: dict | None = None,
    undo_on_cancel: bool = True,
    active: bool = True,
) -> Rule:
    values = _clean(
        organization=organization, name=name, trigger=trigger, action=action, filters=filters, params=params
    )
    return Rule.objects.create(organization=organization, undo_on_cancel=undo_on_cancel, active=active, **values)


def rule_update(
    *,
    rule: Rule,
    name: str,
    trigger: str,
    action: str,
    filters: list | None = None,
    params: dict | None = None,
    undo_on_cancel: bool = True,
    active: bool | None = None,
) -> Rule:
    """Change a rule. What it already did stays in its log (and is undone on cancel as before)."""
    values = _clean(
        organization=rule.organization, name=name, trigger=trigger, action=action, filters=filters, params=params
    )
    for k, v in values.items():
        setattr(rule, k, v)
    rule.undo_on_cancel = undo_on_cancel
    if active is not None:
        rule.active = active
    rule.save()
    return rule


def rule_set_active(*, rule: Rule, active: bool) -> Rule:
    Rule.objects.filter(pk=rule.pk).update(active=active)
    rule.active = active
    return rule


def rule_dry_run(*, rule: Rule, now: datetime, days: int = 30, limit: int = 200) -> list[Booking]:
    """The upcoming confirmed bookings (from `now`, for `days`) that this rule's conditions match: what it
    would have acted on had they been made now. Changes nothing."""
    from datetime import timedelta

    upcoming = (
        Booking.objects.filter(
            organization_id=rule.organization_id,
            status=Booking.Status.CONFIRMED,
            start__gte=now,
            start__lt=now + timedelta(days=days),
        )
        .select_related("event_type__team", "host__user")
        .prefetch_related("invitees", "host_blocks__membership__user")
        .order_by("start", "pk")
    )
    out = []
    for booking in upcoming:
        if matches(rule, booking, list(booking.invitees.all())):
            out.append(booking)
            if len(out) >= limit:
                break
    return out


def describe(rule: Rule) -> str:
    """The rule in one sentence, for the dashboard and its log."""
    conditions = " and ".join(
        f"{FIELD_WORDS.get(f['field'], f['field'])}{' ' + repr(f['key']) if f.get('key') else ''} "
        f"{OP_WORDS.get(f.get('op', 'contains'), f.get('op'))} \u201c{f['value']}\u201d"
        for f in rule.filters or []
    )
    action = get_action(rule.action)
    what = action.label if action else rule.action
    when = TRIGGER_WORDS.get(rule.trigger, rule.trigger)
    return f"{when}{' and ' + conditions if conditions else ''}: {what[:1].lower() + what[1:]}."


def validate_params(action: str, params: dict) -> dict:
    """The built-in actions' parameters; other actions check theirs through the registry's `check`."""
    from urllib.parse import urlparse

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not isinstance(params, dict):
        raise InvalidInput("The action's settings must be an object", field="params")
    if action == "webhook":
        url = urlparse(str(params.get("url", "")))
        if url.scheme not in ("http", "https") or not url.netloc:
            raise InvalidInput(
                "Give the http(s) address to post to, such as https://example.com/hook", field="params.url"
            )
        # Checked again on every run: the name may resolve elsewhere by then.
        params = {
            **params,
            "url": outbound.check_url(str(params["url"]), purpose="Rule webhook URL", field="params.url"),
        }
    if action == "email":
        to = params.get("to")
        addresses = to if isinstance(to, list) else [to]
        try:
            if not to:
                raise ValidationError("empty")
            for a in addresses:
                validate_email(a)
        except ValidationError:
            raise InvalidInput(f"{to!r} is not an email address (or a list of them)", field="params.to") from None
    return params


def validate_filters(filters: list) -> list:
    if not isinstance(filters, list):
        raise InvalidInput("Conditions must be a list", field="filters")
    for i, f in enumerate(filters):
        n, where = i + 1, f"filters[{i}]"
        if not isinstance(f, dict) or f.get("field") not in FIELDS:
            raise InvalidInput(
                f"Condition {n}: choose what to look at: {', '.join(FIELD_WORDS.values())}", field=f"{where}.field"
            )
        if f.get("op", "contains") not in OPS:
            raise InvalidInput(
                f"Condition {n}: choose \u201ccontains\u201d or \u201cis exactly\u201d", field=f"{where}.op"
            )
        if not isinstance(f.get("value"), str) or not f["value"].strip():
            raise InvalidInput(f"Condition {n}: give the text to look for", field=f"{where}.value")
        if f["field"] == "answer" and not f.get("key"):
            raise InvalidInput(f"Condition {n}: name the question whose answer is checked", field=f"{where}.key")
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
    for rule in Rule.objects.filter(organization_id=booking.organization_id, trigger=trigger, active=True).order_by(
        "pk"
    ):
        if not matches(rule, booking, invitees):
            continue
        run = RuleRun.objects.create(rule=rule, booking=booking, trigger=trigger, action=rule.action, created_at=now)
        enqueue(
            RUN_JOB, {"run_id": run.pk}, key=f"rule-run:{run.pk}", organization_id=booking.organization_id, due_at=now
        )
        runs.append(run)
    return runs


def undo_for_booking(*, booking: Booking, now: datetime) -> int:
    """Undo what rules did for a booking that is no longer happening. Runs not yet started are skipped."""
    n = 0
    for run in RuleRun.objects.filter(
        booking=booking, status__in=[RuleRun.Status.PENDING, RuleRun.Status.DONE]
    ).select_related("rule"):
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
    enqueue(
        UNDO_JOB, {"run_id": run.pk}, key=f"rule-run:{run.pk}", organization_id=run.rule.organization_id, due_at=now
    )


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
    return (
        RuleRun.objects.select_related("rule", "booking__event_type", "booking__host__user").filter(pk=run_id).first()
    )


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
        action.undo(
            rule=run.rule, booking=run.booking, params=dict(run.rule.params or {}), state=run.state or {}, now=now
        )
    except Exception as exc:
        final = job.attempts >= job.max_attempts
        RuleRun.objects.filter(pk=run.pk).update(
            error=f"undo: {exc.__class__.__name__}: {exc}"[:4000],
            status=RuleRun.Status.UNDO_FAILED if final else RuleRun.Status.UNDOING,
        )
        raise
    RuleRun.objects.filter(pk=run.pk).update(status=RuleRun.Status.UNDONE, undone_at=now, error="")
