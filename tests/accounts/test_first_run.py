"""A fresh install with no users offers to create the first owner and organization; afterwards it never does."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.accounts.models import Membership, Organization, User
from slotwise.accounts.onboarding import first_owner_create
from slotwise.core.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
GOOD = {
    "name": "Ana Lima",
    "email": "Ana@Example.com",
    "password": "correct horse battery",
    "organization_name": "Acme Support",
    "timezone": "Europe/Lisbon",
}


def test_the_sign_in_page_of_a_fresh_install_sends_to_the_setup_page():
    resp = Client().get("/login/")
    assert (resp.status_code, resp["Location"]) == (302, "/setup/")


def test_setup_creates_the_owner_and_organization_and_signs_in():
    c = Client(enforce_csrf_checks=True)
    page = c.get("/setup/")
    assert page.status_code == 200 and b"Create owner and organization" in page.content
    resp = c.post("/setup/", {**GOOD, "csrfmiddlewaretoken": page.cookies["csrftoken"].value})
    assert (resp.status_code, resp["Location"]) == (302, "/dashboard/")
    m = Membership.objects.select_related("user", "organization").get()
    assert (m.user.email, m.role, m.organization.slug, m.organization.timezone, m.user.timezone) == (
        "ana@example.com",
        "owner",
        "acme-support",
        "Europe/Lisbon",
        "Europe/Lisbon",
    )
    assert m.user.check_password("correct horse battery")
    assert c.get("/dashboard/").status_code == 200


def test_setup_flags_every_invalid_field_at_once_in_words_and_writes_nothing():
    resp = Client().post(
        "/setup/",
        {
            "name": "",
            "email": "not-an-email",
            "password": "123",
            "organization_name": "Admin",
            "timezone": "Mars/Olympus",
        },
    )
    assert resp.status_code == 400
    text = resp.content.decode()
    for message in (
        "Enter your name",
        "Enter your email address",
        "/admin/ is taken by Slotwise itself",
        "Choose your time zone",
        "This password is too short",
    ):
        assert message in text
    assert "organization_name" not in text.split("<form")[0]  # no field paths in the banner
    assert (User.objects.count(), Organization.objects.count()) == (0, 0)


def test_once_anyone_exists_setup_only_points_to_sign_in_and_the_service_refuses(acme):
    resp = Client().post("/setup/", GOOD)
    assert (resp.status_code, resp["Location"]) == (302, "/login/")
    assert Client().get("/login/").status_code == 200
    with pytest.raises(Conflict, match="already set up"):
        first_owner_create(**GOOD, now=NOW)
    assert not User.objects.filter(email="ana@example.com").exists()


def test_an_organization_name_without_letters_or_digits_is_refused():
    with pytest.raises(InvalidInput, match="needs a letter or digit"):
        first_owner_create(**{**GOOD, "organization_name": "!!!"}, now=NOW)
