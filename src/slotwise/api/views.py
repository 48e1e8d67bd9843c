"""Dashboard pages for personal access tokens: list, create (the secret is shown once), revoke."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.models import Membership
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import tokens as token_services


def member_required(view):
    """Logged in and in an organization; request.membership is the one acting (?org=SLUG picks one)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        qs = Membership.objects.select_related("organization", "user").filter(user=request.user).order_by("pk")
        org = request.GET.get("org") or request.POST.get("org")
        if org:
            qs = qs.filter(organization__slug=org)
        membership = qs.first()
        if membership is None:
            raise Http404("You are not a member of an organization")
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper


@member_required
def tokens(request):
    created = None
    if request.method == "POST":
        try:
            _, created = token_services.token_create(
                membership=request.membership, scope=request.POST.get("scope", "read"),
                name=request.POST.get("name", "").strip(), now=utc_now(),
            )
        except SlotwiseError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "api/tokens.html",
        {"nav": "tokens", "tokens": token_services.tokens_of(request.membership), "created": created},
    )


@require_POST
@member_required
def token_revoke(request, prefix):
    token = token_services.token_revoke(prefix=prefix, now=utc_now(), membership=request.membership)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("api-tokens")
