import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from slotwise.bookings.models import InviteeNoShow
from slotwise.bookings.noshow import invitee_no_show_set
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.core import signing
from slotwise.core.errors import SlotUnavailable
from slotwise.jobs import services as jobs
from slotwise.jobs.models import Job
from slotwise.scheduling import services as scheduling
from slotwise.webhooks import services
from slotwise.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.webhooks.receiver import Receiver

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def run_due(now):
    """Only the webhook jobs: bookings also queue emails, which are another engineer's tests."""
    return jobs.run_due(now, kinds=["webhook.deliver"])


def at(day, hour):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def subscribe(org, url, events=None, scope="organization", user=None):
    return services.subscription_create(
        organization=org.a,
        creator=org.admin,
        url=url,
        scope=scope,
        user=user,
        now=T0,
        events=events
        or [
            "invitee.created",
            "invitee.canceled",
            "invitee_no_show.created",
            "invitee_no_show.deleted",
            "event_type.created",
            "event_type.updated",
            "event_type.deleted",
        ],
    )


def book(et, start, email="ada@example.com", now=T0):
    return booking_create(
        event_type=et,
        start=start,
        now=now,
        invitee=InviteeInput(name="Ada Lovelace", email=email, timezone="Europe/London"),
    )


def test_outbox_row_and_job_are_written_with_the_booking_and_only_then(org, receiver):
    sub = subscribe(org, receiver.url)
    book(org.et, at(3, 9))
    (d,) = WebhookDelivery.objects.all()
    assert (d.subscription_id, d.event, d.status) == (sub.pk, "invitee.created", "pending")
    assert Job.objects.filter(kind="webhook.deliver", payload={"delivery": d.pk}).count() == 1
    with pytest.raises(SlotUnavailable):
        book(org.et, at(3, 9), email="late@example.com")  # taken: rolled back, so no event either
    assert WebhookDelivery.objects.count() == 1
    assert receiver.requests == []  # nothing is sent inside the transaction


def test_delivery_is_signed_and_shaped_like_calendly(org, receiver):
    sub = subscribe(org, receiver.url)
    inv = book(org.et, at(3, 9))
    assert run_due(T0) == 1
    (req,) = receiver.requests
    header = req["headers"]["Calendly-Webhook-Signature"]
    t = int(T0.timestamp())
    assert header.startswith(f"t={t},v1=")
    assert signing.verify(sub.signing_key, req["body"], header, now=T0)
    assert not signing.verify("another-key", req["body"], header, now=T0)
    assert not signing.verify(sub.signing_key, req["body"] + " ", header, now=T0)
    assert not signing.verify(sub.signing_key, req["body"], header, now=T0 + timedelta(minutes=10))
    body = json.loads(req["body"])
    assert set(body) == {"event", "created_at", "created_by", "payload"}
    assert body["event"] == "invitee.created"
    assert body["created_at"] == "2026-03-02T08:00:00.000000Z"
    assert body["created_by"] == f"http://127.0.0.1:8000/api/v2/users/{org.admin.user.uuid}"
    p = body["payload"]
    assert p["uri"] == f"http://127.0.0.1:8000/api/v2/scheduled_events/{inv.booking.uid}/invitees/{inv.uid}"
    assert (p["email"], p["status"], p["rescheduled"]) == ("ada@example.com", "active", False)
    assert p["scheduled_event"]["start_time"] == "2026-03-03T09:00:00.000000Z"
    d = WebhookDelivery.objects.get()
    assert (d.status, d.delivered_at) == ("delivered", T0)
    (a,) = WebhookAttempt.objects.all()
    assert (a.number, a.status_code, a.ok, a.response_excerpt) == (1, 200, True, "thanks")


def test_retry_after_a_500_with_backoff(org):
    with Receiver([500, 500, 200]) as rec:
        subscribe(org, rec.url)
        book(org.et, at(3, 9))
        run_due(T0)
        job = Job.objects.get(kind="webhook.deliver")
        assert (job.status, job.due_at) == ("pending", T0 + timedelta(seconds=30))
        assert run_due(T0 + timedelta(seconds=29)) == 0
        run_due(T0 + timedelta(seconds=30))
        job.refresh_from_db()
        assert job.due_at == T0 + timedelta(seconds=90)  # 30 s, then 60 s
        run_due(T0 + timedelta(seconds=90))
        assert rec.events() == ["invitee.created"] * 3
        assert rec.requests[0]["body"] == rec.requests[2]["body"]  # a retry sends the same bytes
    attempts = list(WebhookAttempt.objects.order_by("number").values_list("number", "status_code", "error"))
    assert attempts == [(1, 500, "HTTP 500"), (2, 500, "HTTP 500"), (3, 200, "")]
    assert WebhookDelivery.objects.get().status == "delivered"
    assert WebhookSubscription.objects.get().retry_started_at is None


