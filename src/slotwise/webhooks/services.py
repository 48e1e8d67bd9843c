"""Webhook subscriptions, the outbox and delivery.

The outbox is written by domain-event subscribers inside the booking's (or event type's) transaction: one
WebhookDelivery row and one durable job per matching subscription, so an event is delivered if and only
if its cause committed. The worker runs `webhook.deliver` jobs; each POST is signed and logged as a
WebhookAttempt. Failures are retried on the jobs' backoff (30 s doubling, capped at 1 hour) for 24
hours from the event; then the subscription is disabled and its creator is told by email.
"""

import json
import logging
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from slotwise.accounts.models import Membership, Organization
from slotwise.core import metrics, outbound
from slotwise.core.clock import utc_now
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.core.signing import signature
from slotwise.jobs import services as jobs

from .models import EVENTS, WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

JOB_KIND = "webhook.deliver"
RETRY_FOR = timedelta(hours=24)
EXCERPT = 500  # bytes of the receiver's answer kept for the delivery log


# ---- subscriptions ----------------------------------------------------------------------------------


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"The webhook URL {url!r} is not an http(s) URL", field="url")
    if settings.PRODUCTION and parts.scheme != "https":
        raise InvalidInput("Use an https URL so that payloads are not sent in the clear", field="url")
    if len(url) > 500:
        raise InvalidInput("The webhook URL can be at most 500 characters", field="url")
    # Where it points now; delivery checks again, since the name may resolve elsewhere by then.
    return outbound.check_url(url, purpose="Webhook URL", field="url")


def subscription_create(
    *,
    organization: Organization,
    creator: Membership,
    url: str,
    events: list[str],
    scope: str,
    user: Membership | None = None,
    signing_key: str | None = None,
    now: datetime,
) -> WebhookSubscription:
    url = _check_url(url)
    if not events:
        raise InvalidInput(f"Choose at least one event to send: {', '.join(EVENTS)}", field="events")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not an event; choose from {', '.join(EVENTS)}", field="events")
    if scope not in WebhookSubscription.Scope.values:
        raise InvalidInput(f"The scope must be organization or user, not {scope!r}", field="scope")
    if scope == "organization":
        if not creator.is_admin:
            raise PermissionDenied("Organization-scoped webhooks need an organization owner or admin")
        user = None
    else:
        user = user or creator
        if user.organization_id != organization.pk:
            raise NotFound("There is no such user in your organization")
        if user.pk != creator.pk and not creator.is_admin:
            raise PermissionDenied("Only an organization admin can subscribe to another user's events")
    if signing_key is not None and not 8 <= len(signing_key) <= 200:
        raise InvalidInput("The signing key must be 8 to 200 characters", field="signing_key")
    with transaction.atomic():
        same = WebhookSubscription.objects.select_for_update().filter(
            organization=organization, callback_url=url, scope=scope, user=user, state="active"
        )
        if same.exists():
            raise Conflict("Hook with this url already exists", field="url")
        sub = WebhookSubscription(
            organization=organization,
            creator=creator,
            user=user,
            scope=scope,
            callback_url=url,
            events=sorted(set(events), key=EVENTS.index),
            created_at=now,
            updated_at=now,
        )
        if signing_key:
            sub.signing_key = signing_key
        sub.save()
    return sub


def subscription_delete(*, subscription: WebhookSubscription, by: Membership) -> None:
    if not (by.is_admin or (subscription.creator_id == by.pk) or subscription.user_id == by.pk):
        raise PermissionDenied("Only the subscription's creator or an organization admin can delete it")
    with transaction.atomic():
        jobs.cancel_pending(f"webhook:{subscription.uuid}", kinds=[JOB_KIND])
        subscription.delete()


# ---- the outbox -------------------------------------------------------------------------------------


def matching(organization_id: int, event: str, hosts: list[int]):
    """Active subscriptions that want `event` and may see it: organization scope, or user scope for one
    of the hosts involved."""
    subs = WebhookSubscription.objects.filter(organization_id=organization_id, state="active").filter(
        Q(scope="organization") | Q(scope="user", user_id__in=hosts)
    )
    return [s for s in subs.select_related("creator__user") if event in s.events]


def envelope(sub: WebhookSubscription, event: str, payload: dict, now: datetime) -> str:
    from slotwise.representations import ts, uri

    created_by = uri("users", sub.creator.user.uuid) if sub.creator is not None else None
    return json.dumps(
        {"event": event, "created_at": ts(now), "created_by": created_by, "payload": payload},
        separators=(",", ":"),
    )


def outbox_write(*, organization_id: int, event: str, payload, hosts: list[int], now: datetime) -> list:
    """Called inside the causing transaction; returns the deliveries written. `payload` may be a callable,
    so that nothing is serialized for an organization with no subscriber."""
    subs = matching(organization_id, event, hosts)
    if subs and callable(payload):
        payload = payload()
    return [_enqueue(sub, event, envelope(sub, event, payload, now), now) for sub in subs]


def _enqueue(sub: WebhookSubscription, event: str, body: str, now: datetime, *, sample: bool = False):
    delivery = WebhookDelivery.objects.create(subscription=sub, event=event, body=body, created_at=now, sample=sample)
    # The job system's own attempt cap must never end a delivery early: this module decides when to stop.
    jobs.enqueue(
        JOB_KIND,
        {"delivery": delivery.pk},
        due_at=now,
        key=f"webhook:{sub.uuid}",
        max_attempts=1000,
        organization_id=sub.organization_id,
    )
    return delivery


