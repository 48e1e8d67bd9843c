"""The public pages fuzzed as schemathesis fuzzes the API: path segments, query strings and form bodies
with NUL, percent-encoded surrogates, huge numbers, year-9999 dates, long strings and odd Unicode. Whatever
comes in, no page answers 5xx (SQLite here; PostgreSQL, where NUL behaves differently, in its pass)."""

from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories

pytestmark = pytest.mark.django_db

ODD = [
    "%00",
    "%ED%A0%80",
    "%ED%BF%BF",
    "%C0%80",
    "%FF",
    "\u202e",
    "\U0001f600",
    "\ufeff",
    "a%0D%0Ab",
    "%85",
    "9" * 40,
    "-1",
    "0",
    "1e309",
    "NaN",
    "9999-12-31",
    "9999-12",
    "0001-01",
    "0000-00-00",
    "9999-12-31T23:59:00Z",
    "2026-02-30",
    "2026-03-03T09:00:00+99:99",
    "x" * 5000,
    "../..",
    "%2F",
    "",
    " ",
    "Europe/Berlin",
    "null",
]
QUERY_KEYS = [
    "month",
    "date",
    "start",
    "tz",
    "clock",
    "host",
    "duration",
    "embed",
    "name",
    "email",
    "q_company",
    "reason",
    "browser_tz",
    "confirmed",
    "\x00",
    "x",
]

segment = st.one_of(st.sampled_from(ODD), st.text(max_size=30).map(lambda s: quote(s, safe="")))
value = st.one_of(st.sampled_from(ODD), st.text(max_size=50), st.integers().map(str))
DATES = st.one_of(
    st.sampled_from(["9999-12", "0001-01", "9999-12-31", "9999-12-31T23:59:00Z", "0001-01-01T00:00:00Z"]),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.integers(0, 99999).map(lambda y: f"{y}-12"),
)
query = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(QUERY_KEYS), value), st.tuples(st.sampled_from(["month", "date", "start"]), DATES)
    ),
    max_size=5,
)


def _encode(pairs) -> str:
    # Some ODD values are already percent-encoded (surrogates cannot be encoded from a str): keep them raw.
    return "&".join(f"{quote(k, safe='')}={v if '%' in v else quote(v, safe='')}" for k, v in pairs)


@pytest.fixture
def site(acme, frozen):
    from datetime import UTC, datetime

    from slotwise.bookings.links import link_create
    from slotwise.bookings.services import InviteeInput, booking_create

    intro = acme["intro"]
    intro.questions = [{"key": "company", "label": "Company", "type": "text", "required": False, "options": []}]
    intro.save()
    team = factories.team(acme["org"], [acme["ana"]], slug="sales")
    factories.event_type(team=team, slug="demo", name="Team demo", kind="collective")
    link = link_create(event_type=intro, created_by=acme["ana"], now=frozen)
    invitee = booking_create(
        event_type=intro,
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="Europe/Berlin"),
    )
    return {"team": team, "invitee": invitee, "link": link}


def _templates(site):
    inv = site["invitee"]
    return [
        "/{s}/",
        "/acme/{s}/",
        "/acme/team/sales/demo/",
        f"/d/{site['link'].token}/",
        "/acme/ana/{s}/",
        "/acme/ana/intro/",
        "/acme/team/{s}/{s}/",
        "/d/{s}/",
        f"/cancel/{inv.cancel_token}/",
        "/cancel/{s}/",
        f"/reschedule/{inv.reschedule_token}/",
        "/reschedule/{s}/",
        f"/booked/{inv.uid}/",
        "/booked/{s}/",
        "/booked/{s}/event.ics",
        "/feeds/{s}.ics",
    ]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_no_public_page_answers_5xx_to_odd_input(site, data):
    client = Client(raise_request_exception=False)
    pages = _templates(site)
    booking = [p for p in pages if "{s}" not in p]
    template = data.draw(st.one_of(st.sampled_from(pages), st.sampled_from(booking)), label="page")
    path = template.replace("{s}", data.draw(segment, label="segment"))
    qs = _encode(data.draw(query, label="query"))
    url = f"{path}?{qs}" if qs else path
    method = data.draw(st.sampled_from(["GET", "GET", "HX", "POST"]), label="method")
    if method == "POST":
        body = _encode(data.draw(query, label="form"))
        resp = client.post(url, body, content_type="application/x-www-form-urlencoded")
    elif method == "HX":
        resp = client.get(url, HTTP_HX_REQUEST="true")
    else:
        resp = client.get(url)
    assert resp.status_code < 500, f"{method} {url} -> {resp.status_code}"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    fields=st.fixed_dictionaries(
        {
            "name": value,
            "email": value,
            "q_company": value,
            "start": value,
            "tz": value,
            "confirmed": st.sampled_from(["1", "0"]),
        }
    )
)
def test_the_booking_post_never_answers_5xx(site, fields):
    client = Client(raise_request_exception=False)
    body = urlencode(fields)
    resp = client.post("/acme/ana/intro/", body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code < 500, f"POST {body[:300]} -> {resp.status_code}"
