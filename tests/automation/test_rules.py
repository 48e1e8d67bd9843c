"""Rules that replace a hand-made Zap: trigger, filters, actions run as jobs, a log, undo on cancel."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from slotwise.automation.models import Rule, RuleRun
from slotwise.automation.registry import register_action
from slotwise.automation.services import rule_create
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.core.errors import InvalidInput
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from tests import factories as f

pytestmark = pytest.mark.django_db
NINE = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
copies: list[tuple] = []


def _copy_do(*, rule, booking, params, now):
    copies.append(("copy", str(booking.uid), params["calendar"]))
    return {"event_id": f"evt-{booking.pk}"}


def _copy_undo(*, rule, booking, params, state, now):
    copies.append(("remove", str(booking.uid), state["event_id"]))


register_action("test.copy", do=_copy_do, undo=_copy_undo)


@pytest.fixture(autouse=True)
def _clear():
    copies.clear()


class Receiver:
    def __init__(self):
        self.posts: list[tuple[dict, dict]] = []
        self.status = 200
        receiver = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers), json.loads(body), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def org_hosts(db):
    org = f.org()
    ann, bob = f.host(org, "ann", email="ann@example.com"), f.host(org, "bob", email="bob@example.com")
    return org, ann, bob


def book(et, now, start=NINE, email="cy@example.org", answers=None):
    return booking_create(
        event_type=et,
        start=start,
        now=now,
        invitee=InviteeInput(name="Cy", email=email, timezone="UTC", answers=answers or {}),
    )


def test_support_bookings_go_to_the_webhook_and_others_do_not(org_hosts, receiver, now):
    org, ann, bob = org_hosts
    rule = rule_create(
        organization=org,
        name="Support to helpdesk",
        trigger="booking.created",
        action="webhook",
        filters=[{"field": "event_type", "op": "contains", "value": "support"}],
        params={"url": receiver.url, "secret": "s3cret"},
    )
    support = f.event_type(ann, name="Customer SUPPORT call")
    sales = f.event_type(ann, name="Sales demo")
    invitee = book(support, now)
    book(sales, now, start=NINE + timedelta(hours=2))
    assert receiver.posts == []  # actions are jobs, never inline
    run_due(now)
    ((headers, body, raw),) = receiver.posts
    assert body["event"] == "booking.created"
    assert body["rule"] == "Support to helpdesk"
    assert body["booking"]["uid"] == str(invitee.booking.uid)
    assert body["booking"]["start"] == "2026-03-03T09:00:00Z"
    assert body["booking"]["invitees"][0]["email"] == "cy@example.org"
    assert headers["X-Slotwise-Signature"] == "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    run = RuleRun.objects.get()
    assert (run.rule_id, run.action, run.status, run.state) == (rule.pk, "webhook", "done", {"status": 200})


def test_a_cancel_undoes_what_the_rule_did(org_hosts, now):
    org, ann, bob = org_hosts
    rule_create(
        organization=org,
        name="Copy support",
        trigger="booking.created",
        action="test.copy",
        filters=[{"field": "title", "value": "support"}],
        params={"calendar": "team-support"},
    )
    invitee = book(f.event_type(ann, name="Support"), now)
    run_due(now)
    uid = str(invitee.booking.uid)
    assert copies == [("copy", uid, "team-support")]
    booking_cancel(booking=invitee.booking, now=now)
    run_due(now)
    assert copies == [("copy", uid, "team-support"), ("remove", uid, f"evt-{invitee.booking.pk}")]
    run = RuleRun.objects.get()
    assert (run.status, run.undone_at) == ("undone", now)


def test_a_cancel_before_the_action_ran_skips_it(org_hosts, now):
    org, ann, bob = org_hosts
    rule_create(organization=org, name="Copy", trigger="booking.created", action="test.copy", params={"calendar": "c"})
    invitee = book(f.event_type(ann), now)
    booking_cancel(booking=invitee.booking, now=now)
    run_due(now)
    assert copies == []
    assert RuleRun.objects.get().status == "skipped"


def test_a_reschedule_undoes_the_old_copy_and_makes_a_new_one(org_hosts, receiver, now):
    org, ann, bob = org_hosts
    rule_create(organization=org, name="Copy", trigger="booking.created", action="test.copy", params={"calendar": "c"})
    rule_create(
        organization=org, name="Tell", trigger="booking.rescheduled", action="webhook", params={"url": receiver.url}
    )
    first = book(f.event_type(ann), now)
    run_due(now)
    moved = booking_reschedule(invitee=first, new_start=NINE + timedelta(days=1), now=now)
    run_due(now)
    old_uid, new_uid = str(first.booking.uid), str(moved.booking.uid)
    assert copies == [("copy", old_uid, "c"), ("copy", new_uid, "c"), ("remove", old_uid, f"evt-{first.booking.pk}")]
    assert [p[1]["event"] for p in receiver.posts] == ["booking.rescheduled"]
    assert receiver.posts[0][1]["booking"]["start"] == "2026-03-04T09:00:00Z"


@pytest.mark.parametrize(
    "flt, matches",
    [
        ({"field": "host", "op": "equals", "value": "ANN"}, True),
        ({"field": "host", "op": "equals", "value": "bob"}, False),
        ({"field": "host", "value": "ann@example.com"}, True),
        ({"field": "answer", "key": "product", "value": "runner"}, True),
        ({"field": "answer", "key": "product", "op": "equals", "value": "runner"}, False),
        ({"field": "answer", "key": "other", "value": "runner"}, False),
        ({"field": "invitee_email", "value": "@example.org"}, True),
        ({"field": "team", "value": "support"}, False),
        ({"field": "title", "value": "Onboarding with Cy"}, True),
    ],
)
def test_filters(org_hosts, now, flt, matches):
    org, ann, bob = org_hosts
    rule_create(
        organization=org,
        name="R",
        trigger="booking.created",
        action="test.copy",
        filters=[flt],
        params={"calendar": "c"},
    )
    et = f.event_type(ann, name="Onboarding", questions=[{"key": "product", "label": "Product", "type": "text"}])
    book(et, now, answers={"product": "GitLab Runner"})
    assert RuleRun.objects.count() == (1 if matches else 0)


def test_team_filter_matches_the_team_event(org_hosts, now):
    org, ann, bob = org_hosts
    team = f.team(org, [ann, bob], slug="support")
    et = f.event_type(team=team, name="Round robin", kind="round_robin")
    f.pool(et, [ann, bob])
    rule_create(
        organization=org,
        name="R",
        trigger="booking.created",
        action="test.copy",
        filters=[{"field": "team", "op": "equals", "value": "support"}],
        params={"calendar": "c"},
    )
    book(et, now)
    assert RuleRun.objects.count() == 1


def test_a_failing_webhook_is_retried_then_logged_as_failed(org_hosts, receiver, now):
    org, ann, bob = org_hosts
    receiver.status = 500
    rule_create(
        organization=org, name="Hook", trigger="booking.created", action="webhook", params={"url": receiver.url}
    )
    book(f.event_type(ann), now)
    run_due(now)
    run = RuleRun.objects.get()
    assert run.status == "pending"
    assert run.error == f"RuntimeError: {receiver.url} answered 500; will retry"
    job = Job.objects.get(kind="automation.run")
    assert (job.status, job.attempts, job.due_at) == ("pending", 1, now + timedelta(seconds=30))
    Job.objects.filter(pk=job.pk).update(max_attempts=2)
    run_due(job.due_at)
    run.refresh_from_db()
    assert run.status == "failed"
    assert Job.objects.get(pk=job.pk).status == "failed"
    assert len(receiver.posts) == 2


def test_the_email_action_sends_through_smtp(org_hosts, smtp, now):
    org, ann, bob = org_hosts
    rule_create(
        organization=org,
        name="Tell support lead",
        trigger="booking.created",
        action="email",
        params={
            "to": "lead@example.com",
            "subject": "New {{ booking.event_type.name }}",
            "text": "{{ booking.invitees.0.name }} at {{ booking.start }}",
        },
    )
    book(f.event_type(ann, name="Support"), now)
    run_due(now)
    (mail,) = smtp.to("lead@example.com")
    assert str(mail["Subject"]).strip() == "New Support"
    assert mail.get_body(("plain",)).get_content().strip() == "Cy at 2026-03-03T09:00:00Z"


def test_canceled_trigger_fires_on_cancel(org_hosts, receiver, now):
    org, ann, bob = org_hosts
    rule_create(
        organization=org, name="Tell", trigger="booking.canceled", action="webhook", params={"url": receiver.url}
    )
    invitee = book(f.event_type(ann), now)
    run_due(now)
    assert receiver.posts == []
    booking_cancel(booking=invitee.booking, now=now, reason="conflict")
    run_due(now)
    assert [(p[1]["event"], p[1]["booking"]["status"]) for p in receiver.posts] == [("booking.canceled", "canceled")]


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"name": " "}, "Give the rule a name"),
        (
            {"trigger": "booking.deleted"},
            "'booking.deleted' is not something a rule can run on; choose one of: A booking is made",
        ),
        ({"action": "fax"}, "'fax' is not something a rule can do"),
        ({"filters": [{"field": "colour", "value": "x"}]}, "Condition 1: choose what to look at"),
        ({"filters": [{"field": "host", "op": "regex", "value": "x"}]}, "Condition 1: choose \u201ccontains\u201d or"),
        ({"filters": [{"field": "answer", "value": "x"}]}, "Condition 1: name the question"),
        ({"action": "webhook", "params": {"url": "ftp://example.com/x"}}, "Give the http"),
        ({"action": "email", "params": {"to": "not-an-address"}}, "'not-an-address' is not an email address"),
    ],
)
def test_rules_are_validated_with_messages_that_say_what_to_fix(org_hosts, kw, message):
    org, ann, bob = org_hosts
    args = {"organization": org, "name": "R", "trigger": "booking.created", "action": "test.copy", **kw}
    with pytest.raises(InvalidInput, match=message):
        rule_create(**args)
    assert Rule.objects.count() == 0


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "http://[fd00::1]/"])
def test_rule_webhook_urls_into_the_servers_network_are_refused_when_created(url, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with pytest.raises(InvalidInput) as refused:
        rule_create(organization=f.org(), name="Leak", trigger="booking.created", action="webhook", params={"url": url})
    assert refused.value.field == "params.url"
    assert (
        refused.value.message.startswith("Rule webhook URL: ")
        and "Slotwise connects only to public" in refused.value.message
    )
    assert Rule.objects.count() == 0


def test_rule_webhook_to_loopback_in_production_sends_nothing_and_logs_why(settings, now):
    hits = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        org = f.org()
        host = f.host(org, "h")
        rule_create(
            organization=org,
            name="Hook",
            trigger="booking.created",
            action="webhook",
            params={"url": f"http://127.0.0.1:{server.server_port}/in"},
        )
        settings.OUTBOUND_ALLOW_LOOPBACK = False
        booking_create(
            event_type=f.event_type(host),
            start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
            now=now,
            invitee=InviteeInput(name="Cy", email="cy@example.org", timezone="UTC"),
        )
        run_due(now)
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    (run,) = RuleRun.objects.all()
    assert "Rule webhook: 127.0.0.1 is a loopback address" in run.error
