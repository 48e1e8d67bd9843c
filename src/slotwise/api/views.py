"""Dashboard pages for personal access tokens: list, create (the secret is shown once), revoke."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import tokens as token_services


@membership_required
def tokens(request):
    created = None
    if request.method == "POST":
        try:
            _, created = token_services.token_create(
                membership=request.membership,
                scope=request.POST.get("scope", "read"),
                name=request.POST.get("name", "").strip(),
                now=utc_now(),
            )
        except SlotwiseError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "api/tokens.html",
        {"nav": "tokens", "tokens": token_services.tokens_of(request.membership), "created": created},
    )


@require_POST
@membership_required
def token_revoke(request, prefix):
    token = token_services.token_revoke(prefix=prefix, now=utc_now(), membership=request.membership)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("api-tokens")
