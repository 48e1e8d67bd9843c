"""Calendly's OAuth 2: authorization code with PKCE (S256), refresh tokens that rotate, revocation.

The endpoints live on the connection's auth_base (https://auth.calendly.com unless a stand-in is
configured): GET /oauth/authorize, POST /oauth/token, POST /oauth/revoke. The app's credentials are
SLOTWISE_CALENDLY_CLIENT_ID / _CLIENT_SECRET. Calendly rotates the refresh token on every refresh: the old
one stops working, so the caller must store (seal) the new pair before using it, and must not refresh twice
at once (CalendlyClient refreshes under a row lock).

Token answers are turned into the dict we seal: {"access_token", "refresh_token", "expires_at"}
(expires_at an ISO instant in UTC), plus "owner" and "organization" (the user and organization URIs)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings

from slotwise.core import outbound

from .errors import CalendlyAuthError, CalendlyError, CalendlyRateLimited, CalendlyUnavailable, retry_after_of

PURPOSE = "Calendly sign-in"
TIMEOUT = 20.0


def client_id() -> str:
    return getattr(settings, "SLOTWISE_CALENDLY_CLIENT_ID", "") or ""


def client_secret() -> str:
    return getattr(settings, "SLOTWISE_CALENDLY_CLIENT_SECRET", "") or ""


def configured() -> bool:
    return bool(client_id() and client_secret())


def new_verifier() -> str:
    """A PKCE code verifier: 43-128 characters of [A-Za-z0-9-._~] (RFC 7636); token_urlsafe(64) gives 86."""
    return secrets.token_urlsafe(64)


def challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def authorize_url(*, auth_base: str, redirect_uri: str, state: str, verifier: str) -> str:
    query = {
        "client_id": client_id(),
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "code_challenge_method": "S256",
        "code_challenge": challenge(verifier),
        "state": state,
    }
    return f"{auth_base.rstrip('/')}/oauth/authorize?{urlencode(query)}"


def _post(auth_base: str, path: str, form: dict) -> outbound.OutboundResponse:
    form = {**form, "client_id": client_id(), "client_secret": client_secret()}
    try:
        return outbound.request("POST", f"{auth_base.rstrip('/')}{path}", purpose=PURPOSE, data=form, timeout=TIMEOUT)
    except outbound.OutboundRefused as exc:
        raise CalendlyError(exc.message) from None
    except outbound.OutboundError as exc:
        raise CalendlyUnavailable(exc.message) from None


def _tokens(resp: outbound.OutboundResponse, now: datetime, *, what: str) -> dict:
    if resp.status_code == 429:
        raise CalendlyRateLimited(
            f"Calendly is limiting requests; {what} again later", retry_after=retry_after_of(resp)
        )
    if resp.status_code >= 500:
        raise CalendlyUnavailable(f"Calendly's sign-in service answered HTTP {resp.status_code}; try again later")
    try:
        data = resp.json()
    except ValueError:
        data = {}
    if resp.status_code != 200 or not isinstance(data, dict) or not data.get("access_token"):
        # invalid_grant: the code was used or expired, the verifier does not match, or the refresh token
        # was revoked or already rotated. In every case the user has to connect again.
        error = data.get("error_description") or data.get("error") if isinstance(data, dict) else ""
        detail = f" ({error})" if error else ""
        raise CalendlyAuthError(f"Calendly refused the sign-in{detail}: connect the Calendly account again")
    return {
        "access_token": data["access_token"],
        "refresh_token": data.get("refresh_token", ""),
        "expires_at": (now + timedelta(seconds=int(data.get("expires_in") or 7200))).isoformat(),
        "owner": data.get("owner", ""),
        "organization": data.get("organization", ""),
    }


def exchange_code(*, auth_base: str, code: str, redirect_uri: str, verifier: str, now: datetime) -> dict:
    resp = _post(
        auth_base,
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
    return _tokens(resp, now, what="connect")


def refresh(*, auth_base: str, refresh_token: str, now: datetime) -> dict:
    if not refresh_token:
        raise CalendlyAuthError(
            "The Calendly sign-in expired and cannot be renewed: connect the Calendly account again"
        )
    resp = _post(auth_base, "/oauth/token", {"grant_type": "refresh_token", "refresh_token": refresh_token})
    return _tokens(resp, now, what="sync")


def revoke(*, auth_base: str, token: str) -> None:
    """Best effort (removing a connection must not depend on Calendly answering)."""
    if not token:
        return
    with contextlib.suppress(CalendlyError):  # best effort: the grant also expires on its own
        _post(auth_base, "/oauth/revoke", {"token": token})
