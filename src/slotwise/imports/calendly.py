"""A client for Calendly's API v2 over slotwise.core.outbound (purpose "Calendly").

Raw Calendly dicts in and out, in the shapes of Calendly's v2 reference: `me()` gives the User resource,
lists are iterators that follow `pagination.next_page`. The base URL is the connection's api_base, so
tests and a second Slotwise server can stand in for api.calendly.com.

Resource URIs given to the client (an organization, an event, a subscription) are read on the connection's
api_base: a URI on another host is rebuilt there from its last path segment, so the token is only ever sent
to api_base (a next_page on another host is refused for the same reason).

Tokens: a personal access token is used as is. An OAuth connection is refreshed shortly before it expires,
and once more after a 401; Calendly rotates the refresh token each time, so the new pair is sealed onto the
connection row under a row lock (a concurrent refresh that got there first is taken, not repeated). A 401
that the refresh does not cure is CalendlyAuthError."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction

from slotwise.core import outbound
from slotwise.core.secrets import seal, unseal

from . import oauth
from .errors import (
    CalendlyAuthError,
    CalendlyError,
    CalendlyNotFound,
    CalendlyRateLimited,
    CalendlyUnavailable,
    retry_after_of,
)
from .models import Connection

__all__ = [
    "CalendlyAuthError",
    "CalendlyClient",
    "CalendlyError",
    "CalendlyNotFound",
    "CalendlyRateLimited",
    "CalendlyUnavailable",
    "instant",
]

PURPOSE = "Calendly"
TIMEOUT = 20.0
MAX_BYTES = 10 * 1024 * 1024
PAGE_SIZE = 100
REFRESH_MARGIN = timedelta(minutes=2)


def instant(value: datetime | str) -> str:
    """A datetime as Calendly writes one: UTC, ISO 8601 with microseconds and Z."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("Calendly times must be aware datetimes")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _message(resp: outbound.OutboundResponse) -> str:
    try:
        data = resp.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("message") or data.get("title") or "")[:300]


