"""The seed's single-use-link call, exactly as written, with real curl against a live server."""

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.api.tokens import token_create
from slotwise.bookings.models import SingleUseLink
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import LinkUsed
from tests import factories


def curl(*args):
    out = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "20", *args], capture_output=True, text=True, check=True
    )
    return out.stdout


def _next_monday_9(now):
    days = (7 - now.weekday()) % 7 or 7
    return (now + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.mark.django_db(transaction=True)
def test_extension_single_use_link_with_x_token_via_curl(live_server, settings):
    settings.BASE_URL = live_server.url
    org = factories.org("support")
    host = factories.host(org, "engineer", email="eng@support.test")
    et = factories.event_type(host, slug="call", name="Support call")
    _, secret = token_create(membership=host, scope="write", now=datetime.now(UTC))

    out = curl(
        "--header",
        f"X-TOKEN: {secret}",
        "--data",
        f"event_type_uuid={et.uuid}",
        f"{live_server.url}/api/apps/extension/v1/users/me/event_type_single_use_links",
    )
    url = json.loads(out)["booking_url"]
    link = SingleUseLink.objects.get()
    assert url == f"{live_server.url}/d/{link.token}/"
    assert (link.max_event_count, link.uses, link.event_type_id) == (1, 0, et.pk)

    assert curl("--output", "/dev/null", "--write-out", "%{http_code}", url) == "200"
    now = datetime.now(UTC)
    start = _next_monday_9(now)
    booking_create(
        event_type=et,
        start=start,
        now=now,
        single_use_token=link.token,
        invitee=InviteeInput(name="Customer", email="c@example.com", timezone="UTC"),
    )
    with pytest.raises(LinkUsed):
        booking_create(
            event_type=et,
            start=start + timedelta(hours=1),
            now=now,
            single_use_token=link.token,
            invitee=InviteeInput(name="Again", email="again@example.com", timezone="UTC"),
        )
    assert curl("--output", "/dev/null", "--write-out", "%{http_code}", url) == "410"


@pytest.mark.django_db(transaction=True)
def test_extension_call_refuses_bad_tokens_and_other_orgs_event_types(live_server):
    org = factories.org("support")
    host = factories.host(org, "engineer")
    other = factories.event_type(factories.host(factories.org("other"), "x"))
    _, secret = token_create(membership=host, scope="write", now=datetime.now(UTC))
    url = f"{live_server.url}/api/apps/extension/v1/users/me/event_type_single_use_links"
    status = curl(
        "--output",
        "/dev/null",
        "--write-out",
        "%{http_code}",
        "--header",
        "X-TOKEN: nope",
        "--data",
        f"event_type_uuid={other.uuid}",
        url,
    )
    assert status == "401"
    body = curl("--header", f"X-TOKEN: {secret}", "--data", f"event_type_uuid={other.uuid}", url)
    assert json.loads(body)["title"] == "Resource Not Found"
    assert SingleUseLink.objects.count() == 0
