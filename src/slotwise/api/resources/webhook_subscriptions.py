"""GET/POST /webhook_subscriptions, GET/DELETE /webhook_subscriptions/{uuid}, and the Slotwise extra
POST /webhook_subscriptions/{uuid}/test (send a sample event)."""

from typing import Literal

from ninja import Field, Path, Query, Router, Schema, Status

from slotwise.accounts.models import Membership
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.webhooks import services as webhooks
from slotwise.webhooks.models import EVENTS, WebhookSubscription

from ..base import (
    UUID_RE,
    Pagination,
    check_org,
    idempotent,
    paginate,
    require_write,
    responses,
    sort_order,
    sort_re,
    ts,
    uri,
    uri_re,
    uuid_of,
)

router = Router(tags=["webhook_subscriptions"])

EventName = Literal[EVENTS]


class Subscription(Schema):
    uri: str
    callback_url: str
    created_at: str
    updated_at: str
    retry_started_at: str | None
    state: str
    events: list[str]
    scope: str
    organization: str
    user: str | None
    group: str | None = None
    creator: str | None


class SubscriptionResource(Schema):
    resource: Subscription


class SubscriptionCollection(Schema):
    collection: list[Subscription]
    pagination: Pagination


class SubscriptionBody(Schema):
    url: str = Field(..., pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$", max_length=500)
    events: list[EventName] = Field(..., min_length=1)
    organization: str = Field(..., pattern=uri_re("organizations"))
    scope: Literal["organization", "user"]
    user: str | None = Field(None, pattern=uri_re("users"))
    signing_key: str | None = Field(None, min_length=8, max_length=200)


class SampleBody(Schema):
    event: EventName | None = None


class Sent(Schema):
    delivery: str
    event: str


class SentResource(Schema):
    resource: Sent


def subscription_dict(s: WebhookSubscription) -> dict:
    return {
        "uri": uri("webhook_subscriptions", s.uuid),
        "callback_url": s.callback_url,
        "created_at": ts(s.created_at),
        "updated_at": ts(s.updated_at),
        "retry_started_at": ts(s.retry_started_at),
        "state": s.state,
        "events": list(s.events),
        "scope": s.scope,
        "organization": uri("organizations", s.organization.uuid),
        "user": uri("users", s.user.user.uuid) if s.user_id else None,
        "group": None,
        "creator": uri("users", s.creator.user.uuid) if s.creator_id else None,
    }


def _visible(request):
    return WebhookSubscription.objects.select_related("organization", "user__user", "creator__user").filter(
        organization=request.auth.membership.organization
    )


def _by_uuid(request, value: str) -> WebhookSubscription:
    s = _visible(request).filter(uuid=uuid_of(value, "webhook_subscriptions", field="uuid")).first()
    if s is None:
        raise NotFound("No webhook subscription with this uuid in your organization")
    return s


def _member(request, user: str | None, *, field: str = "user") -> Membership | None:
    if not user:
        return None
    m = (
        Membership.objects.filter(
            organization=request.auth.membership.organization, user__uuid=uuid_of(user, "users", field=field)
        )
        .select_related("user")
        .first()
    )
    if m is None:
        raise NotFound(f"{field}: no such user in your organization")
    return m


@router.get("/webhook_subscriptions", response=responses(200, SubscriptionCollection), summary="Webhook subscriptions")
def list_subscriptions(
    request,
    organization: str = Query(..., pattern=uri_re("organizations")),
    scope: Literal["organization", "user"] = Query(...),
    user: str | None = Query(None, pattern=uri_re("users")),
    sort: str | None = Query(None, pattern=sort_re("created_at")),
    count: int = Query(20, ge=1, le=100),
    page_token: str | None = None,
):
    check_org(request, organization)
    if scope not in ("organization", "user"):
        raise InvalidInput(f"scope: {scope!r} is not one of organization, user", field="scope")
    qs = _visible(request).filter(scope=scope)
    member = _member(request, user)
    if scope == "user":
        qs = qs.filter(user=member or request.auth.membership)
    order = sort_order(sort, allowed={"created_at": "created_at"}, default="created_at")
    return paginate(request, qs, order=order, count=count, page_token=page_token, serialize=subscription_dict)


@router.post("/webhook_subscriptions", response=responses(201, SubscriptionResource), summary="Subscribe")
@idempotent
def create(request, body: SubscriptionBody):
    require_write(request)
    check_org(request, body.organization)
    sub = webhooks.subscription_create(
        organization=request.auth.membership.organization,
        creator=request.auth.membership,
        url=body.url,
        events=body.events,
        scope=body.scope,
        user=_member(request, body.user),
        signing_key=body.signing_key,
        now=request.now,
    )
    return Status(201, {"resource": subscription_dict(_by_uuid(request, str(sub.uuid)))})


@router.get("/webhook_subscriptions/{uuid}", response=responses(200, SubscriptionResource), summary="One subscription")
def get(request, uuid: str = Path(..., pattern=UUID_RE)):
    return {"resource": subscription_dict(_by_uuid(request, uuid))}


@router.delete("/webhook_subscriptions/{uuid}", response=responses(204, None), summary="Unsubscribe")
def delete(request, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    webhooks.subscription_delete(subscription=_by_uuid(request, uuid), by=request.auth.membership)
    return Status(204, None)


@router.post(
    "/webhook_subscriptions/{uuid}/test", response=responses(201, SentResource), summary="Slotwise: send a sample event"
)
@idempotent
def send_sample(request, body: SampleBody | None = None, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    sub = _by_uuid(request, uuid)
    delivery = webhooks.send_sample(subscription=sub, event=body.event if body else None, now=request.now)
    return Status(201, {"resource": {"delivery": str(delivery.uuid), "event": delivery.event}})
