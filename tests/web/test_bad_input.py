"""Bad input to the public pages is a 4xx page that says what is wrong, never a 500, on SQLite and on
PostgreSQL (which cannot store NUL: before, the query itself failed)."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create

pytestmark = pytest.mark.django_db


def form(**over):
    data = {
        "start": "2026-03-03T09:00:00Z",
        "tz": "Europe/Berlin",
        "name": "Bo Li",
        "email": "bo@example.com",
        "browser_tz": "Europe/Berlin",
    }
    data.update(over)
    return data


@pytest.fixture
def company_question(acme):
    intro = acme["intro"]
    intro.questions = [{"key": "company", "label": "Company", "type": "text", "required": False, "options": []}]
    intro.save()
    return intro


def test_nul_byte_in_a_booking_form_answer_is_400_beside_the_field(client, acme, frozen, company_question):
    for bad in ("Ini\x00tech", "Ini\x07tech", "Ini\x9btech"):
        resp = client.post("/acme/ana/intro/", form(q_company=bad))
        assert resp.status_code == 400, bad
        html = resp.content.decode()
        assert "The answer to &#x27;Company&#x27; must not contain" in html
    assert not Booking.objects.exists()
    ok = client.post("/acme/ana/intro/", form(q_company="Initech\nLondon office"))  # multi-line is fine
    assert ok.status_code == 302


def test_line_breaks_in_the_invitee_name_are_refused_because_names_go_into_email_headers(client, acme, frozen):
    for bad in ("Bo\r\nBcc: all@example.com", "Bo\nLi", "Bo\u2028Li", "Bo\x00Li"):
        resp = client.post("/acme/ana/intro/", form(name=bad))
        assert resp.status_code == 400, bad
        assert 'id="name-error">Name must not contain' in resp.content.decode()
    resp = client.post("/acme/ana/intro/", form(email="bo@example.com\r\nBcc: x@example.com"))
    assert resp.status_code == 400 and 'id="email-error">Email must not contain line breaks' in resp.content.decode()
    assert not Booking.objects.exists()


def test_nul_in_a_cancel_reason_is_400_and_the_booking_stays(client, acme, frozen):
    invitee = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="Asia/Tokyo"),
    )
    resp = client.post(f"/cancel/{invitee.cancel_token}/", {"reason": "Ill\x00"})
    assert resp.status_code == 400 and "Reason must not contain a NUL character" in resp.content.decode()
    assert Booking.objects.get().status == Booking.Status.CONFIRMED


@pytest.mark.parametrize(
    "url",
    [
        "/cancel/%00/",
        "/reschedule/%00/",
        "/d/%00/",
        "/booked/%00/",
        "/booked/%00/event.ics",
        "/feeds/%00.ics",
        "/acme/%00/",
        "/acme/ana/%00/",
        "/acme/team/%00/intro/",
        "/cancel/a%0Db/",
        "/feeds/x%01y.ics",
    ],
)
def test_nul_and_control_characters_in_url_path_parameters_are_400_not_500(client, acme, frozen, url):
    resp = client.get(url)
    assert resp.status_code in (400, 404), resp.status_code
    if resp.status_code == 400:
        assert "The address" in resp.content.decode() and "must not contain" in resp.content.decode()


def test_nul_in_a_query_string_is_400_naming_the_parameter(client, acme, frozen):
    resp = client.get("/acme/ana/intro/?tz=Europe/Berlin%00")
    assert resp.status_code == 400 and "Query parameter tz must not contain a NUL character" in resp.content.decode()
    resp = client.get("/api/v2/users/me?x=%00")
    assert resp.status_code == 400 and resp.json()["details"][0]["parameter"] == "x"


def test_a_valid_token_with_a_nul_appended_is_refused_not_matched(client, acme, frozen):
    invitee = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="Asia/Tokyo"),
    )
    assert client.get(f"/cancel/{invitee.cancel_token}/").status_code == 200
    assert client.get(f"/cancel/{invitee.cancel_token}%00/").status_code == 400
