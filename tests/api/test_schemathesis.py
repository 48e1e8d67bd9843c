"""Schemathesis against the served OpenAPI: every check, the stateful phase on, no failure allowed."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client

from slotwise.api.tokens import token_create
from slotwise.bookings.services import InviteeInput, booking_create
from tests import factories

HERE = Path(__file__).parent


def _config(base, tmp_path, *, org, owner, et) -> Path:
    """The checked-in settings, plus this run's real ids: generated requests use them half of the time, so
    operations reach their 200 paths (and response schemas get checked) instead of mostly 404s."""
    from slotwise.bookings.models import Booking, Invitee

    api = f"{base}/api/v2"
    booking = Booking.objects.filter(event_type=et).first()
    invitee = Invitee.objects.filter(booking=booking).first()
    dictionaries = {
        "users": [str(owner.user.uuid)],
        "orgs": [str(org.uuid)],
        "memberships": [str(owner.uuid)],
        "event_types": [str(et.uuid)],
        "events": [str(booking.uid)],
        "invitees": [str(invitee.uid)],
        "schedules": [str(owner.schedules.get().uuid)],
        "user_uris": [f"{api}/users/{owner.user.uuid}"],
        "org_uris": [f"{api}/organizations/{org.uuid}"],
        "event_type_uris": [f"{api}/event_types/{et.uuid}"],
    }
    lines = [
        (HERE / "schemathesis.toml").read_text(),
        "[parameters]",
        '"query.user" = { dictionary = "user_uris", probability = 0.5 }',
        '"query.organization" = { dictionary = "org_uris", probability = 0.5 }',
        '"query.event_type" = { dictionary = "event_type_uris", probability = 0.5 }',
        "",
    ]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {values!r}".replace("'", '"'), ""]
    path_ids = {
        "/api/v2/users/{uuid}": "users",
        "/api/v2/organizations/{uuid}": "orgs",
        "/api/v2/organization_memberships/{uuid}": "memberships",
        "/api/v2/event_types/{uuid}": "event_types",
        "/api/v2/scheduled_events/{uuid}": "events",
        "/api/v2/scheduled_events/{uuid}/invitees": "events",
        "/api/v2/scheduled_events/{uuid}/cancellation": "events",
        "/api/v2/user_availability_schedules/{uuid}": "schedules",
    }
    for path, name in path_ids.items():
        lines += [
            "[[operations]]",
            f'include-path = "{path}"',
            f'parameters = {{ "path.uuid" = {{ dictionary = "{name}", probability = 0.5 }} }}',
            "",
        ]
    lines += [
        "[[operations]]",
        'include-path = "/api/v2/scheduled_events/{uuid}/invitees/{invitee_uuid}"',
        'parameters = { "path.uuid" = { dictionary = "events", probability = 0.7 }, '
        '"path.invitee_uuid" = { dictionary = "invitees", probability = 0.7 } }',
        "",
    ]
    config = tmp_path / "schemathesis.toml"
    config.write_text("\n".join(lines))
    return config


# One run per phase group, so pytest-xdist can run them side by side; together they are the same run as
# `--phases examples,coverage,fuzzing,stateful` with the same seed and example count.
PHASES = ["examples,coverage", "fuzzing,stateful"]  # stateful follows links inferred while fuzzing


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phases", PHASES)
def test_schemathesis_finds_no_failures(live_server, settings, tmp_path, phases):
    settings.BASE_URL = live_server.url  # uris and Location headers point at the server under test
    settings.SLOTWISE_API_RATE_LIMIT = 10**9
    now = datetime.now(UTC)
    org = factories.org("acme")
    owner = factories.host(org, "alice", role="owner")
    factories.host(org, "bob")
    et = factories.event_type(owner, slug="intro", name="Intro call")
    monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(hour=9, minute=0, second=0, microsecond=0)
    for i in range(3):
        booking_create(
            event_type=et,
            start=monday + timedelta(hours=i),
            now=now,
            invitee=InviteeInput(name=f"P{i}", email=f"p{i}@example.com", timezone="UTC"),
        )
    _, secret = token_create(membership=owner, scope="write", now=now)
    config = _config(live_server.url, tmp_path, org=org, owner=owner, et=et)

    # Build the document once before schemathesis asks for it (its schema load gives up after 10 s, which a
    # machine busy with the other test pass can exceed); the live server shares this process's cache.
    assert Client().get("/api/v2/openapi.json").status_code == 200
    report = tmp_path / "junit.xml"
    cmd = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/v2/openapi.json",
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        "all",
        "--phases",
        phases,
        "--max-examples",
        os.environ.get("SLOTWISE_SCHEMATHESIS_EXAMPLES", "10"),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--seed",
        os.environ.get("SLOTWISE_SCHEMATHESIS_SEED", "20261122"),
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    if "stateful" in phases:
        assert "Stateful" in output and "API Links" in output, output[-3000:]
    assert "failures" not in output.splitlines()[-1], output[-3000:]
