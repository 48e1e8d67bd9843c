"""Zoom's REST API, the documented subset we use:
- POST {api}/users/me/meetings  (Bearer access token) -> 201 {"id", "join_url", "start_url", "password", ...}
- PATCH {api}/meetings/{id}  -> 204;  DELETE {api}/meetings/{id} -> 204 (404 when already gone)
- POST {oauth}/oauth/token?grant_type=refresh_token&refresh_token=...  (HTTP Basic client_id:client_secret)
  -> 200 {"access_token", "token_type": "bearer", "refresh_token", "expires_in", "scope"}
A 401 on an API call means the access token expired or was revoked: refresh once and try again."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from slotwise.core import outbound

TIMEOUT = 10


class ZoomError(Exception):
    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.permanent = permanent


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str = ""


def _send(method: str, url: str, **kw) -> outbound.OutboundResponse:
    """Through the guarded client; a network failure is a ZoomError that may be retried."""
    try:
        return outbound.request(method, url, purpose="Zoom", timeout=TIMEOUT, **kw)
    except (outbound.OutboundRefused, outbound.OutboundError) as exc:
        raise ZoomError(exc.message, permanent=isinstance(exc, outbound.OutboundRefused)) from None


def _api() -> str:
    return getattr(settings, "ZOOM_API_BASE", "https://api.zoom.us/v2").rstrip("/")


def _oauth() -> str:
    return getattr(settings, "ZOOM_OAUTH_BASE", "https://zoom.us").rstrip("/")


def authorize_url(*, state: str, redirect_uri: str) -> str:
    from urllib.parse import urlencode

    query = urlencode(
        {
            "response_type": "code",
            "client_id": getattr(settings, "ZOOM_CLIENT_ID", ""),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{_oauth()}/oauth/authorize?{query}"


def exchange_code(code: str, *, redirect_uri: str, now: datetime) -> Tokens:
    """The authorization-code grant: what Zoom's consent screen sent back becomes a token pair."""
    resp = _send(
        "POST",
        f"{_oauth()}/oauth/token",
        params={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=(getattr(settings, "ZOOM_CLIENT_ID", ""), getattr(settings, "ZOOM_CLIENT_SECRET", "")),
    )
    if resp.status_code != 200:
        raise ZoomError(
            f"Zoom refused the authorization code ({resp.status_code}); connect Zoom again",
            status=resp.status_code,
            permanent=True,
        )
    body = resp.json()
    return Tokens(
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
        scope=body.get("scope", ""),
    )


def refresh(refresh_token: str, *, now: datetime) -> Tokens:
    resp = _send(
        "POST",
        f"{_oauth()}/oauth/token",
        params={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(getattr(settings, "ZOOM_CLIENT_ID", ""), getattr(settings, "ZOOM_CLIENT_SECRET", "")),
    )
    if resp.status_code in (400, 401):
        raise ZoomError(
            f"Zoom refused the refresh token ({resp.status_code}): the host must reconnect Zoom",
            status=resp.status_code,
            permanent=True,
        )
    if resp.status_code != 200:
        raise ZoomError(f"Zoom token endpoint answered {resp.status_code}", status=resp.status_code)
    body = resp.json()
    return Tokens(
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
        scope=body.get("scope", ""),
    )


def call(method: str, path: str, *, grant, now: datetime, json: dict | None = None) -> outbound.OutboundResponse:
    """One API call with the grant's token; on 401, refresh (saving the new pair) and retry once."""
    for attempt in (1, 2):
        if attempt == 2 or grant.expires_at <= now:
            tokens = refresh(grant.refresh_token, now=now)
            grant.access_token, grant.refresh_token, grant.expires_at = (
                tokens.access_token,
                tokens.refresh_token,
                tokens.expires_at,
            )
            grant.scope = tokens.scope or grant.scope
            grant.save(update_fields=["access_token", "refresh_token", "expires_at", "scope", "updated_at"])
        resp = _send(method, f"{_api()}{path}", json=json, headers={"Authorization": f"Bearer {grant.access_token}"})
        if resp.status_code != 401:
            return resp
    raise ZoomError("Zoom refused a freshly refreshed token", status=401, permanent=True)


def meeting_body(*, topic: str, start: datetime, duration_minutes: int, timezone: str, agenda: str = "") -> dict:
    return {
        "topic": topic[:200],
        "type": 2,  # a scheduled meeting
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": duration_minutes,
        "timezone": timezone,
        "agenda": agenda[:2000],
        "settings": {"join_before_host": False, "waiting_room": True},
    }


def create_meeting(*, grant, now: datetime, body: dict) -> dict:
    resp = call("POST", "/users/me/meetings", grant=grant, now=now, json=body)
    if resp.status_code != 201:
        raise ZoomError(
            f"Zoom did not create the meeting: {resp.status_code} {resp.text[:300]}",
            status=resp.status_code,
            permanent=400 <= resp.status_code < 500 and resp.status_code != 429,
        )
    return resp.json()


def update_meeting(*, grant, now: datetime, meeting_id: str, body: dict) -> None:
    resp = call("PATCH", f"/meetings/{meeting_id}", grant=grant, now=now, json=body)
    if resp.status_code not in (200, 204):
        raise ZoomError(f"Zoom did not update meeting {meeting_id}: {resp.status_code}", status=resp.status_code)


def delete_meeting(*, grant, now: datetime, meeting_id: str) -> None:
    resp = call("DELETE", f"/meetings/{meeting_id}", grant=grant, now=now)
    if resp.status_code not in (200, 204, 404):
        raise ZoomError(f"Zoom did not delete meeting {meeting_id}: {resp.status_code}", status=resp.status_code)
