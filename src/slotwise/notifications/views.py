from django.http import Http404
from django.shortcuts import render

from slotwise.accounts.decorators import membership_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError
from slotwise.scheduling.models import EventType

from .models import EmailTemplate, Kind
from .services import preview, template_save


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
            template_save(organization=event_type.organization, kind=kind, membership=membership,
                          event_type=event_type if scope == "event_type" else None, **fields)
            saved = "Saved for this event type." if scope == "event_type" else "Saved for the organization."
    except SlotwiseError as exc:
        error = exc.message
    stored = EmailTemplate.objects.filter(organization=event_type.organization, kind=kind,
                                          event_type__in=[event_type]).first() or \
        EmailTemplate.objects.filter(organization=event_type.organization, kind=kind, event_type__isnull=True).first()
    status = 403 if error.startswith("only admins") else 400 if error else 200
    response = render(request, "notifications/dashboard/preview.html", {
        "event_type": event_type, "kind": kind, "kinds": Kind.choices, "rendered": rendered, "error": error, "saved": saved,
        "fields": fields or {"subject": getattr(stored, "subject", ""), "text": getattr(stored, "text", ""),
                             "html": getattr(stored, "html", "")},
    }, status=status)
    # The email's HTML is shown in a sandboxed srcdoc frame, which inherits this page's policy: emails are
    # styled inline, so styles (never scripts) may be inline here.
    response.csp_override = {"style-src": ["'self'", "'unsafe-inline'"]}
    return response