def test_retry_after_a_timeout(org, settings):
    settings.SLOTWISE_WEBHOOK_TIMEOUT = 0.5
    with Receiver([("sleep", 2)]) as rec:
        subscribe(org, rec.url)
        book(org.et, at(3, 9))
        run_due(T0)
        first = WebhookAttempt.objects.get()
        assert first.status_code is None and "timed out" in first.error.lower()
        run_due(T0 + timedelta(seconds=30))
        assert len(rec.requests) == 2
    assert WebhookDelivery.objects.get().status == "delivered"


def test_after_24_hours_of_failures_the_subscription_is_disabled_and_its_owner_told(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with Receiver([500] * 100) as rec:
        sub = subscribe(org, rec.url)
        book(org.et, at(3, 9))
        now, delays = T0, []
        while True:
            run_due(now)
            job = Job.objects.get(kind="webhook.deliver")
            if job.status != "pending":
                break
            delays.append(int((job.due_at - now).total_seconds()))
            now = job.due_at
        assert delays[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600]
        assert set(delays[7:]) == {3600}
        assert now >= T0 + timedelta(hours=24)
        assert now - timedelta(hours=1) < T0 + timedelta(hours=24)
    sub.refresh_from_db()
    assert sub.state == "disabled" and "24 hours" in sub.disabled_reason
    assert sub.retry_started_at == T0
    assert WebhookDelivery.objects.get().status == "failed"
    assert WebhookAttempt.objects.count() == len(delays) + 1
    (msg,) = mail.outbox
    assert msg.to == ["alice@acme.test"] and rec.url in msg.body
    book(org.et, at(3, 11))  # a disabled subscription gets nothing more
    assert WebhookDelivery.objects.count() == 1


def test_reschedule_sends_canceled_with_rescheduled_true_then_created(org, receiver):
    subscribe(org, receiver.url)
    inv = book(org.et, at(3, 9))
    run_due(T0)
    new = booking_reschedule(invitee=inv, new_start=at(3, 11), now=T0)
    run_due(T0)
    events = receiver.bodies()
    assert [e["event"] for e in events] == ["invitee.created", "invitee.canceled", "invitee.created"]
    canceled, created = events[1]["payload"], events[2]["payload"]
    assert canceled["rescheduled"] is True and canceled["status"] == "canceled"
    assert canceled["new_invitee"].endswith(f"/invitees/{new.uid}")
    assert created["old_invitee"].endswith(f"/invitees/{inv.uid}")
    assert created["scheduled_event"]["start_time"] == "2026-03-03T11:00:00.000000Z"


def test_reschedule_into_an_existing_group_session_still_sends_canceled_then_created(org, receiver):
    """Joining a session that already exists creates no new booking: the order must hold all the same."""
    from tests import factories

    group = factories.event_type(
        org.admin, slug="office", kind="group", seats=3, duration_minutes=60, increment_minutes=60
    )
    book(group, at(3, 11), email="first@example.com")
    mover = book(group, at(3, 9), email="mover@example.com")
    subscribe(org, receiver.url)
    new = booking_reschedule(invitee=mover, new_start=at(3, 11), now=T0)
    run_due(T0)
    events = receiver.bodies()
    assert [e["event"] for e in events] == ["invitee.canceled", "invitee.created"]
    assert events[0]["payload"]["rescheduled"] is True
    assert events[1]["payload"]["uri"].endswith(f"/invitees/{new.uid}")
    assert new.booking.invitees.count() == 2


def test_cancel_no_show_and_event_type_events(org, receiver):
    subscribe(org, receiver.url)
    past = book(org.et, datetime(2026, 2, 24, 9, tzinfo=UTC), now=datetime(2026, 2, 20, tzinfo=UTC))
    inv = book(org.et, at(3, 9))
    booking_cancel(booking=inv.booking, now=T0, reason="sick")
    invitee_no_show_set(invitee=past, no_show=True, now=T0)
    invitee_no_show_set(invitee=past, no_show=False, now=T0)
    et = scheduling.event_type_create(organization=org.a, owner=org.admin, values={"name": "New one"}, now=T0)
    scheduling.event_type_update(event_type=et, values={"name": "Renamed"}, now=T0)
    scheduling.event_type_delete(event_type=et, now=T0)
    run_due(T0)
    bodies = receiver.bodies()
    assert [b["event"] for b in bodies] == [
        "invitee.created",
        "invitee.created",
        "invitee.canceled",
        "invitee_no_show.created",
        "invitee_no_show.deleted",
        "event_type.created",
        "event_type.updated",
        "event_type.deleted",
    ]
    canceled = bodies[2]["payload"]
    assert (canceled["rescheduled"], canceled["cancellation"]["reason"]) == (False, "sick")
    assert bodies[3]["payload"]["invitee"].endswith(f"/invitees/{past.uid}")
    assert bodies[3]["payload"]["uri"] == bodies[4]["payload"]["uri"]
    assert not InviteeNoShow.objects.exists()  # the "deleted" payload named the mark without making it again
    assert [b["payload"]["name"] for b in bodies[5:]] == ["New one", "Renamed", "Renamed"]
    assert bodies[7]["payload"]["deleted_at"] == "2026-03-02T08:00:00.000000Z"


def test_user_scope_sees_only_that_users_events(org, receiver):
    subscribe(org, receiver.url, events=["invitee.created"], scope="user", user=org.member)
    book(org.et, at(3, 9))  # Alice's
    bobs = book(org.bob_et, at(3, 10))
    run_due(T0)
    assert [b["payload"]["uri"].rsplit("/", 1)[1] for b in receiver.bodies()] == [str(bobs.uid)]


def test_other_organizations_events_never_reach_a_subscription(org, receiver):
    from tests import factories

    subscribe(org, receiver.url)
    b = factories.org("globex")
    hank = factories.host(b, "hank")
    book(factories.event_type(hank), at(3, 9))
    run_due(T0)
    assert receiver.requests == []


def test_sample_endpoint_and_dashboard(org, receiver):
    from slotwise.api.tokens import token_create
    from tests.api.conftest import Api

    sub = subscribe(org, receiver.url)
    _, secret = token_create(membership=org.admin, scope="write", now=T0)
    r = Api(secret).post(f"/webhook_subscriptions/{sub.uuid}/test", {"event": "invitee.canceled"})
    assert r.status_code == 201
    run_due(datetime.now(UTC))
    (body,) = receiver.bodies()
    assert body["event"] == "invitee.canceled" and body["payload"]["sample"] is True

    c = Client()
    c.force_login(org.admin.user)
    assert c.post(f"/dashboard/webhooks/{sub.uuid}/sample/", {"event": "invitee.created"}).status_code == 302
    run_due(datetime.now(UTC))
    assert receiver.events() == ["invitee.canceled", "invitee.created"]
    page = c.get(f"/dashboard/webhooks/{sub.uuid}/").content.decode()
    assert page.count("HTTP 200") == 2 and "(sample)" in page
    index = c.get("/dashboard/webhooks/").content.decode()
    assert receiver.url in index

    stranger = Client()
    stranger.force_login(org.member.user)
    assert stranger.get(f"/dashboard/webhooks/{sub.uuid}/").status_code == 404
    assert receiver.url not in stranger.get("/dashboard/webhooks/").content.decode()


def test_when_the_creator_has_left_the_organizations_admins_are_told(org):
    from tests import factories

    factories.host(org.a, "carol", role="admin", email="carol@acme.test")
    sub = subscribe(org, "http://127.0.0.1:9/hook")
    WebhookSubscription.objects.filter(pk=sub.pk).update(creator=None)
    sub.refresh_from_db()
    assert services._owners(sub) == ["alice@acme.test", "carol@acme.test"]


def test_payload_builders_only_read(org, receiver):
    """A subscriber's payload is built by reading; the service that published the event did the writing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from slotwise.webhooks import subscribers

    past = book(org.et, datetime(2026, 2, 24, 9, tzinfo=UTC), now=datetime(2026, 2, 20, tzinfo=UTC))
    mark = invitee_no_show_set(invitee=past, no_show=True, now=T0)
    with CaptureQueriesContext(connection) as queries:
        subscribers._invitee_payload(past)
        subscribers._no_show_payload(mark)
    assert queries.captured_queries
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
