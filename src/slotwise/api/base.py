"""The pieces every resource module shares: the API object, token auth, Calendly's error shape (mapped
from slotwise.core.errors in ONE handler), uris, timestamps, cursor pagination and Idempotency-Key."""

import base64
import binascii
import functools
import json
import re
import threading
import zoneinfo
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import WithJsonSchema

from slotwise.api import idempotency
from slotwise.core import ratelimit
from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, NotFound, PermissionDenied, RateLimited, SlotwiseError, Unauthenticated

from .tokens import authenticate

BASE_PATH = "/api/v2"

# Calendly's titles by status; clients written for Calendly match on these.
TITLES = {
    400: "Invalid Argument",
    401: "Unauthenticated",
    403: "Permission Denied",
    404: "Resource Not Found",
    409: "Already Exists",
    422: "Unprocessable Entity",
    424: "External Calendar Error",
    429: "Too Many Requests",
}


class ErrorDetail(Schema):
    parameter: str | None = None
    message: str


class Error(Schema):
    title: str
    message: str
    details: list[ErrorDetail] = []


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error, 429: Error}


def responses(status: int, schema) -> dict:
    """A response map that documents every error status the API can send, so that the OpenAPI tells the
    truth to schema-checking tools."""
    return {status: schema, **ERRORS}


class Pagination(Schema):
    count: int
    next_page: str | None
    previous_page: str | None
    next_page_token: str | None
    previous_page_token: str | None


# ---- auth -------------------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; also `X-TOKEN: <token>` (Calendly's extension API sends that)."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        if header:
            kind, _, secret = header.partition(" ")
            if kind.lower() != "bearer" or not secret.strip():
                raise Unauthenticated("Send the token as `Authorization: Bearer <token>`")
        else:
            secret = request.headers.get("X-Token", "")
        if not secret.strip():
            raise Unauthenticated("This endpoint needs an access token: send `Authorization: Bearer <token>`")
        found = self.authenticate(request, secret)
        _refuse_unstorable(request)
        if request.method == "GET" and request.body:
            _merge_json_filters(request)
        return found

    def authenticate(self, request, token):
        now = utc_now()
        found = authenticate(token, now=now)
        decision = ratelimit.hit(
            f"token:{found.pk}",
            limit=getattr(settings, "SLOTWISE_API_RATE_LIMIT", 1000),
            window=getattr(settings, "SLOTWISE_API_RATE_WINDOW", 60),
            now=now,
        )
        request.ratelimit = decision
        if not decision.allowed:
            raise RateLimited(
                f"Rate limit of {decision.limit} requests exceeded; retry in {decision.retry_after(now)} seconds",
                retry_after=decision.retry_after(now),
            )
        request.now = now
        return found


def _unstorable(value, where: str) -> str | None:
    """The first string in `value` that no database can store (NUL; a lone surrogate), by its path."""
    if isinstance(value, str):
        if "\x00" in value:
            return where
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
    elif isinstance(value, dict):
        for k, v in value.items():
            found = _unstorable(k, where) or _unstorable(v, f"{where}.{k}" if where else str(k))
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _unstorable(v, f"{where}[{i}]")
            if found:
                return found
    return None


def _refuse_unstorable(request) -> None:
    """PostgreSQL refuses NUL characters in text (a 500 deep in a query); refuse them here, with a 400 that
    names the parameter, for the query string, forms and JSON bodies alike."""
    found = None
    for key, values in request.GET.lists():
        found = found or _unstorable(key, key) or _unstorable(values, key)
    if request.body and request.content_type == "application/json":
        try:
            body = json.loads(request.body)
        except ValueError:
            body = {}  # ninja reports the malformed body
        if request.method in ("POST", "PATCH") and not isinstance(body, dict):
            raise InvalidInput("body: send a JSON object, e.g. {}", field="body")
        found = found or _unstorable(body, "")
    elif request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            found = found or _unstorable(key, key) or _unstorable(values, key)
    if found is not None:
        name = re.sub(r"\[\d+\]$", "", found) or None
        raise InvalidInput(f"{name or 'body'}: contains a NUL character or broken Unicode; remove it", field=name)


def _merge_json_filters(request) -> None:
    """Some Calendly clients send list filters as a JSON body on GET. Take them as query parameters (the
    query string wins); runs after auth and before ninja reads the parameters."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    merged = request.GET.copy()
    for key, value in body.items():
        if key in merged or value is None or isinstance(value, (dict, list)):
            continue
        merged[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    request.GET = merged


_openapi_lock = threading.Lock()


class Api(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Built once per process per (prefix, params): building takes ~1 s and nothing in it varies per request."""
        key = (path_prefix, tuple(sorted((path_params or {}).items())))
        cache = self.__dict__.setdefault("_openapi_cache", {})
        if key not in cache:
            with _openapi_lock:
                if key not in cache:
                    cache[key] = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return cache[key]

    def create_response(self, request, data, *args, **kwargs):
        response = super().create_response(request, data, *args, **kwargs)
        if response.status_code == 201 and isinstance(data, dict):
            created = data.get("resource")
            if isinstance(created, dict) and created.get("uri"):
                response["Location"] = created["uri"]  # lets clients (and schemathesis' stateful phase) follow it
        decision = getattr(request, "ratelimit", None)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response


