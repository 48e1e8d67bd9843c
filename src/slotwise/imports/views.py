"""The door Calendly knocks on: POST /hooks/calendly/<hook_token>/ (one URL per connection).

The body is verified against the connection's sealed signing key (Calendly-Webhook-Signature,
t=..,v1=HMAC-SHA256(key, "t.body"), 3 minutes' tolerance: core.signing, the same code our own webhooks
sign with), then handed to imports.sync.handle_webhook. Refusals are 4xx with a JSON body that says why;
nothing is written for them. A Calendly failure while handling (429, 5xx) is a 503, so Calendly delivers
again; the poll would pick the event up too."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from slotwise.core import signing
from slotwise.core.clock import utc_now
from slotwise.core.errors import SlotwiseError

from . import services
from .calendly import CalendlyError
from .models import Connection
from .selectors import LIVE

MAX_BODY = 1024 * 1024
EVENTS = ("invitee.created", "invitee.canceled")


def _refuse(status: int, title: str, message: str) -> JsonResponse:
    return JsonResponse({"title": title, "message": message}, status=status)


@csrf_exempt
@require_POST
def calendly_hook(request, token: str):
    conn = Connection.objects.filter(LIVE, hook_token=token).first()
    if conn is None:
        return _refuse(404, "Resource Not Found", "No Calendly connection receives webhooks at this address")
    if len(request.body) > MAX_BODY:
        return _refuse(413, "Payload Too Large", "The webhook body is larger than 1 MB")
    key = services.signing_key(conn)
    now = utc_now()
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "Invalid Argument", "The webhook body is not UTF-8 text")
    header = request.headers.get(signing.HEADER, "")
    if not key or not signing.verify(key, body, header, now=now):
        why = "is missing" if not header else "does not match this connection's signing key, or is older than 3 minutes"
        return _refuse(401, "Unauthenticated", f"The {signing.HEADER} header {why}")
    try:
        payload = json.loads(body)
    except ValueError:
        return _refuse(400, "Invalid Argument", "The webhook body is not JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("payload"), dict) or not payload.get("event"):
        return _refuse(400, "Invalid Argument", "The webhook body has no event and payload")
    if payload["event"] not in EVENTS:
        return JsonResponse({"status": "ignored", "event": str(payload["event"])[:100]})
    from . import sync  # engineer "sync"'s module

    try:
        sync.handle_webhook(connection=conn, payload=payload, now=now)
    except CalendlyError as exc:
        services.connection_failed(connection=conn, error=exc, now=now)
        return _refuse(503, "Service Unavailable", "Calendly could not be read just now; deliver again later")
    except SlotwiseError as exc:
        return _refuse(exc.status if 400 <= exc.status < 500 else 422, exc.title, exc.message)
    return JsonResponse({"status": "ok"})