class CalendlyClient:
    def __init__(self, connection: Connection, *, now: datetime):
        self.connection = connection
        self.now = now
        self.api_base = connection.api_base.rstrip("/")
        self._base = urlsplit(self.api_base)
        self._tokens = unseal(connection.secret)

    # ---- tokens -------------------------------------------------------------------------------------

    @property
    def _oauth(self) -> bool:
        return self.connection.method == Connection.Method.OAUTH

    def _access_token(self) -> str:
        token = self._tokens.get("access_token")
        if not token:
            raise CalendlyAuthError("This Calendly connection has no usable token: connect the Calendly account again")
        if self._oauth and self._expires_soon(self._tokens):
            self._refresh(rejected=token)
        return self._tokens["access_token"]

    def _expires_soon(self, tokens: dict) -> bool:
        expires = tokens.get("expires_at")
        if not expires:
            return False
        return datetime.fromisoformat(expires) <= self.now + REFRESH_MARGIN

    def _refresh(self, *, rejected: str) -> None:
        """Get a new access token, unless another worker already replaced `rejected` (the token that is
        expiring or was refused) while we were working: then use theirs. Rotation means only one may spend
        the refresh token, so this runs with the connection row locked."""
        with transaction.atomic():
            row = Connection.objects.select_for_update().get(pk=self.connection.pk)
            stored = unseal(row.secret)
            if stored.get("access_token") and stored["access_token"] != rejected and not self._expires_soon(stored):
                self._take(row.secret, stored)
                return
            tokens = oauth.refresh(
                auth_base=row.auth_base,
                refresh_token=stored.get("refresh_token", ""),
                now=self.now,
            )
            tokens = {**stored, **{k: v for k, v in tokens.items() if v}}
            sealed = seal(tokens)
            Connection.objects.filter(pk=row.pk).update(secret=sealed)
            self._take(sealed, tokens)

    def _take(self, sealed: str, tokens: dict) -> None:
        self.connection.secret = sealed
        self._tokens = tokens

    # ---- requests -----------------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.api_base}/{path_or_url.lstrip('/')}"

    def _resource_url(self, uri: str, collection: str) -> str:
        """`uri` read on api_base: as is when it is there already, else rebuilt from its uuid."""
        if uri.startswith(self.api_base + "/"):
            return uri
        uuid = uri.rstrip("/").rsplit("/", 1)[-1]
        if not uuid:
            raise CalendlyError(f"{uri!r} is not a Calendly {collection} URI")
        return f"{self.api_base}/{collection}/{uuid}"

    def _same_base(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == (self._base.scheme, self._base.netloc)

    def _call(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict | None = None,
        json: dict | None = None,
        allow: tuple[int, ...] = (),
    ) -> outbound.OutboundResponse:
        url = self._url(path_or_url)
        if not self._same_base(url):
            raise CalendlyError(f"Calendly sent a link outside {self.api_base}; not following it")
        refreshed = False
        while True:
            token = self._access_token()
            try:
                resp = outbound.request(
                    method,
                    url,
                    purpose=PURPOSE,
                    params=params,
                    json=json,
                    timeout=TIMEOUT,
                    max_bytes=MAX_BYTES,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    follow_redirects=False,
                )
            except outbound.OutboundRefused as exc:
                raise CalendlyError(exc.message) from None
            except outbound.OutboundError as exc:
                raise CalendlyUnavailable(exc.message) from None
            if resp.status_code == 401 and self._oauth and not refreshed:
                refreshed = True
                self._refresh(rejected=token)
                continue
            return self._check(resp, allow)

    def _check(self, resp: outbound.OutboundResponse, allow: tuple[int, ...]) -> outbound.OutboundResponse:
        code = resp.status_code
        if 200 <= code < 300 or code in allow:
            return resp
        detail = _message(resp)
        said = f": {detail}" if detail else ""
        if code == 401:
            raise CalendlyAuthError(
                f"Calendly no longer accepts this connection's token (revoked or expired){said}; "
                "connect the Calendly account again",
                http_status=401,
            )
        if code == 429:
            wait = retry_after_of(resp)
            raise CalendlyRateLimited(f"Calendly is limiting requests: retrying in {wait} s", retry_after=wait)
        if code >= 500:
            raise CalendlyUnavailable(f"Calendly answered HTTP {code}{said}; retrying later", http_status=code)
        if code == 404:
            raise CalendlyNotFound(f"Calendly has no such resource{said}", http_status=404)
        if 300 <= code < 400:
            raise CalendlyError(
                f"Calendly answered with a redirect (HTTP {code}); check the API base URL", http_status=code
            )
        raise CalendlyError(f"Calendly refused the request (HTTP {code}){said}", http_status=code)

    def _json(self, resp: outbound.OutboundResponse) -> dict:
        try:
            data = resp.json()
        except ValueError:
            raise CalendlyUnavailable("Calendly sent an answer that is not JSON; retrying later") from None
        if not isinstance(data, dict):
            raise CalendlyUnavailable("Calendly sent an answer of an unexpected shape; retrying later")
        return data

    def _resource(self, path_or_url: str) -> dict:
        data = self._json(self._call("GET", path_or_url))
        resource = data.get("resource")
        if not isinstance(resource, dict):
            raise CalendlyUnavailable("Calendly sent an answer without a resource; retrying later")
        return resource

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
        url: str | None = self._url(path)
        query: dict | None = {"count": PAGE_SIZE, **{k: v for k, v in params.items() if v is not None}}
        seen: set[str] = set()
        while url:
            data = self._json(self._call("GET", url, params=query))
            collection = data.get("collection")
            if not isinstance(collection, list):
                raise CalendlyUnavailable("Calendly sent a list without a collection; retrying later")
            yield from collection
            url = (data.get("pagination") or {}).get("next_page")
            if url in seen:  # a server that hands out the same page again would loop forever
                raise CalendlyUnavailable("Calendly's pagination went round in a circle; retrying later")
            if url:
                seen.add(url)
            query = None  # next_page keeps the filters and adds page_token

    # ---- resources ----------------------------------------------------------------------------------

    def me(self) -> dict:
        """The User resource of the token's owner (uri, name, email, current_organization ...)."""
        return self._resource("/users/me")

    def organization(self, uri: str) -> dict:
        """The Organization resource (plan, stage)."""
        return self._resource(self._resource_url(uri, "organizations"))

    def event_types(self, *, user: str | None = None, organization: str | None = None) -> Iterator[dict]:
        return self._pages("/event_types", {"user": user, "organization": organization})

    def organization_memberships(self, *, organization: str, user: str | None = None) -> Iterator[dict]:
        return self._pages("/organization_memberships", {"organization": organization, "user": user})

    def scheduled_events(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        min_start_time: datetime | str | None = None,
        max_start_time: datetime | str | None = None,
        status: str | None = None,
        sort: str = "start_time:asc",
    ) -> Iterator[dict]:
        return self._pages(
            "/scheduled_events",
            {
                "user": user,
                "organization": organization,
                "status": status,
                "sort": sort,
                "min_start_time": instant(min_start_time) if min_start_time is not None else None,
                "max_start_time": instant(max_start_time) if max_start_time is not None else None,
            },
        )

    def scheduled_event(self, uri: str) -> dict:
        return self._resource(self._resource_url(uri, "scheduled_events"))

    def invitees(self, event_uri: str, *, status: str | None = None) -> Iterator[dict]:
        return self._pages(self._resource_url(event_uri, "scheduled_events") + "/invitees", {"status": status})

    def webhooks(self, *, organization: str, scope: str, user: str | None = None) -> Iterator[dict]:
        """Our subscriptions at Calendly (to find one after a 409 Already Exists)."""
        return self._pages("/webhook_subscriptions", {"organization": organization, "scope": scope, "user": user})

    def create_webhook(
        self, *, url: str, events: list[str], organization: str, user: str | None, scope: str, signing_key: str
    ) -> dict:
        body = {
            "url": url,
            "events": list(events),
            "organization": organization,
            "scope": scope,
            "signing_key": signing_key,
        }
        if scope == "user":
            body["user"] = user
        data = self._json(self._call("POST", "/webhook_subscriptions", json=body))
        resource = data.get("resource")
        if not isinstance(resource, dict):
            raise CalendlyUnavailable("Calendly sent an answer without a resource; retrying later")
        return resource

    def delete_webhook(self, uri: str) -> None:
        """Unsubscribe; a subscription that is already gone (404) counts as done."""
        self._call("DELETE", self._resource_url(uri, "webhook_subscriptions"), allow=(404,))
