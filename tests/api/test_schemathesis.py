"""Schemathesis against the served OpenAPI: every check, the stateful phase on, no failure allowed."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slotwise.api.tokens import token_create
from slotwise.bookings.services import InviteeInput, booking_create
from tests import factories

HERE = Path(__file__).parent


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_failures(live_server, settings, tmp_path):
    settings.BASE_URL = live_server.url  # uris and Location headers point at the server under test
    settings.SLOTWISE_API_RATE_LIMIT = 10**9
    now = datetime.now(UTC)
    org = factories.org("acme")
    owner = factories.host(org, "alice", role="owner")
    factories.host(org, "bob")
    et = factories.event_type(owner, slug="intro", name="Intro call")
    monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(hour=9, minute=0, second=0, microsecond=0)
    for i in range(3):
        booking_create(event_type=et, start=monday + timedelta(hours=i), now=now,
                       invitee=InviteeInput(name=f"P{i}", email=f"p{i}@example.com", timezone="UTC"))
    _, secret = token_create(membership=owner, scope="write", now=now)

    report = tmp_path / "junit.xml"
    cmd = [
        sys.executable, str(HERE / "st_runner.py"), "--config-file", str(HERE / "schemathesis.toml"),
        "run", f"{live_server.url}/api/v2/openapi.json",
        "--header", f"Authorization: Bearer {secret}",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", os.environ.get("SLOTWISE_SCHEMATHESIS_EXAMPLES", "10"),
        "--workers", "1",
        "--request-timeout", "30",
        "--seed", "20261122",
        "--report", "junit", "--report-junit-path", str(report),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Stateful" in output and "API Links" in output, output[-3000:]
    assert "failures" not in output.splitlines()[-1], output[-3000:]
