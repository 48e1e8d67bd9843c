"""/dashboard/webhooks/: subscriptions, every delivery attempt, and a button to send a sample."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import selectors, services
from .models import EVENTS


def _subscription(request, uuid):
    sub = selectors.subscriptions_for(request.membership).filter(uuid=uuid).first()
    if sub is None:
        raise Http404("No such webhook subscription")
    return sub


@membership_required
def index(request):
    return render(request, "webhooks/index.html", {
        "nav": "webhooks", "subscriptions": selectors.subscriptions_for(request.membership), "events": EVENTS,
    })


@membership_required
def detail(request, uuid):
    sub = _subscription(request, uuid)
    return render(request, "webhooks/detail.html", {
        "nav": "webhooks", "sub": sub, "attempts": selectors.attempts_for(sub), "events": sub.events,
    })


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
