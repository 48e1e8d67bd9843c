"""/dashboard/webhooks/: create subscriptions, see every delivery attempt, send a sample, remove them.
Writes go through webhooks/services.py, the same rules and messages as POST /api/v2/webhook_subscriptions."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import selectors, services
from .models import EVENTS

# What each event means, for the form; the API name stays beside it, since receivers switch on it.
EVENT_WORDS = {
    "invitee.created": "A booking is made",
    "invitee.canceled": "A booking is cancelled (or rescheduled away)",
    "invitee_no_show.created": "An invitee is marked as a no-show",
    "invitee_no_show.deleted": "A no-show mark is removed",
    "event_type.created": "An event type is created",
    "event_type.updated": "An event type is changed",
    "event_type.deleted": "An event type is deleted",
    "invitee.approved": "A request waiting for your approval is approved (a Slotwise extra)",
}


def _subscription(request, uuid):
    sub = selectors.subscriptions_for(request.membership).filter(uuid=uuid).first()
    if sub is None:
        raise Http404("No such webhook subscription")
    return sub


@membership_required
def index(request):
    m = request.membership
    form = {"url": "", "events": ["invitee.created", "invitee.canceled"], "scope": "user"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", ""),
            "events": request.POST.getlist("events"),
            "scope": request.POST.get("scope", "user"),
        }
        try:
            sub = services.subscription_create(
                organization=m.organization,
                creator=m,
                url=form["url"],
                events=form["events"],
                scope=form["scope"],
                now=utc_now(),
            )
        except SlotwiseError as exc:
            errors[exc.field or ""] = exc.message
        else:
            messages.success(request, "Webhook created. Its signing key is below: verify each delivery with it.")
            return redirect("webhook-detail", uuid=sub.uuid)
    subscriptions = list(selectors.subscriptions_for(m))
    for sub in subscriptions:
        sub.event_words = [EVENT_WORDS.get(e, e) for e in sub.events]
    return render(
        request,
        "webhooks/index.html",
        {
            "nav": "webhooks",
            "subscriptions": subscriptions,
            "form": form,
            "errors": errors,
            "form_error": errors.get("") or errors.get("user"),
            "event_choices": [(e, EVENT_WORDS[e]) for e in EVENTS],
        },
        status=400 if errors else 200,
    )


@membership_required
def detail(request, uuid):
    sub = _subscription(request, uuid)
    return render(
        request,
        "webhooks/detail.html",
        {
            "nav": "webhooks",
            "sub": sub,
            "attempts": selectors.attempts_for(sub),
            "events": [(e, EVENT_WORDS.get(e, e)) for e in sub.events],
        },
    )


@require_POST
@membership_required
def remove(request, uuid):
    sub = _subscription(request, uuid)
    try:
        services.subscription_delete(subscription=sub, by=request.membership)
    except SlotwiseError as exc:
        messages.error(request, exc.message)
        return redirect("webhook-detail", uuid=sub.uuid)
    messages.success(request, f"Webhook to {sub.callback_url} removed; nothing more will be sent to it.")
    return redirect("webhooks")


@require_POST
@membership_required
def sample(request, uuid):
    sub = _subscription(request, uuid)
    try:
        services.send_sample(subscription=sub, event=request.POST.get("event") or None, now=utc_now())
        messages.success(request, "Sample event queued; it appears below once the worker has sent it.")
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    return redirect("webhook-detail", uuid=sub.uuid)
