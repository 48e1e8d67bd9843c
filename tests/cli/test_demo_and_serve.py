"""`./run start` again and again: the demo is created once and kept as the user left it, signed-in sessions
survive, a taken port is named with the fix, and printed links use the port actually served."""

import socket
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from slotwise.cli.main import _listen_address_into_env
from slotwise.cli.management.commands.serve import port_is_free
from slotwise.scheduling.models import EventType

NOW = "2026-03-02T08:00:00Z"


def _demo(*args) -> str:
    out = StringIO()
    call_command("demo", "--now", NOW, *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_second_start_keeps_what_the_user_changed_and_reset_restores_it():
    _demo()
    intro = EventType.objects.get(organization__slug="demo", slug="intro")
    EventType.objects.filter(pk=intro.pk).update(name="Renamed in the dashboard")
    assert "kept as you left it" in _demo()
    assert EventType.objects.get(pk=intro.pk).name == "Renamed in the dashboard"
    _demo("--reset")
    assert EventType.objects.get(pk=intro.pk).name == intro.name


@pytest.mark.django_db
def test_a_signed_in_demo_session_survives_a_reset():
    _demo()
    c = Client()
    assert c.login(username="ana@demo.slotwise.test", password="slotwise-demo")
    _demo("--reset")
    assert c.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_the_demo_printout_does_not_promise_an_admin_login_it_does_not_have():
    out = _demo()
    assert "same login" not in out and "slotwise createsuperuser" in out


def test_a_taken_port_is_named_with_the_fix():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(CommandError, match=rf"port {port} on 127.0.0.1 is already in use.*--port {port + 1}"):
            port_is_free("127.0.0.1", port)


def test_serve_port_and_host_reach_the_links_slotwise_writes(monkeypatch):
    monkeypatch.delenv("SLOTWISE_PORT", raising=False)
    monkeypatch.delenv("SLOTWISE_HOST", raising=False)
    _listen_address_into_env(["--port", "8765", "--host=0.0.0.0", "--workers", "2"])
    import os

    assert (os.environ["SLOTWISE_PORT"], os.environ["SLOTWISE_HOST"]) == ("8765", "0.0.0.0")
