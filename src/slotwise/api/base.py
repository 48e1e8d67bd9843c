"""The pieces every resource module shares: the API object, token auth, Calendly's error shape (mapped
from slotwise.core.errors in ONE handler), uris, timestamps, cursor pagination and Idempotency-Key."""

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
from django.core import signing
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import BeforeValidator, WithJsonSchema

from slotwise.api import idempotency
from slotwise.core import ratelimit, text
from slotwise.core.clock import utc_now
from slotwise.core.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    SlotwiseError,
    Unauthenticated,
)

# The API's uris and timestamps are the shared representations' (webhook payloads use the same).
from slotwise.representations import BASE_PATH, base_url, ts, uri  # noqa: F401

from .tokens import authenticate

# Calendly's titles by status; clients written for Calendly match on these.
TITLES = {
    400: "Invalid Argument",
    401: "Unauthenticated",
    403: "Permission Denied",
    404: "Resource Not Found",
    409: "Already Exists",
    413: "Payload Too Large",
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


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error, 429: Error}


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


# Deeper than any body this API takes; refused before parsing, so no parser recurses on it.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_depth(raw: bytes) -> int:
    """How deeply a JSON text nests arrays and objects (strings skipped), without parsing it."""
    depth = deepest = 0
    for ch in _JSON_STRING.sub(b"", raw).translate(None, delete=bytes(set(range(256)) - set(b"[]{}"))):
        depth += 1 if ch in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def read_body(request) -> bytes:
    """The request body, or the 413 that says how big a body may be."""
    try:
        return request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes; send a smaller body") from None


def read_json(request):
    """The JSON body parsed, refused with a 400 when it nests deeper than MAX_JSON_DEPTH."""
    raw = read_body(request)
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise InvalidInput(
            f"body: the JSON is nested more than {MAX_JSON_DEPTH} levels deep; send a flatter body", field="body"
        )
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidInput(
            f"body: the JSON is nested more than {MAX_JSON_DEPTH} levels deep; send a flatter body", field="body"
        ) from None


def _read_form(request):
    try:
        return request.POST
    except MultiPartParserError as exc:
        raise InvalidInput(
            f"body: {request.content_type} could not be read ({exc}); send "
            "multipart/form-data with a boundary, or JSON",
            field="body",
        ) from None
    except RequestDataTooBig:
        return read_body(request)
    except TooManyFieldsSent:
        raise InvalidInput("body: too many form fields; send fewer", field="body") from None


def _refuse_unstorable(request) -> None:
    """Text from outside through slotwise.core.text (NUL, lone surrogates, control characters) for the query
    string, forms and JSON bodies alike, before ninja reads the parameters; a 400 names the parameter."""
    found = text.find_refused({k: v for k, v in request.GET.lists()})
    if found is not None:
        name = re.sub(r"\[\d+\]$", "", found[0])
        raise InvalidInput(f"{name}: {found[1]}; remove it", field=name)
    body = read_body(request)
    if body and request.content_type == "application/json":
        try:
            body = read_json(request)
        except ValueError:
            body = {}  # ninja reports the malformed body
        if request.method in ("POST", "PATCH") and not isinstance(body, dict):
            raise InvalidInput("body: send a JSON object, e.g. {}", field="body")
        found = text.find_refused(body)
    elif request.method == "POST" and (
        request.content_type.startswith("multipart/") or request.content_type == "application/x-www-form-urlencoded"
    ):
        found = text.find_refused({k: v for k, v in _read_form(request).lists()})
    else:
        found = None
    if found is not None:
        name = re.sub(r"\[\d+\]$", "", found[0]) or None
        raise InvalidInput(f"{name or 'body'}: {found[1]}; remove it", field=name)


def _merge_json_filters(request) -> None:
    """Some Calendly clients send list filters as a JSON body on GET. Take them as query parameters (the
    query string wins); runs after auth and before ninja reads the parameters."""
    try:
        body = read_json(request)
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
        return respond(
            request, Unauthenticated("This endpoint needs an access token: send `Authorization: Bearer <token>`")
        )

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

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return respond(request, PayloadTooLarge(f"The request body is larger than {limit} bytes; send a smaller body"))

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request, exc):
        return respond(
            request,
            InvalidInput(
                f"body: the form could not be read ({exc}); send multipart/form-data with a boundary, or JSON",
                field="body",
            ),
        )

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


_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

# Patterns published in the OpenAPI so that generated clients (and schemathesis) know what is accepted.
UUID_RE = rf"^{_UUID}$"
# Instants are documented as `format: date-time` (RFC 3339) and parsed by slotwise.core.instants, the one
# parser every door uses. A regex here once allowed only days 01-28 and years 20xx; a pattern cannot say
# "a day this month has" or "an offset up to ±14:00", so none is published.
Instant = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-29T09:00:00Z"]})
]
EMAIL_RE = (
    r"^[a-zA-Z0-9]+([._+-][a-zA-Z0-9]+)*@[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*(\.[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)*\.[a-zA-Z]{2,}$"
)


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


# Page tokens are signed: a forged or edited token never reaches a query (a dict where a date belongs was
# a 500). The sort field is inside, so a token from another sort order is refused too.
_PAGE_TOKENS = signing.Signer(salt="slotwise.api.page_token")
_BAD_TOKEN = "page_token: not a token this API gave out for this list; start without it"  # noqa: S105 - a message


def _encode(direction: str, field: str, value, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    return _PAGE_TOKENS.sign_object([direction, field, value, pk])


def _decode(token: str, field: str):
    try:
        direction, given_field, value, pk = _PAGE_TOKENS.unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError, binascii.Error):
        raise InvalidInput(_BAD_TOKEN, field="page_token") from None
    if direction not in ("next", "prev") or given_field != field or not isinstance(pk, int):
        raise InvalidInput(_BAD_TOKEN, field="page_token")
    return direction, value, pk


def paginate(request, qs, *, order: str, count: int, page_token: str | None, serialize) -> dict:
    """Keyset pagination on (order field, pk): pages stay stable while rows are added. The tokens are
    opaque to clients; `next_page` repeats the request's filters and adds page_token."""
    field = order.lstrip("-")
    desc = order.startswith("-")
    forward = (f"-{field}", "-pk") if desc else (field, "pk")
    backward = (field, "pk") if desc else (f"-{field}", "-pk")
    direction = None
    if page_token:
        direction, value, pk = _decode(page_token, field)
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
    next_token = _encode("next", field, getattr(rows[-1], field), rows[-1].pk) if rows and has_next else None
    prev_token = _encode("prev", field, getattr(rows[0], field), rows[0].pk) if rows and has_prev else None

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


def _no_bool(value):
    # bool is an int in Python, so pydantic's lax mode would read `true` as 1 minute or 1 seat.
    if isinstance(value, bool):
        raise ValueError("give a number, not true or false")
    return value


# An integer in a JSON body: 45 or "45", never true/false (schemathesis: "duration": true was accepted).
JsonInt = Annotated[int, BeforeValidator(_no_bool)]
