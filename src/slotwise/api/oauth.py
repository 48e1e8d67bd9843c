"""OAuth 2 authorization-code flow with PKCE (S256 only) for third-party apps; refresh tokens rotate.

GET/POST /oauth/authorize (a logged-in host approves), POST /oauth/token (code or refresh_token grant).
Access tokens are ApiTokens of kind "oauth" that expire after ACCESS_TTL; the response carries Calendly's
extra `owner` and `organization` uris."""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from slotwise.accounts import lockout
from slotwise.accounts.decorators import membership_required
from slotwise.core.clientaddr import client_address
from slotwise.core.clock import utc_now

from .base import uri
from .models import ApiToken, OAuthApplication, OAuthGrant, OAuthRefreshToken
from .tokens import digest, token_create

ACCESS_TTL = timedelta(hours=2)
CODE_TTL = timedelta(minutes=5)


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _oauth_error(exc: OAuthError) -> JsonResponse:
    return JsonResponse({"error": exc.error, "error_description": exc.description}, status=exc.status)


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


# The browser extension's public client (extension/README.md). A migration creates it; it is made again at
# first use if an operator deleted it or the database was flushed. The redirect URIs are what
# chrome.identity.getRedirectURL() gives for the extension's fixed ids (Chromium: the manifest's "key";
# Firefox: the gecko id browser-extension@slotwise.org).
EXTENSION_CLIENT_ID = "slotwise-browser-extension"
EXTENSION_REDIRECT_URIS = [
    "https://jbleljmfndjhggnplhoobfbabkfejkhg.chromiumapp.org/",
    "https://1af039d2faa365b328d1e3ccc9648a70dd3a5a1e.extensions.allizom.org/",
]


def extension_application() -> OAuthApplication:
    app, _ = OAuthApplication.objects.get_or_create(
        client_id=EXTENSION_CLIENT_ID,
        defaults={
            "name": "Slotwise browser extension",
            "organization": None,
            "client_secret_hash": "",
            "redirect_uris": EXTENSION_REDIRECT_URIS,
        },
    )
    return app


def _application(params) -> OAuthApplication:
    if params.get("client_id") == EXTENSION_CLIENT_ID:
        return extension_application()
    app = OAuthApplication.objects.filter(client_id=params.get("client_id", "")).first()
    if app is None:
        raise OAuthError("invalid_client", "unknown client_id", 401)
    return app


def _check_authorize(params, membership) -> OAuthApplication:
    app = _application(params)
    if app.organization_id is not None and app.organization_id != membership.organization_id:
        raise OAuthError("access_denied", "this app belongs to another organization", 403)
    if params.get("redirect_uri") not in app.redirect_uris:
        raise OAuthError("invalid_request", "redirect_uri is not registered for this app")
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    challenge = params.get("code_challenge", "")
    if params.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
        raise OAuthError(
            "invalid_request", "PKCE is required: code_challenge (43-128 chars) with code_challenge_method=S256"
        )
    if params.get("scope", "read") not in ("read", "write"):
        raise OAuthError("invalid_scope", "scope must be read or write")
    return app


@membership_required
def authorize(request):
    params = request.POST if request.method == "POST" else request.GET
    try:
        app = _check_authorize(params, request.membership)
    except OAuthError as exc:
        return _oauth_error(exc)
    scope = params.get("scope", "read")
    if request.method == "POST":
        target = params["redirect_uri"]
        if params.get("decision") != "allow":
            return redirect(f"{target}?{urlencode({'error': 'access_denied', 'state': params.get('state', '')})}")
        code = secrets.token_urlsafe(32)
        OAuthGrant.objects.create(
            application=app,
            membership=request.membership,
            code_hash=digest(code),
            code_challenge=params["code_challenge"],
            redirect_uri=target,
            scope=scope,
            expires_at=utc_now() + CODE_TTL,
        )
        return redirect(f"{target}?{urlencode({'code': code, 'state': params.get('state', '')})}")
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in params.items()
        if k
        in ("client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "state", "scope")
    )
    from django.middleware.csrf import get_token

    # The grant is for the one account this page names: the form carries it, so switching accounts in
    # another tab before Allow changes nothing (accounts/decorators.py).
    org = request.membership.organization
    hidden += f'<input type="hidden" name="org" value="{escape(org.slug)}">'
    html = (
        f"<!doctype html><title>Authorize {escape(app.name)}</title><h1>{escape(app.name)} asks for "
        f"{escape(scope)} access to your Slotwise data in {escape(org.name)}</h1>"
        "<p>To grant access in another account, switch accounts in the dashboard first, or add ?org=SLUG.</p>"
        "<form method='post'>"
        f"<input type='hidden' name='csrfmiddlewaretoken' value='{get_token(request)}'>{hidden}"
        "<button name='decision' value='allow'>Allow</button> <button name='decision' value='deny'>Deny</button></form>"
    )
    response = HttpResponse(html)
    # The Allow/Deny form redirects to the app: Content-Security-Policy form-action covers that redirect.
    parts = urlsplit(params["redirect_uri"])
    response.csp_form_action = [f"{parts.scheme}://{parts.netloc}"]
    return response


