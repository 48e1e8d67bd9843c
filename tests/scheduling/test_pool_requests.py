"""A member asks to host a team event with their hours (the seed's "Support Call Inclusion Request"); an
admin approves (the hours become their schedule for that event, and they join the pool) or declines."""

import re
from datetime import UTC, datetime

import pytest

from slotwise.bookings.availability import event_availability
from slotwise.core.errors import Conflict, InvalidInput, PermissionDenied
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import EventType, PoolHost, PoolJoinRequest
from slotwise.scheduling.selectors import default_schedule, host_schedule
from slotwise.scheduling.services import pool_request_create, pool_request_decide
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday; Chicago is on standard time until 8 March


@pytest.fixture
def support():
    org = factories.org("support", name="Support Co")
    lead = factories.host(org, "lead", role="owner", email="lead@support.test")
    sam = factories.host(org, "sam")
    eve = factories.host(org, "eve", email="eve@support.test", tz="America/Chicago")
    team = factories.team(org, [sam], slug="support")
    call = factories.event_type(
        team=team,
        slug="call",
        name="Support Call",
        kind=EventType.Kind.ROUND_ROBIN,
        duration_minutes=60,
        increment_minutes=60,
    )
    factories.pool(call, [sam])
    return {"org": org, "lead": lead, "sam": sam, "eve": eve, "team": team, "call": call}


def _ask(s, **kw):
    values = {
        "membership": s["eve"],
        "event_type": s["call"],
        "timezone": "America/Chicago",
        "weekly": {"mon": ["08:00-12:00"], "wed": ["13:00-17:00"]},
        "daylight": {"mon": ["07:00-11:00"]},
        "now": NOW,
    }
    return pool_request_create(**{**values, **kw})


def test_approval_makes_the_hours_her_schedule_for_that_event_only_and_adds_her_to_the_pool(support, smtp):
    s = support
    req = _ask(s, note="Ready after onboarding")
    run_due(NOW)
    (to_lead,) = smtp.to("lead@support.test")
    body = to_lead.get_body(("plain",)).get_content()
    assert to_lead["Subject"] == "Eve asks to host Support Call"
    assert "Monday: 08:00-12:00" in body and "During daylight saving time:" in body
    assert re.search(r"/dashboard/event-types/\d+/pool/", body)

    pool_request_decide(actor=s["lead"], request=req, approve=True, priority=3, weight=200, now=NOW)
    run_due(NOW)
    (to_eve,) = smtp.to("eve@support.test")
    assert to_eve["Subject"] == "You now host Support Call"
    host = PoolHost.objects.get(event_type=s["call"], membership=s["eve"])
    assert (host.priority, host.weight) == (3, 200)
    assert s["team"].members.filter(pk=s["eve"].pk).exists()
    schedule = host_schedule(s["call"], s["eve"])
    assert (schedule.timezone, schedule.weekly["mon"], schedule.weekly_daylight["mon"]) == (
        "America/Chicago",
        [["08:00", "12:00"]],
        [["07:00", "11:00"]],
    )
    assert default_schedule(s["eve"]).weekly["mon"] == [["09:00", "17:00"]]  # her own hours stay hers


def test_the_approved_hours_decide_the_times_offered_with_her_across_the_dst_change(support):
    s = support
    pool_request_decide(actor=s["lead"], request=_ask(s), approve=True, now=NOW)
    PoolHost.objects.filter(membership=s["sam"]).delete()  # only Eve hosts: her hours alone decide
    result = event_availability(
        event_type=s["call"],
        start=datetime(2026, 3, 2, tzinfo=UTC),
        end=datetime(2026, 3, 17, tzinfo=UTC),
        viewer_zone="UTC",
        now=NOW,
    )
    mondays = [(t.day, t.hour) for t in result.starts() if t.weekday() == 0]
    # Mondays 08:00-12:00 CST (14:00-18:00 UTC); from 8 March 07:00-11:00 CDT (12:00-16:00 UTC).
    assert mondays == [
        (2, 14), (2, 15), (2, 16), (2, 17),
        (9, 12), (9, 13), (9, 14), (9, 15),
        (16, 12), (16, 13), (16, 14), (16, 15),
    ]  # fmt: skip


def test_a_declined_request_tells_her_why_and_changes_nothing(support, smtp):
    s = support
    req = pool_request_decide(
        actor=s["lead"], request=_ask(s), approve=False, reason="Finish onboarding first.", now=NOW
    )
    assert req.status == PoolJoinRequest.Status.DECLINED
    run_due(NOW)
    msg = smtp.to("eve@support.test")[-1]
    assert msg["Subject"] == "Your request to host Support Call was declined"
    assert "Finish onboarding first." in msg.get_body(("plain",)).get_content()
    assert not PoolHost.objects.filter(membership=s["eve"]).exists()
    with pytest.raises(Conflict, match="already declined"):
        pool_request_decide(actor=s["lead"], request=req, approve=True, now=NOW)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"weekly": {"mon": ["25:00-26:00"]}}, "Monday"),
        ({"weekly": {}}, "Give the hours you will take these calls, such as Monday 09:00-17:00"),
        ({"timezone": "Mars/Olympus"}, "Choose your time zone from the list, such as Europe/Berlin"),
        (
            {"timezone": "Asia/Tokyo", "daylight": {"mon": ["09:00-10:00"]}},
            "Asia/Tokyo keeps no daylight saving time, so one set of hours is all it needs",
        ),
        ({"daylight": {"mon": ["10:00-09:00"]}}, "Monday (daylight time)"),
    ],
)
def test_bad_hours_are_refused_in_words_and_nothing_is_written(support, kw, message):
    with pytest.raises(InvalidInput) as exc:
        _ask(support, **kw)
    assert exc.value.message.startswith(message)
    assert not re.search(r"\w+\.\w+\[\d+\]|weekly|field: ", exc.value.message)
    assert not PoolJoinRequest.objects.exists()


def test_one_request_at_a_time_and_only_admins_decide(support):
    s = support
    req = _ask(s)
    with pytest.raises(Conflict, match="already asked to host Support Call"):
        _ask(s)
    with pytest.raises(PermissionDenied, match="Only owners and admins decide"):
        pool_request_decide(actor=s["sam"], request=req, approve=True, now=NOW)
    with pytest.raises(Conflict, match="You already host Support Call"):
        _ask(s, membership=s["sam"])
