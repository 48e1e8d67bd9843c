import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.accounts.models import Membership
from slotwise.accounts.selectors import current_membership
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import zoom
from .models import ZoomGrant
from .services import zoom_connect

SESSION_KEY = "zoom_oauth"


def _redirect_uri() -> str:
    return f"{settings.BASE_URL}{reverse('conferencing:zoom_callback')}"


@membership_required
def zoom_start(request):
    membership = request.membership
    state = secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = {"state": state, "membership": membership.pk}
    return redirect(zoom.authorize_url(state=state, redirect_uri=_redirect_uri()))


@login_required
def zoom_callback(request):
    pending = request.session.pop(SESSION_KEY, None)
    if not pending or not secrets.compare_digest(pending["state"], request.GET.get("state", "")):
        return HttpResponseBadRequest("This Zoom sign-in link is stale or was not started here; connect Zoom again.")
    started_as = Membership.objects.filter(pk=pending["membership"], user=request.user).first()
    membership = started_as and current_membership(request.user, membership=started_as)
    if membership is None:
        return HttpResponseBadRequest("That membership is no longer yours.")
    try:
        zoom_connect(
            membership=membership, code=request.GET.get("code", ""), redirect_uri=_redirect_uri(), now=utc_now()
        )
    except SlotwiseError as exc:
        return HttpResponseBadRequest(exc.message)
    messages.success(request, "Zoom is connected: Zoom event types now get a meeting per booking.")
    return redirect("/dashboard/")


@require_POST
@membership_required
def zoom_disconnect(request):
    """Disconnects Zoom in the account acted in only; the same person's Zoom in other accounts stays."""
    ZoomGrant.objects.filter(membership=request.membership).delete()
    messages.success(request, "Zoom is disconnected.")
    return redirect("/dashboard/")
