"""Every URL we hand out lands somewhere: the ones in API responses, in emails (text, html, attachments) and
in calendar objects (.ics downloads, feeds, write-back copies on a real CalDAV server).

Nothing here lists the URLs: the test collects every URL-looking string from what Slotwise emitted at each
step, maps the ones on our BASE_URL (or the request's host) to paths and follows them, so a URL added later
is covered without touching this file. A link is checked right after it is sent, in the state its reader
finds: a reschedule link sent before a cancel is not expected to work after it.
"""

import email
import html
import json
import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.test import Client

from slotwise.api.tokens import token_create
from slotwise.bookings.models import Invitee
from slotwise.bookings.services import booking_cancel
from slotwise.calendars.feeds import feed_for, feed_url
from slotwise.calendars.services import calendars_choose, connection_add_caldav
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import AvailabilitySchedule
from tests import factories
from tests.calendars.conftest import Dav, radicale_server  # noqa: F401 - the real CalDAV server fixture

pytestmark = pytest.mark.django_db

URL = re.compile(r"https?://[^\s\"'<>\\]+")
ALL_DAY = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def urls_in_text(text: str) -> set[str]:
    return {u.rstrip(".,);:]") for u in URL.findall(html.unescape(text))}


def urls_in_json(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(urls_in_json(v) for v in value.values()), set())
    if isinstance(value, list):
        return set().union(*(urls_in_json(v) for v in value), set())
    return urls_in_text(value) if isinstance(value, str) else set()


def urls_in_ical(raw: bytes | str) -> set[str]:
    """Property values, unfolded and unescaped by the parser (a folded line would cut a URL in two)."""
    found = set()
    for cal in icalendar.Calendar.from_ical(raw, multiple=True):
        for component in cal.walk():
            for _name, value in component.property_items(recursive=False):
                found |= urls_in_text(str(value))
                found |= set().union(*(urls_in_text(str(v)) for v in getattr(value, "params", {}).values()), set())
    return found