def error_body(exc: SlotwiseError) -> dict:
    return {"title": TITLES.get(exc.status, exc.title), "message": exc.message, "details": exc.details}


def install_error_handlers(api: NinjaAPI) -> None:
    """The one place where errors become Calendly's `{title, message, details}`."""

    def respond(request, exc: SlotwiseError):
        response = api.create_response(request, error_body(exc), status=exc.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(SlotwiseError)
    def slotwise_error(request, exc):
        return respond(request, exc)

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return respond(request, Unauthenticated("This endpoint needs an access token: send `Authorization: Bearer <token>`"))

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc):
        details = []
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path", "header", "form")]
            if loc[:1] == ["payload"] or loc[:1] == ["body"]:
                loc = loc[1:]
            msg = err.get("msg", "is invalid")
            hint = next((HINTS[p] for p in reversed(loc) if p in HINTS), None)
            if err.get("type") in ("string_pattern_mismatch", "literal_error", "enum") and hint:
                msg = f"{err['input']!r} is not {hint}" if "input" in err else f"should be {hint}"
            param = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc).lstrip(".")
            details.append({"parameter": param or None, "message": msg})
        first = details[0] if details else {"parameter": None, "message": "is invalid"}
        message = f"{first['parameter']}: {first['message']}" if first["parameter"] else first["message"]
        return respond(request, InvalidInput(f"The supplied parameters are invalid ({message})", details=details))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, NotFound("The server could not find the requested resource"))

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        cls = {400: InvalidInput, 401: Unauthenticated, 403: PermissionDenied, 404: NotFound}.get(exc.status_code)
        if cls is None:
            return JsonResponse({"title": "Error", "message": str(exc), "details": []}, status=exc.status_code)
        return respond(request, cls(str(exc)))


def rename_fields(exc: SlotwiseError, names: dict[str, str]) -> SlotwiseError:
    """Services name their own inputs; the API reports the request's names (start -> start_time)."""
    for d in exc.details:
        if d.get("parameter") in names:
            old = d["parameter"]
            d["parameter"] = names[old]
            d["message"] = d["message"].replace(f"{old}:", f"{names[old]}:", 1)
            if exc.message.startswith(f"{old}:"):
                exc.message = exc.message.replace(f"{old}:", f"{names[old]}:", 1)
    return exc


# ---- uris and time ----------------------------------------------------------------------------------


def base_url() -> str:
    return f"{settings.BASE_URL}{BASE_PATH}"


def uri(kind: str, ident, *rest) -> str:
    tail = "".join(f"/{r}" for r in rest)
    return f"{base_url()}/{kind}/{ident}{tail}"


_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

# Patterns published in the OpenAPI so that generated clients (and schemathesis) know what is accepted.
UUID_RE = rf"^{_UUID}$"
# Instants are documented as `format: date-time` (RFC 3339) and parsed by slotwise.core.instants, the one
# parser every door uses. A regex here once allowed only days 01-28 and years 20xx; a pattern cannot say
# "a day this month has" or "an offset up to ±14:00", so none is published.
Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-29T09:00:00Z"]})]
EMAIL_RE = r"^[a-zA-Z0-9]+([._+-][a-zA-Z0-9]+)*@[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*(\.[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)*\.[a-zA-Z]{2,}$"


ZONES = Literal[tuple(sorted(zoneinfo.available_timezones()))]


def uri_re(kind: str) -> str:
    return rf"^(.*/{kind}/)?{_UUID}/?$"


def sort_re(*fields: str) -> str:
    return rf"^({'|'.join(fields)})(:(asc|desc))?$"


HINTS = {
    "uuid": "a uuid like 2f1d7c7e-8a7b-4a55-9a4e-0c1b2d3e4f5a",
    "invitee_uuid": "a uuid like 2f1d7c7e-8a7b-4a55-9a4e-0c1b2d3e4f5a",
    "user": "a user uri like <base>/users/<uuid>",
    "owner": "a uri like <base>/event_types/<uuid>",
    "organization": "an organization uri like <base>/organizations/<uuid>",
    "event_type": "an event type uri like <base>/event_types/<uuid>",
    "invitee": "an invitee uri like <base>/scheduled_events/<uuid>/invitees/<uuid>",
    "email": "an email address",
    "sort": "field:asc or field:desc",
    "color": "a colour like #2563eb",
    "timezone": "an IANA time zone such as Europe/Berlin",
    "status": "active or canceled",
    "scope": "organization or user",
}


