from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError
from slotwise.scheduling.models import EventType

from . import services
from .models import BOOKING_KINDS, EmailTemplate, Kind, Reminder
from .services import preview, template_save

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}


@membership_required
def template_preview(request, event_type_id: int):
    """GET: an event type's emails as they will go out; POST: the wording being edited, before saving it."""
    membership = request.membership
    event_type = EventType.objects.filter(pk=event_type_id, organization_id=membership.organization_id).first()
    if event_type is None:
        raise Http404("No such event type in your organizations")
    kind = request.POST.get("kind") or request.GET.get("kind") or Kind.INVITEE_CONFIRMED
    fields = {k: request.POST.get(k, "") for k in ("subject", "text", "html")} if request.method == "POST" else {}
    error, rendered, saved = "", None, ""
    try:
        rendered = preview(kind=kind, event_type=event_type, now=utc_now(), **fields)
        scope = request.POST.get("save")
        if request.method == "POST" and scope in ("event_type", "organization"):
            template_save(
                organization=event_type.organization,
                kind=kind,
                membership=membership,
                event_type=event_type if scope == "event_type" else None,
                **fields,
            )
            saved = "Saved for this event type." if scope == "event_type" else "Saved for the organization."
    except SlotwiseError as exc:
        error = exc.message
    stored = (
        EmailTemplate.objects.filter(
            organization=event_type.organization, kind=kind, event_type__in=[event_type]
        ).first()
        or EmailTemplate.objects.filter(
            organization=event_type.organization, kind=kind, event_type__isnull=True
        ).first()
    )
    status = 403 if error.startswith("only admins") else 400 if error else 200
    response = render(
        request,
        "notifications/dashboard/preview.html",
        {
            "nav": "event_types",
            "event_type": event_type,
            "kind": kind,
            "kinds": [(k, label) for k, label in Kind.choices if k in BOOKING_KINDS],
            "rendered": rendered,
            "error": error,
            "saved": saved,
            "fields": fields
            or {
                "subject": getattr(stored, "subject", ""),
                "text": getattr(stored, "text", ""),
                "html": getattr(stored, "html", ""),
            },
        },
        status=status,
    )
    # The email's HTML is shown in a sandboxed srcdoc frame, which inherits this page's policy: emails are
    # styled inline, so styles (never scripts) may be inline here.
    response.csp_override = {"style-src": ["'self'", "'unsafe-inline'"]}
    return response


# --- reminders and follow-ups per event type ---------------------------------------------------------------


def _editable(request, event_type_id: int) -> EventType:
    m = request.membership
    event_type = EventType.objects.filter(pk=event_type_id, organization=m.organization).first()
    if event_type is None:
        raise Http404("No such event type in this organization")
    if not (m.is_admin or event_type.owner_id == m.pk):
        raise PermissionDenied("Only the event type's owner or an admin changes its reminders.")
    return event_type


def _split_offset(minutes: int) -> tuple[int, str]:
    for unit in ("days", "hours"):
        if minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return minutes, "minutes"


def _form(reminder: Reminder | None) -> dict:
    if reminder is None:
        return {
            "name": "Reminder",
            "amount": "1",
            "unit": "days",
            "when": Reminder.When.BEFORE_START,
            "recipient": Reminder.Recipient.INVITEE,
            "subject": "",
            "text": "",
            "active": True,
        }
    amount, unit = _split_offset(reminder.offset_minutes)
    return {
        "name": reminder.name,
        "amount": str(amount),
        "unit": unit,
        "when": reminder.when,
        "recipient": reminder.recipient,
        "subject": reminder.subject,
        "text": reminder.text,
        "active": reminder.active,
    }


def _offset(form: dict) -> int | None:
    try:
        return int(form["amount"]) * UNITS[form["unit"]]
    except (KeyError, ValueError):
        return None


@membership_required
def reminders(request, event_type_id: int, reminder_id: int | None = None):
    """An event type's reminders (before the start) and follow-ups (after the end): list, add, edit, and a
    preview of the email with the wording being written. The service validates, as for load files."""
    event_type = _editable(request, event_type_id)
    editing = None
    if reminder_id is not None:
        editing = Reminder.objects.filter(pk=reminder_id, event_type=event_type).first()
        if editing is None:
            raise Http404("No such reminder for this event type")
    form, errors, rendered = _form(editing), {}, None
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("name", "amount", "unit", "when", "recipient", "subject", "text")}
        form["active"] = bool(request.POST.get("active"))
        args = {
            "offset_minutes": _offset(form),
            "when": form["when"],
            "recipient": form["recipient"],
            "name": form["name"],
            "subject": form["subject"],
            "text": form["text"],
            "active": form["active"],
        }
        try:
            if request.POST.get("preview"):
                rendered = preview(
                    kind=Kind.REMINDER, event_type=event_type, now=utc_now(), subject=form["subject"], text=form["text"]
                )
            elif editing is None:
                services.reminder_create(organization=event_type.organization, event_type=event_type, **args)
                messages.success(request, "Reminder added. Bookings made from now on get it.")
                return redirect("notifications:reminders", event_type_id=event_type.pk)
            else:
                services.reminder_update(reminder=editing, **args)
                messages.success(request, "Reminder saved.")
                return redirect("notifications:reminders", event_type_id=event_type.pk)
        except SlotwiseError as exc:
            errors["amount" if exc.field == "offset_minutes" else (exc.field or "form")] = exc.message
    own = list(Reminder.objects.filter(event_type=event_type).order_by("when", "offset_minutes", "pk"))
    everywhere = list(
        Reminder.objects.filter(organization=event_type.organization, event_type__isnull=True).order_by(
            "when", "offset_minutes", "pk"
        )
    )
    response = render(
        request,
        "notifications/dashboard/reminders.html",
        {
            "nav": "event_types",
            "event_type": event_type,
            "form": form,
            "errors": errors,
            "editing": editing,
            "rendered": rendered,
            "units": list(UNITS),
            "whens": list(services.WHEN_WORDS.items()),
            "recipients": list(services.RECIPIENT_WORDS.items()),
            "own": [(r, services.reminder_describe(r)) for r in own],
            "everywhere": [(r, services.reminder_describe(r)) for r in everywhere],
        },
        status=400 if errors else 200,
    )
    response.csp_override = {"style-src": ["'self'", "'unsafe-inline'"]}  # the previewed email is styled inline
    return response


@require_POST
@membership_required
def reminder_delete(request, event_type_id: int, reminder_id: int):
    event_type = _editable(request, event_type_id)
    reminder = Reminder.objects.filter(pk=reminder_id, event_type=event_type).first()
    if reminder is None:
        raise Http404("No such reminder for this event type")
    services.reminder_delete(reminder=reminder)
    messages.success(request, "Reminder deleted; it is not sent for any booking from now on.")
    return redirect("notifications:reminders", event_type_id=event_type.pk)