def send_sample(*, subscription: WebhookSubscription, event: str | None, now: datetime) -> WebhookDelivery:
    """A made-up but well-formed event, so an integrator can test their receiver."""
    from slotwise.representations import ts, uri

    event = event or subscription.events[0]
    if event not in EVENTS:
        raise InvalidInput(f"{event!r} is not an event; choose one of {', '.join(EVENTS)}", field="event")
    payload = {
        "uri": uri(
            "scheduled_events",
            "00000000-0000-0000-0000-000000000000",
            "invitees",
            "00000000-0000-0000-0000-000000000001",
        ),
        "email": "sample.invitee@example.com",
        "name": "Sample Invitee",
        "status": "canceled" if event == "invitee.canceled" else "active",
        "created_at": ts(now),
        "sample": True,
    }
    with transaction.atomic():
        return _enqueue(subscription, event, envelope(subscription, event, payload, now), now, sample=True)


# ---- delivery ---------------------------------------------------------------------------------------


def _post(url: str, body: str, header: str, timeout: float) -> tuple[int | None, str, str]:
    """(status, the start of the receiver's answer, our error message). A refused address gets no request
    at all, so what the delivery log shows is never the answer of a service inside our network."""
    try:
        resp = outbound.request(
            "POST",
            url,
            purpose="Webhook",
            data=body.encode(),
            timeout=timeout,
            follow_redirects=False,
            max_bytes=EXCERPT,
            truncate=True,
            headers={
                "Content-Type": "application/json",
                "Calendly-Webhook-Signature": header,
                "User-Agent": "Slotwise-Webhooks/1",
            },
        )
    except (outbound.OutboundRefused, outbound.OutboundError) as exc:
        return None, "", exc.message[:500]
    excerpt = resp.content.decode("utf-8", "replace")
    if 300 <= resp.status_code < 400:
        return (
            resp.status_code,
            excerpt,
            ("the receiver answered with a redirect, not followed: webhooks are not redirected, so give the final URL"),
        )
    return resp.status_code, excerpt, ""


def deliver(*, delivery_id: int, now: datetime) -> WebhookAttempt | None:
    """One attempt. Returns the attempt; raises jobs.Defer to be tried again later."""
    delivery = WebhookDelivery.objects.select_related("subscription__creator__user").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None  # deleted with its subscription, or already done by a worker whose lease ran out
    sub = delivery.subscription
    if sub.state != WebhookSubscription.State.ACTIVE and not delivery.sample:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
        return None
    number = delivery.attempts.count() + 1
    t = int(now.timestamp())
    started = time.monotonic()
    status, excerpt, error = _post(
        sub.callback_url,
        delivery.body,
        signature(sub.signing_key, delivery.body, t),
        timeout=float(getattr(settings, "SLOTWISE_WEBHOOK_TIMEOUT", 10)),
    )
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        started_at=now,
        duration_ms=int((time.monotonic() - started) * 1000),
        status_code=status,
        error=error or ("" if status and 200 <= status < 300 else f"HTTP {status}"),
        response_excerpt=excerpt,
    )
    if not attempt.ok:
        metrics.WEBHOOK_FAILURES.inc()
    if attempt.ok:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.DELIVERED, delivered_at=now)
        if sub.retry_started_at is not None:
            WebhookSubscription.objects.filter(pk=sub.pk).update(retry_started_at=None)
        return attempt
    if delivery.sample:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
        return attempt
    if sub.retry_started_at is None:
        WebhookSubscription.objects.filter(pk=sub.pk).update(retry_started_at=now)
    if now - delivery.created_at >= RETRY_FOR:
        _give_up(delivery, sub, attempt, now)
        return attempt
    raise jobs.Defer(jobs.backoff(number), f"attempt {number} failed: {attempt.error}")


def _owners(sub: WebhookSubscription) -> list[str]:
    """The subscription's creator; if they have left, the organization's owners and admins."""
    if sub.creator is not None:
        return [sub.creator.user.email]
    admins = Membership.objects.filter(organization_id=sub.organization_id, role__in=["owner", "admin"])
    return sorted(admins.values_list("user__email", flat=True))


def _give_up(delivery: WebhookDelivery, sub: WebhookSubscription, attempt: WebhookAttempt, now: datetime) -> None:
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
        disabled = WebhookSubscription.objects.filter(pk=sub.pk, state="active").update(
            state="disabled",
            updated_at=now,
            disabled_reason=f"Deliveries failed for 24 hours; last: {attempt.error}"[:500],
        )
        WebhookDelivery.objects.filter(subscription=sub, status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED
        )
        jobs.cancel_pending(f"webhook:{sub.uuid}", kinds=[JOB_KIND])
    if disabled:
        send_mail(
            subject="Slotwise: a webhook subscription was disabled",
            message=(
                f"Deliveries to {sub.callback_url} failed for 24 hours (last attempt: {attempt.error}).\n"
                f"The subscription is now disabled and receives no more events. Fix the receiver, then create "
                f"the subscription again.\n\nAttempts: {settings.BASE_URL}/dashboard/webhooks/{sub.uuid}/\n"
            ),
            from_email=None,
            recipient_list=_owners(sub),
            fail_silently=True,
        )


@jobs.handler(JOB_KIND)
def _run(payload: dict, job) -> None:
    # The tick's `now`, so a queue run at a given instant (tests, a replay) delivers at that instant.
    now = getattr(job, "now", None) or utc_now()
    deliver(delivery_id=payload["delivery"], now=now)
