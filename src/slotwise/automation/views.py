"""/dashboard/rules/: rules in words. Create, edit, switch on and off, dry-run against upcoming bookings, and
read each rule's log. Owners and admins of the organization being acted in (accounts.current_membership);
every write goes through automation/services.py, the same rules and messages as load files."""

import json
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError
from slotwise.scheduling.selectors import reading_zone

from . import services
from .models import Rule
from .registry import action_names, get_action
from .selectors import rules_with_runs

CONDITION_ROWS = 3
RUN_WORDS = {
    "pending": "waiting to run",
    "done": "done",
    "failed": "failed",
    "skipped": "skipped (cancelled first)",
    "undoing": "being undone",
    "undone": "undone",
    "undo_failed": "undo failed",
}


def _admin(request):
    if not request.membership.is_admin:
        raise PermissionDenied("Only the organization's owners and admins manage its rules.")
    return request.membership


def _rule(request, pk: int) -> Rule:
    rule = Rule.objects.filter(pk=pk, organization=request.membership.organization).first()
    if rule is None:
        raise Http404("No such rule in this organization")
    return rule


def _actions(organization) -> list[dict]:
    out = []
    for name in action_names():
        a = get_action(name)
        if name.startswith("test."):
            continue  # registered by the test suite only
        targets = [
            (json.dumps(p, sort_keys=True), words) for p, words in (a.targets(organization) if a.targets else [])
        ]
        out.append({"name": name, "label": a.label, "targets": targets, "has_targets": a.targets is not None})
    return out


def _form_from_rule(rule: Rule | None) -> dict:
    form = {
        "name": "",
        "trigger": Rule.Trigger.CREATED,
        "action": "copy_to_calendar",
        "target": "",
        "url": "",
        "to": "",
        "undo_on_cancel": True,
        "active": True,
        "conditions": [{"field": "", "op": "contains", "value": "", "key": ""} for _ in range(CONDITION_ROWS)],
    }
    if rule is None:
        form["conditions"][0].update(field="event_type", value="support")
        return form
    form.update(
        name=rule.name,
        trigger=rule.trigger,
        action=rule.action,
        undo_on_cancel=rule.undo_on_cancel,
        active=rule.active,
        url=rule.params.get("url", ""),
        to=rule.params.get("to", ""),
    )
    if rule.action == "copy_to_calendar":
        form["target"] = json.dumps({k: rule.params.get(k) for k in ("calendar", "connection_id")}, sort_keys=True)
    for i, f in enumerate((rule.filters or [])[:CONDITION_ROWS]):
        form["conditions"][i] = {
            "field": f["field"],
            "op": f.get("op", "contains"),
            "value": f["value"],
            "key": f.get("key", ""),
        }
    return form


def _form_from_post(post) -> dict:
    return {
        "name": post.get("name", ""),
        "trigger": post.get("trigger", ""),
        "action": post.get("action", ""),
        "target": post.get("target", ""),
        "url": post.get("url", ""),
        "to": post.get("to", ""),
        "undo_on_cancel": bool(post.get("undo_on_cancel")),
        "active": bool(post.get("active")),
        "conditions": [
            {k: post.get(f"cond_{i}_{k}", "") for k in ("field", "op", "value", "key")} for i in range(CONDITION_ROWS)
        ],
    }


def _service_args(form: dict) -> dict:
    filters = []
    for c in form["conditions"]:
        if not c["field"] and not c["value"].strip():
            continue  # an empty row
        f = {"field": c["field"], "op": c["op"] or "contains", "value": c["value"]}
        if c["key"]:
            f["key"] = c["key"]
        filters.append(f)
    action = form["action"]
    if action == "webhook":
        params = {"url": form["url"]}
    elif action == "email":
        params = {"to": [a.strip() for a in re.split(r"[,\s]+", form["to"]) if a.strip()]}
    else:
        try:
            params = json.loads(form["target"]) if form["target"] else {}
        except ValueError:
            params = {}
    return {
        "name": form["name"],
        "trigger": form["trigger"],
        "action": action,
        "filters": filters,
        "params": params,
        "undo_on_cancel": form["undo_on_cancel"],
    }


def _error_key(field: str | None) -> str:
    """Where a service error is shown: filters[1].value -> the second condition row, params.url -> url."""
    if not field:
        return "form"
    m = re.match(r"filters\[(\d+)\]\.(\w+)", field)
    if m:
        return f"cond_{m.group(1)}"
    if field.startswith("params.connection_id") or field.startswith("params.calendar"):
        return "target"
    return field.removeprefix("params.")


def _log_lines(run) -> list[dict]:
    """A run in the log, newest first: an undone run shows what it did and then its undoing, each at its time."""
    last = {
        "run": run,
        "at": run.undone_at or run.done_at or run.created_at,
        "words": RUN_WORDS.get(run.status, run.status),
    }
    if run.done_at and run.status in ("undoing", "undone", "undo_failed"):
        return [last, {"run": run, "at": run.done_at, "words": RUN_WORDS["done"]}]
    return [last]


@membership_required
def rule_list(request):
    m = _admin(request)
    rules = []
    for rule, runs in rules_with_runs(organization_ids=[m.organization_id]):
        rules.append(
            {
                "rule": rule,
                "sentence": services.describe(rule),
                "runs": [line for r in runs for line in _log_lines(r)],
            }
        )
    return render(request, "automation/rules.html", {"nav": "rules", "rules": rules})


@membership_required
def rule_edit(request, pk: int | None = None):
    m = _admin(request)
    rule = _rule(request, pk) if pk is not None else None
    form = _form_from_rule(rule)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = _form_from_post(request.POST)
        args = _service_args(form)
        try:
            if rule is None:
                rule = services.rule_create(organization=m.organization, active=form["active"], **args)
                messages.success(
                    request, f"Rule \u201c{rule.name}\u201d created. Try a dry run to see what it matches."
                )
            else:
                services.rule_update(rule=rule, active=form["active"], **args)
                messages.success(request, f"Rule \u201c{rule.name}\u201d saved.")
        except SlotwiseError as exc:
            errors[_error_key(exc.field)] = exc.message
        else:
            return redirect("automation:rules")
    return render(
        request,
        "automation/rule_form.html",
        {
            "nav": "rules",
            "rule": rule,
            "form": form,
            "errors": errors,
            "actions": _actions(m.organization),
            "triggers": list(services.TRIGGER_WORDS.items()),
            "fields": list(services.FIELD_WORDS.items()),
            "ops": list(services.OP_WORDS.items()),
        },
        status=400 if errors else 200,
    )


@require_POST
@membership_required
def rule_toggle(request, pk: int):
    _admin(request)
    rule = services.rule_set_active(rule=_rule(request, pk), active=request.POST.get("active") == "1")
    messages.success(request, f"Rule \u201c{rule.name}\u201d is {'on' if rule.active else 'off'}.")
    return redirect("automation:rules")


@membership_required
def rule_dry_run(request, pk: int):
    m = _admin(request)
    rule = _rule(request, pk)
    zone = reading_zone(m)  # as on the booking detail pages the rows link to
    matched = [
        {"booking": b, "start": b.start, "invitees": list(b.invitees.all())}
        for b in services.rule_dry_run(rule=rule, now=utc_now())
    ]
    return render(
        request,
        "automation/dry_run.html",
        {
            "nav": "rules",
            "rule": rule,
            "sentence": services.describe(rule),
            "matched": matched,
            "zone": zone,
        },
    )
