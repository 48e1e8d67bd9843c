"""Every dashboard page (each URL pattern under /dashboard/, read from the resolver, its parameters filled
from one seeded organization) renders inside the dashboard layout: the Dashboard navigation landmark and
the account bar. And no message a host sees names an internal field (`weekly.sat[0][0]`,
`duration_minutes`, `field: ...`): not on the page, and not after submitting each of its forms empty and
with invalid values. A new dashboard URL with a parameter this file cannot fill fails until it can."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from slotwise.accounts.services import invitation_create
from slotwise.api.tokens import token_create
from slotwise.automation.services import rule_create
from slotwise.bookings.models import SingleUseLink
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.calendars.models import CalendarConnection
from slotwise.contacts.models import Contact
from slotwise.core.clock import utc_now
from slotwise.imports.models import Connection
from slotwise.jobs.models import Job
from slotwise.notifications.services import reminder_create
from slotwise.scheduling.models import EventType
from slotwise.scheduling.services import pool_request_create
from slotwise.webhooks.models import WebhookSubscription
from tests import factories

pytestmark = pytest.mark.django_db


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name


ROUTES = sorted({route for route, _ in _routes(get_resolver().url_patterns) if route.startswith("dashboard/")})

# Words hosts never see: a field path, an internal field name, a "name: " prefix on a message.
FIELD_PATH = re.compile(r"\w+\.\w+\[\d+\]")
INTERNAL_NAMES = re.compile(
    r"\b(duration_minutes|duration_options|increment_minutes|buffer_(before|after)_minutes|min_notice_minutes|"
    r"weekly_daylight|daylight_weekly|offset_minutes|event_type_id|callback_url|canceled_by|organization_name)\b"
)
FIELD_PREFIX = re.compile(r"^\s*[a-z_]+(\.[\w\[\]]+)*: ")


@pytest.fixture
def world(db):
    now = utc_now()  # the pages read the real clock: the booking is one to two weeks ahead of today
    org = factories.org("acme", name="Acme")
    ana = factories.host(org, "ana", role="owner", email="ana@acme.test")
    ben = factories.host(org, "ben", email="ben@acme.test")
    eve = factories.host(org, "eve", email="eve@acme.test")
    team = factories.team(org, [ana, ben, eve], slug="support")
    intro = factories.event_type(ana, slug="intro", name="Intro", duration_minutes=30)
    call = factories.event_type(team=team, slug="call", name="Support Call", kind=EventType.Kind.ROUND_ROBIN)
    factories.pool(call, [ana, ben])
    wednesday = (now + timedelta(days=7 + (2 - now.weekday()) % 7)).replace(hour=10, minute=0, second=0, microsecond=0)
    invitee = booking_create(
        event_type=intro,
        start=wednesday,
        now=now,
        invitee=InviteeInput(name="Bo Li", email="bo@example.com", timezone="Europe/Berlin", answers={}),
    )
    link = SingleUseLink.objects.create(event_type=intro, created_by=ana)
    invitation = invitation_create(organization=org, email="new@acme.test", role="member", invited_by=ana, now=now)
    request = pool_request_create(
        membership=eve, event_type=call, timezone="UTC", weekly={"mon": ["09:00-12:00"]}, now=now
    )
    rule = rule_create(
        organization=org,
        name="Support copy",
        trigger="booking.created",
        action="email",
        filters=[{"field": "event_type", "value": "support"}],
        params={"to": "lead@acme.test"},
    )
    reminder = reminder_create(organization=org, event_type=intro, offset_minutes=60)
    sub = WebhookSubscription.objects.create(
        organization=org,
        creator=ana,
        scope="organization",
        callback_url="https://hooks.example.com/h",
        events=["invitee.created"],
    )
    token, _ = token_create(membership=ana, scope="read", now=now)
    calendar = CalendarConnection.objects.create(organization=org, membership=ana, kind="caldav")
    imported = Connection.objects.create(organization=org, membership=ana, state=Connection.State.ACTIVE)
    job = Job.objects.create(kind="notify.invitee", payload={}, status=Job.Status.FAILED, organization_id=org.pk)
    params = {
        "pk": {
            "event-types": intro.pk,
            "calendars": calendar.pk,
            "rules": rule.pk,
            "contacts": Contact.objects.get().pk,
            "members": ben.pk,
        },
        "event_type_id": intro.pk,
        "reminder_id": reminder.pk,
        "job_id": job.pk,
        "team": team.pk,
        "prefix": token.prefix,
        "uid": {"bookings": invitee.booking.uid, "invitees": invitee.uid},
        "uuid": {
            "webhooks": sub.uuid,
            "links": link.uuid,
            "connections": imported.uuid,
            "invitations": invitation.uuid,
            "pool-requests": request.uuid,
        },
    }
    # Team events' pages: the pool, and the request to join it (eve is not in that pool: the form itself).
    team_pages = {
        f"/dashboard/event-types/{intro.pk}/{p}/": f"/dashboard/event-types/{call.pk}/{p}/" for p in ("pool", "join")
    }
    return {"ana": ana, "params": params, "team_pages": team_pages}


def _url(route: str, world) -> str:
    section = route.split("/")[1]
    path = route
    for conv, name in re.findall(r"<(\w+):(\w+)>", route):
        value = world["params"].get(name)
        if isinstance(value, dict):
            value = value.get(section)
        assert value is not None, f"{route}: add a value for <{conv}:{name}> to this test's world"
        path = path.replace(f"<{conv}:{name}>", str(value))
    return world["team_pages"].get("/" + path, "/" + path)


class Page(HTMLParser):
    """The visible text, the text of messages (banners, errors, alerts), the landmarks, and the POST forms."""

    HIDDEN = {"script", "style", "textarea", "pre", "code", "template"}
    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area", "base", "embed", "track"}

    def __init__(self, html: str):
        super().__init__()
        self.text: list[str] = []
        self.messages: list[str] = []
        self.navs: list[str] = []
        self.forms: list[dict] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, hidden, message)
        self._message: list[str] | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "nav":
            self.navs.append(a.get("aria-label") or "")
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.forms.append({"action": a.get("action") or "", "fields": []})
        if self.forms and tag in ("input", "select", "textarea") and a.get("name"):
            self.forms[-1]["fields"].append((tag, a.get("type") or "", a["name"], a.get("value") or ""))
        if tag in self.VOID:
            return
        hidden = tag in self.HIDDEN or (self._stack and self._stack[-1][1]) or "hidden" in a
        message = bool({"error", "banner"} & set(classes)) or a.get("role") in ("alert", "status")
        if message and self._message is None:
            self._message = []
        self._stack.append((tag, bool(hidden), message))

    def handle_endtag(self, tag):
        while self._stack:
            t, _, message = self._stack.pop()
            if message and self._message is not None and not any(m for _, _, m in self._stack):
                self.messages.append(" ".join("".join(self._message).split()))
                self._message = None
            if t == tag:
                break

    def handle_data(self, data):
        if self._stack and self._stack[-1][1]:
            return
        self.text.append(data)
        if self._message is not None:
            self._message.append(data)


INVALID = {"number": "-99999", "email": "not-an-address", "checkbox": "on", "date": "2026-13-45", "time": "25:99"}


def _submissions(form: dict) -> list[dict]:
    kept = {n: v for tag, kind, n, v in form["fields"] if kind == "hidden" and n != "csrfmiddlewaretoken"}
    invalid = dict(kept)
    for tag, kind, name, _ in form["fields"]:
        if kind in ("hidden", "submit", "button") or name == "csrfmiddlewaretoken":
            continue
        invalid[name] = INVALID.get(kind, "25:00-26:00 zz" if tag != "select" else "zz")
    return [kept, invalid]


def _problems(where: str, html: str) -> list[str]:
    page = Page(html)
    found = []
    text = " ".join(" ".join(page.text).split())
    for pattern in (FIELD_PATH, INTERNAL_NAMES):
        found += [f"{where}: {m.group(0)!r} in the page" for m in pattern.finditer(text)]
    found += [f"{where}: message {m!r}" for m in page.messages if FIELD_PREFIX.search(m)]
    return found


def _in_layout(where: str, resp) -> list[str]:
    if "text/html" not in resp.get("Content-Type", "") or b"<html" not in resp.content:
        return []  # not a page: an htmx fragment or a file
    page = Page(resp.content.decode())
    missing = [n for n in ("Dashboard", "Account") if n not in page.navs]
    return [f"{where}: no {n} navigation landmark" for n in missing]


def _follow(client, resp, limit=5):
    while resp.status_code in (301, 302, 303) and resp["Location"].startswith("/") and limit:
        resp, limit = client.get(resp["Location"]), limit - 1
    return resp


@pytest.mark.parametrize("route", ROUTES)
def test_every_dashboard_page_is_in_the_layout_and_speaks_in_words(route, world, settings):
    settings.BASE_URL = "http://testserver"
    client = Client()
    client.force_login(world["ana"].user)
    url = _url(route, world)
    resp = client.get(url)
    assert resp.status_code < 500, f"{url}: {resp.status_code}"
    problems = []
    if resp.status_code == 200:
        problems += _in_layout(url, resp) + _problems(url, resp.content.decode())
        forms = Page(resp.content.decode()).forms
    else:  # POST-only actions; connects that leave for a provider; their callbacks without the provider's answer
        assert resp.status_code in (302, 400, 403, 405), f"{url}: {resp.status_code}"
        if "text/html" in resp.get("Content-Type", ""):
            problems += _problems(url, resp.content.decode())
        forms = [{"action": url, "fields": []}] if resp.status_code == 405 else []
    for form in forms:
        action = form["action"] or url
        if not action.startswith("/dashboard/") or action == "/dashboard/switch/":
            continue
        for data in _submissions(form):
            after = _follow(client, client.post(action, data))
            where = f"{url} -> POST {action} {sorted(data)}"
            assert after.status_code < 500, f"{where}: {after.status_code}"
            if after.status_code in (200, 400, 409) and "text/html" in after.get("Content-Type", ""):
                problems += _problems(where, after.content.decode())
                if after.status_code == 200:
                    problems += _in_layout(where, after)
    assert problems == [], "\n".join(problems)


def test_the_checks_see_a_field_path_and_a_prefixed_message():
    bad = '<nav aria-label="Dashboard"></nav><div class="banner error">weekly: Monday 25:00 is not a time</div>'
    assert _problems("x", bad) == ["x: message 'weekly: Monday 25:00 is not a time'"]
    assert _problems("x", "<p>Check weekly.sat[0][0]</p>") == ["x: 'weekly.sat[0]' in the page"]
    assert _problems("x", "<textarea>weekly.sat[0][0]</textarea><p>Saturday 25:00 is not a time of day</p>") == []
