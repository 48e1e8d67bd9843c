"""The built-in actions: send a webhook, send an email. ("Copy to calendar" is registered by the calendars
app against the same contract.)"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine
from django.utils.html import linebreaks

from slotwise.core import outbound

from .registry import register_action

TIMEOUT = 10


def booking_payload(booking) -> dict:
    invitees = booking.invitees.order_by("pk")
    return {
        "uid": str(booking.uid),
        "status": booking.status,
        "event_type": {"uuid": str(booking.event_type.uuid), "name": booking.event_type.name},
        "host": {"slug": booking.host.slug, "email": booking.host.user.email},
        "start": booking.start.isoformat().replace("+00:00", "Z"),
        "end": booking.end.isoformat().replace("+00:00", "Z"),
        "timezone": booking.timezone,
        "location": booking.location,
        "invitees": [
            {"name": i.name, "email": i.email, "timezone": i.timezone, "status": i.status, "answers": i.answers}
            for i in invitees
        ],
    }


def _post(url: str, body: dict, secret: str) -> outbound.OutboundResponse:
    data = json.dumps(body, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Slotwise-Rules/1"}
    if secret:
        headers["X-Slotwise-Signature"] = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    # Like webhooks, not redirected: a redirect would re-aim a signed POST somewhere the rule does not name.
    resp = outbound.request(
        "POST",
        url,
        purpose="Rule webhook",
        data=data,
        headers=headers,
        timeout=TIMEOUT,
        max_bytes=64 * 1024,
        truncate=True,
        follow_redirects=False,
    )
    if 300 <= resp.status_code < 400:
        raise RuntimeError(f"{url} answered {resp.status_code} (a redirect, not followed); give the final URL")
    if not 200 <= resp.status_code < 300:
        raise RuntimeError(f"{url} answered {resp.status_code}; will retry")
    return resp


def webhook_do(*, rule, booking, params: dict, now) -> dict:
    body = {"event": rule.trigger, "rule": rule.name, "sent_at": now.isoformat(), "booking": booking_payload(booking)}
    resp = _post(params["url"], body, params.get("secret", ""))
    return {"status": resp.status_code}


def webhook_undo(*, rule, booking, params: dict, state: dict, now) -> None:
    # The receiver made something of the first call (a ticket, a row); tell it that booking is off.
    body = {"event": "rule.undone", "rule": rule.name, "sent_at": now.isoformat(), "booking": booking_payload(booking)}
    _post(params["url"], body, params.get("secret", ""))


def email_do(*, rule, booking, params: dict, now) -> dict:
    ctx = Context({"booking": booking_payload(booking), "rule": rule.name}, autoescape=False)
    engine = Engine.get_default()
    subject = engine.from_string(params.get("subject") or "{{ booking.event_type.name }}: {{ booking.start }}")
    text = engine.from_string(
        params.get("text")
        or "{{ booking.event_type.name }} at {{ booking.start }} "
        "with {% for i in booking.invitees %}{{ i.name }} {% endfor %}"
    )
    body = text.render(ctx)
    to = params["to"] if isinstance(params["to"], list) else [params["to"]]
    msg = EmailMultiAlternatives(
        subject=" ".join(subject.render(ctx).split()), body=body, to=to, from_email=settings.DEFAULT_FROM_EMAIL
    )
    msg.attach_alternative(linebreaks(body, autoescape=True), "text/html")
    msg.send(fail_silently=False)
    return {"to": to, "message_id": msg.extra_headers.get("Message-ID", "")}


def register_builtin() -> None:
    register_action("webhook", do=webhook_do, undo=webhook_undo, label="Post it to a URL (a webhook)")
    register_action("email", do=email_do, label="Email someone about it")