def _issue(*, app, membership, scope, now: datetime, family=None) -> dict:
    access, secret = token_create(
        membership=membership,
        scope=scope,
        name=app.name[:100],
        now=now,
        kind=ApiToken.Kind.OAUTH,
        application=app,
        expires_at=now + ACCESS_TTL,
    )
    refresh = secrets.token_urlsafe(32)
    fields = {"family": family} if family else {}
    OAuthRefreshToken.objects.create(
        application=app,
        membership=membership,
        access_token=access,
        hash=digest(refresh),
        scope=scope,
        created_at=now,
        **fields,
    )
    return {
        "access_token": secret,
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TTL.total_seconds()),
        "refresh_token": refresh,
        "scope": scope,
        "created_at": int(now.timestamp()),
        "owner": uri("users", membership.user.uuid),
        "organization": uri("organizations", membership.organization.uuid),
    }


def _client_ok(app: OAuthApplication, params) -> None:
    if app.client_secret_hash and not hmac.compare_digest(
        app.client_secret_hash, digest(params.get("client_secret", ""))
    ):
        raise OAuthError("invalid_client", "client_secret is wrong", 401)


def _code_grant(params, now):
    app = _application(params)
    _client_ok(app, params)
    with transaction.atomic():
        grant = (
            OAuthGrant.objects.select_for_update()
            .filter(code_hash=digest(params.get("code", "")), application=app)
            .first()
        )
        if grant is None or grant.used_at is not None or now >= grant.expires_at:
            raise OAuthError("invalid_grant", "the code is unknown, used or expired")
        if grant.redirect_uri != params.get("redirect_uri"):
            raise OAuthError("invalid_grant", "redirect_uri differs from the one authorized")
        if not hmac.compare_digest(pkce_challenge(params.get("code_verifier", "")), grant.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        grant.used_at = now
        grant.save(update_fields=["used_at"])
        return _issue(app=app, membership=grant.membership, scope=grant.scope, now=now)


def _refresh_grant(params, now):
    app = _application(params)
    _client_ok(app, params)
    with transaction.atomic():
        old = (
            OAuthRefreshToken.objects.select_for_update()
            .select_related("membership__user", "membership__organization")
            .filter(hash=digest(params.get("refresh_token", "")), application=app)
            .first()
        )
        if old is None:
            raise OAuthError("invalid_grant", "unknown refresh_token")
        reused = old.used_at is not None
        if reused:
            # A rotated token came back: someone holds a copy. End the whole family (committed, then refused).
            family = OAuthRefreshToken.objects.filter(family=old.family)
            ApiToken.objects.filter(pk__in=family.values("access_token")).update(revoked_at=now)
            family.update(used_at=now)
        else:
            old.used_at = now
            old.save(update_fields=["used_at"])
            if old.access_token_id:
                ApiToken.objects.filter(pk=old.access_token_id).update(revoked_at=now)
            return _issue(app=app, membership=old.membership, scope=old.scope, now=now, family=old.family)
    raise OAuthError("invalid_grant", "refresh_token was already used; sign in again")


@csrf_exempt
@require_POST
def token(request):
    """Wrong client secrets, codes and refresh tokens count as failed sign-ins for the client_id and the
    address (accounts/lockout.py), so neither can be guessed at speed."""
    now = utc_now()
    grant = request.POST.get("grant_type")
    account = f"oauth-client:{request.POST.get('client_id', '')[:200]}"
    address = client_address(request)
    lock = lockout.locked(account=account, address=address, now=now)
    if lock is not None:
        response = JsonResponse({"error": "too_many_attempts", "error_description": lock.message(now)}, status=429)
        response["Retry-After"] = str(lock.retry_after(now))
        return response
    try:
        if grant == "authorization_code":
            issued = _code_grant(request.POST, now)
        elif grant == "refresh_token":
            issued = _refresh_grant(request.POST, now)
        else:
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
    except OAuthError as exc:
        if exc.error in ("invalid_client", "invalid_grant"):
            lockout.record_failure(account=account, address=address, now=now)
        return _oauth_error(exc)
    lockout.record_success(account=account, now=now)
    return JsonResponse(issued)
