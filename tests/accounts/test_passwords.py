"""Passwords are stored with Argon2. The suite hashes with MD5 for speed (tests/conftest.py); these tests use
the product's own hashers."""

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client

from slotwise.config import settings as product_settings
from tests import factories


@pytest.fixture
def product_hashers(settings):
    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS


def test_the_product_hashes_new_passwords_with_argon2_and_still_reads_pbkdf2():
    assert product_settings.PASSWORD_HASHERS == [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


def test_a_new_host_password_is_stored_as_argon2_and_signs_in(db, product_hashers):
    ana = factories.host(factories.org("acme"), "ana", email="ana@acme.test").user
    assert identify_hasher(ana.password).algorithm == "argon2"
    assert "correct horse battery" not in ana.password
    c = Client()
    resp = c.post("/login/", {"username": "ana@acme.test", "password": "correct horse battery"})
    assert (resp.status_code, resp["Location"]) == (302, "/dashboard/")
    assert c.get("/dashboard/").status_code == 200
    other = Client()
    wrong = other.post("/login/", {"username": "ana@acme.test", "password": "correct horse battery!"})
    assert wrong.status_code == 200 and "_auth_user_id" not in other.session


def test_a_pbkdf2_password_signs_in_and_is_upgraded_to_argon2(db, product_hashers):
    ana = factories.host(factories.org("acme"), "ana", email="ana@acme.test").user
    ana.password = make_password("an older password", hasher="pbkdf2_sha256")
    ana.save()
    resp = Client().post("/login/", {"username": "ana@acme.test", "password": "an older password"})
    assert (resp.status_code, resp["Location"]) == (302, "/dashboard/")
    ana.refresh_from_db()
    assert identify_hasher(ana.password).algorithm == "argon2"