def urls_in_email(msg: email.message.EmailMessage) -> set[str]:
    found = set()
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_content_type() == "text/calendar" or (part.get_filename() or "").endswith(".ics"):
            found |= urls_in_ical(payload)
        else:
            found |= urls_in_text(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    for header in ("List-Unsubscribe", "Link"):
        found |= urls_in_text(str(msg.get(header, "")))
    return found


class Emitted:
    """Collects URLs from what Slotwise emits and follows the new ones: API paths with the host's token,
    dashboard paths logged in (and anonymously: a redirect to the login), everything else anonymously."""

    def __init__(self, *, base: str, token: str, host_user):
        self.base = base
        self.ours = (base, "http://testserver")  # pagination links use the request's own host
        self.api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        self.host = Client()
        self.host.force_login(host_user)
        self.anon = Client()
        self.followed: dict[str, int] = {}
        self.foreign: set[str] = set()
        self.api_json: list = []

    def path(self, url: str) -> str | None:
        for prefix in self.ours:
            if url == prefix or url.startswith(prefix + "/") or url.startswith(prefix + "?"):
                return url[len(prefix) :] or "/"
        return None

    def api_get(self, path: str, params=None) -> dict:
        r = self.api.get(path, params or {})
        assert r.status_code == 200, (path, params, r.status_code, r.content[:300])
        body = r.json()
        self.api_json.append(body)
        return body

    def follow(self, urls: set[str], where: str) -> None:
        for url in sorted(urls):
            path = self.path(url)
            if path is None:
                self.foreign.add(url)
                continue
            if path in self.followed:
                continue
            self.followed[path] = 0
            if path.startswith("/api/"):
                r = self.api.get(path)
                if r.status_code == 200 and r["Content-Type"].startswith("application/json"):
                    self.follow(urls_in_json(r.json()), f"{where} → {path}")  # crawl the API by its own links
            elif path.startswith("/dashboard/"):
                anon = self.anon.get(path)
                assert anon.status_code == 302 and anon["Location"].startswith("/login/"), (
                    where,
                    url,
                    anon.status_code,
                )
                r = self.host.get(path, follow=True)
            else:
                r = self.anon.get(path, follow=True)
            # A redirect is fine when it stays on our site and ends on a page (e.g. /org/host -> /org/host/).
            hops = [u for u, _ in getattr(r, "redirect_chain", [])]
            assert all(h.startswith("/") or self.path(h) for h in hops), (where, url, hops)
            self.followed[path] = r.status_code
            assert r.status_code == 200, f"{url} (from {where}) answered {r.status_code}"


@pytest.fixture
def dav(radicale_server):  # noqa: F811
    return Dav(radicale_server)


def test_every_url_in_api_responses_emails_and_calendar_objects_answers(smtp, settings, dav, monkeypatch):
    for module in (
        "slotwise.api.base",
        "slotwise.web.public",
        "slotwise.web.dashboard",
        "slotwise.web.ratelimit",
        "slotwise.calendars.views",
        "slotwise.calendars.tasks",
    ):
        monkeypatch.setattr(f"{module}.utc_now", lambda: NOW, raising=False)
    settings.SLOTWISE_WEB_RATE_LIMIT = 0
    settings.REDIS_URL = ""
    org = factories.org("acme", name="Acme")
    ana = factories.host(org, "ana", tz="Europe/Berlin", email="ana@acme.test", role="owner", weekly=ALL_DAY)
    ben = factories.host(org, "ben", tz="America/New_York", email="ben@acme.test", weekly=ALL_DAY)
    intro = factories.event_type(
        ana,
        slug="intro",
        name="Intro call",
        duration_minutes=30,
        increment_minutes=60,
        location_kind="link",
        location_value="https://meet.example.org/ana",
    )
    team = factories.team(org, [ana, ben], slug="sales")
    demo = factories.event_type(
        team=team, slug="demo", name="Demo", kind="round_robin", duration_minutes=30, increment_minutes=60
    )
    factories.pool(demo, [ana, ben])
    AvailabilitySchedule.objects.filter(owner__in=[ana, ben]).update(weekly=ALL_DAY)
    dav.mkcalendar("work")
    conn = connection_add_caldav(membership=ana, url=dav.base, username=dav.user, password="pw", now=NOW)
    work = conn.calendars.get()
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=work.pk)
    _, token = token_create(membership=ana, scope="write", now=NOW)
    out = Emitted(base=settings.BASE_URL, token=token, host_user=ana.user)
    api = f"{settings.BASE_URL}/api/v2"

    def emails_since(n: int) -> int:
        run_due(NOW)
        messages = smtp.messages
        for msg in messages[n:]:
            out.follow(urls_in_email(msg), f"email {msg['Subject']!r} to {msg['To']}")
        return len(messages)

    def calendar_objects(where: str) -> None:
        for text in dav.objects(work.remote_id).values():
            out.follow(urls_in_ical(text), f"write-back copy ({where})")
        for feed in (feed_for(membership=ana), feed_for(team=team)):
            r = Client().get(out.path(feed_url(feed)))
            assert r.status_code == 200
            out.follow(urls_in_ical(r.content), f"feed ({where})")

    # 1. Book through the API, on the page, through a single-use link, and on the team page.
    me = out.api_get("/api/v2/users/me")
    out.follow(urls_in_json(me), "GET /users/me")
    listed = out.api_get(
        "/api/v2/event_type_available_times",
        {
            "event_type": f"{api}/event_types/{intro.uuid}",
            "start_time": "2026-03-03T00:00:00Z",
            "end_time": "2026-03-04T00:00:00Z",
        },
    )
    out.follow(urls_in_json(listed), "GET /event_type_available_times")
    r = out.api.post(
        "/api/v2/invitees",
        json.dumps(
            {
                "event_type": f"{api}/event_types/{intro.uuid}",
                "start_time": listed["collection"][0]["start_time"],
                "invitee": {"name": "Ada Lovelace", "email": "ada@example.org", "timezone": "Europe/London"},
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    out.follow(urls_in_json(r.json()), "POST /invitees")
    page = Client().post(
        intro.path,
        {
            "start": "2026-03-04T09:00:00Z",
            "tz": "Europe/Berlin",
            "name": "Bo Li",
            "email": "bo@example.org",
            "browser_tz": "Europe/Berlin",
        },
    )
    assert page.status_code == 302, page.content[:500]
    out.follow(urls_in_text(settings.BASE_URL + page["Location"]), "the booking page's redirect")
    link = out.api.post(
        "/api/v2/scheduling_links",
        json.dumps({"owner": f"{api}/event_types/{intro.uuid}", "owner_type": "EventType", "max_event_count": 1}),
        content_type="application/json",
    )
    assert link.status_code == 201, link.content
    out.follow(urls_in_json(link.json()), "POST /scheduling_links")
    team_page = Client().post(
        demo.path,
        {
            "start": "2026-03-05T13:00:00Z",
            "tz": "UTC",
            "name": "Cy Dee",
            "email": "cy@example.org",
            "browser_tz": "UTC",
        },
    )
    assert team_page.status_code == 302, team_page.content[:500]
    seen = emails_since(0)
    calendar_objects("after booking")

    # 2. Every list the API offers, and whatever they link to.
    user, organization = me["resource"]["uri"], me["resource"]["current_organization"]
    for path, params in [
        ("/api/v2/event_types", {"organization": organization}),
        ("/api/v2/event_types", {"user": user}),
        ("/api/v2/scheduled_events", {"organization": organization, "count": 2}),  # paginates: next_page too
        ("/api/v2/organization_memberships", {"organization": organization}),
        ("/api/v2/user_availability_schedules", {"user": user}),
        (
            "/api/v2/user_busy_times",
            {"user": user, "start_time": "2026-03-02T00:00:00Z", "end_time": "2026-03-09T00:00:00Z"},
        ),
        (
            "/api/v2/event_type_available_times",
            {
                "event_type": f"{api}/event_types/{demo.uuid}",
                "start_time": "2026-03-05T00:00:00Z",
                "end_time": "2026-03-06T00:00:00Z",
            },
        ),
        ("/api/v2/webhook_subscriptions", {"organization": organization, "scope": "organization"}),
    ]:
        out.follow(urls_in_json(out.api_get(path, params)), f"GET {path}")

    # 3. Each invitee's confirmation page and .ics download (calendar objects too).
    for inv in Invitee.objects.filter(status=Invitee.Status.ACTIVE):
        r = Client().get(f"/booked/{inv.uid}/event.ics")
        assert r.status_code == 200
        out.follow(urls_in_ical(r.content), f".ics download of {inv.email}")

    # 4. Reschedule on the page (the invitee's link), then the host cancels: the emails of each step.
    ada = Invitee.objects.get(email="ada@example.org")
    moved = Client().post(
        f"/reschedule/{ada.reschedule_token}/",
        {"start": "2026-03-06T10:00:00Z", "tz": "Europe/London", "browser_tz": "Europe/London", "reason": "Clash"},
    )
    assert moved.status_code == 302, moved.content[:500]
    seen = emails_since(seen)
    calendar_objects("after a reschedule")
    bo = Invitee.objects.get(email="bo@example.org")
    booking_cancel(booking=bo.booking, now=NOW + timedelta(minutes=5), reason="Ill", canceled_by="Ana")
    seen = emails_since(seen)
    calendar_objects("after a cancel")

    # What was covered, so that a silently empty collection cannot pass.
    kinds = {re.sub(r"/[^/]{17,}", "/…", p.split("?")[0]) for p in out.followed}  # ids, tokens, times
    assert seen >= 6, seen
    print(f"followed {len(out.followed)} URLs of {len(kinds)} kinds:", *sorted(kinds), sep="\n  ")
    for expected in (
        "/api/v2/users/…",
        "/api/v2/scheduled_events/…",
        "/cancel/…/",
        "/reschedule/…/",
        "/dashboard/bookings/…/",
        "/acme/ana/intro/…",
        "/d/…/",
    ):
        assert expected in kinds, (expected, sorted(kinds))
