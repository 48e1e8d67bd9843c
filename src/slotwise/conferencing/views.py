import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

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


@login_required
def zoom_start(request):
    membership = current_membership(request.user, organization=request.GET.get("org"))
    if membership is None:
        return HttpResponseBadRequest("You are not a member of that organization.")
    state = secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = {"state": state, "membership": membership.pk}
    return redirect(zoom.authorize_url(state=state, redirect_uri=_redirect_uri()))


@login_required
def zoom_callback(request):
    pending = request.session.pop(SESSION_KEY, None)
    if not pending or not secrets.compare_digest(pending["state"], request.GET.get("state", "")):
        return HttpResponseBadRequest("This Zoom sign-in link is stale or was not started here; connect Zoom again.")
    membership = Membership.objects.filter(pk=pending["membership"], user=request.user).first()
    if membership is None:
        return HttpResponseBadRequest("That membership is no longer yours.")
    try:
        zoom_connect(membership=membership, code=request.GET.get("code", ""), redirect_uri=_redirect_uri(),
                     now=utc_now())
    except SlotwiseError as exc:
        return HttpResponseBadRequest(exc.message)
    messages.success(request, "Zoom is connected: Zoom event types now get a meeting per booking.")
    return redirect("/dashboard/")


@login_required
@require_POST
def zoom_disconnect(request):
    ZoomGrant.objects.filter(membership__user=request.user).delete()
    messages.success(request, "Zoom is disconnected.")
    return redirect("/dashboard/")