def uuid_of(value: str | None, kind: str, *, field: str) -> str:
    """The uuid in a Calendly-style resource uri (`…/users/<uuid>`), or a bare uuid. Any host is accepted:
    clients keep uris from before they pointed their base URL at us."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field}: give the {kind.rstrip('s')} uri, e.g. {base_url()}/{kind}/<uuid>", field=field)
    match = re.fullmatch(rf"(?:.*/{re.escape(kind)}/)?({_UUID})/?", value.strip())
    if not match:
        raise InvalidInput(f"{field}: {value!r} is not a {kind} uri like {base_url()}/{kind}/<uuid>", field=field)
    return match.group(1).lower()


def ts(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- access -----------------------------------------------------------------------------------------


def require_write(request) -> None:
    if not request.auth.can_write:
        raise PermissionDenied("This token is read-only; create a token with scope write to change data")


def require_admin(request, what: str) -> None:
    if not request.auth.membership.is_admin:
        raise PermissionDenied(f"{what} needs an organization owner or admin")


def check_org(request, organization: str | None, *, field: str = "organization") -> None:
    """A given organization filter must be the token's own; another tenant's uuid is simply not found."""
    if organization is None:
        return
    if uuid_of(organization, "organizations", field=field) != str(request.auth.membership.organization.uuid):
        raise NotFound(f"{field}: no such organization")


# ---- pagination -------------------------------------------------------------------------------------


def _encode(direction: str, value, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    raw = json.dumps([direction, value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        direction, value, pk = json.loads(raw)
        if direction not in ("next", "prev") or not isinstance(pk, int):
            raise ValueError
        return direction, value, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("page_token: not a token this API gave out; start without it", field="page_token") from None


def paginate(request, qs, *, order: str, count: int, page_token: str | None, serialize) -> dict:
    """Keyset pagination on (order field, pk): pages stay stable while rows are added. The tokens are
    opaque to clients; `next_page` repeats the request's filters and adds page_token."""
    field = order.lstrip("-")
    desc = order.startswith("-")
    forward = (f"-{field}", "-pk") if desc else (field, "pk")
    backward = (field, "pk") if desc else (f"-{field}", "-pk")
    direction = None
    if page_token:
        direction, value, pk = _decode(page_token)
        from django.db.models import Q

        after = "lt" if desc else "gt"
        before = "gt" if desc else "lt"
        op = after if direction == "next" else before
        qs = qs.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk}))
    if direction == "prev":
        rows = list(qs.order_by(*backward)[: count + 1])
        more = len(rows) > count
        rows = rows[:count][::-1]
        has_next, has_prev = True, more
    else:
        rows = list(qs.order_by(*forward)[: count + 1])
        more = len(rows) > count
        rows = rows[:count]
        has_next, has_prev = more, direction == "next"
    next_token = _encode("next", getattr(rows[-1], field), rows[-1].pk) if rows and has_next else None
    prev_token = _encode("prev", getattr(rows[0], field), rows[0].pk) if rows and has_prev else None

    def page_url(token):
        if token is None:
            return None
        params = [(k, v) for k, v in request.GET.items() if k != "page_token"]
        params.append(("page_token", token))
        return request.build_absolute_uri(request.path) + "?" + urlencode(params)

    return {
        "collection": [serialize(r) for r in rows],
        "pagination": {
            "count": len(rows),
            "next_page": page_url(next_token),
            "previous_page": page_url(prev_token),
            "next_page_token": next_token,
            "previous_page_token": prev_token,
        },
    }


def sort_order(sort: str | None, *, allowed: dict[str, str], default: str) -> str:
    """Calendly's `sort=field:asc|desc` to an order_by string."""
    if not sort:
        return default
    name, _, way = sort.partition(":")
    way = way or "asc"
    if name not in allowed or way not in ("asc", "desc"):
        options = ", ".join(f"{n}:asc, {n}:desc" for n in allowed)
        raise InvalidInput(f"sort: {sort!r} is not one of {options}", field="sort")
    return ("-" if way == "desc" else "") + allowed[name]


# ---- Idempotency-Key --------------------------------------------------------------------------------


def idempotent(view):
    """POST with `Idempotency-Key`: the same key and body replay the first response; the same key with
    another body is 422; a retry while the first request still runs is 409."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(request, *args, **kwargs)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = request.body.decode("utf-8", "replace")
        claimed = idempotency.claim(
            scope=f"token:{request.auth.pk}", key=key, payload={"path": request.path, "body": body}
        )
        if claimed.replay is not None:
            status, payload = claimed.replay
            return Status(status, payload)
        try:
            result = view(request, *args, **kwargs)
        except SlotwiseError as exc:
            idempotency.settle(claimed, status=exc.status, body=error_body(exc))
            raise
        except BaseException:
            idempotency.release(claimed)
            raise
        status, payload = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
        idempotency.settle(claimed, status=status, body=json.loads(json.dumps(payload, default=str)))
        return result

    return wrapper
