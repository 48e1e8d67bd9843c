from tests.api.conftest import BASE

USER_KEYS = {
    "uri",
    "name",
    "slug",
    "email",
    "scheduling_url",
    "timezone",
    "avatar_url",
    "created_at",
    "updated_at",
    "current_organization",
}
PAGINATION_KEYS = {"count", "next_page", "previous_page", "next_page_token", "previous_page_token"}


def test_users_me_is_the_tokens_user_in_calendly_shape(world):
    r = world.api.get("/users/me")
    assert r.status_code == 200
    user = r.json()["resource"]
    assert USER_KEYS <= set(user)
    assert user["uri"] == f"http://127.0.0.1:8000/api/v2/users/{world.admin.user.uuid}"
    assert user["email"] == "alice@acme.test"
    assert user["slug"] == "alice"
    assert user["scheduling_url"] == "http://127.0.0.1:8000/acme/alice"
    assert user["current_organization"] == f"http://127.0.0.1:8000/api/v2/organizations/{world.a.uuid}"
    assert user["avatar_url"] is None
    assert user["created_at"].endswith("Z")


def test_user_by_uuid_and_by_full_uri(world):
    r = world.api.get(f"/users/{world.member.user.uuid}")
    assert r.status_code == 200
    assert r.json()["resource"]["email"] == "bob@acme.test"


def test_organization(world):
    r = world.api.get(f"/organizations/{world.a.uuid}")
    assert r.status_code == 200
    org = r.json()["resource"]
    assert {"uri", "plan", "stage", "created_at", "updated_at"} <= set(org)
    assert org["plan"] in ("basic", "essentials", "professional", "teams", "enterprise")
    assert org["stage"] in ("trial", "free", "paid")


def test_memberships_paginate_across_pages_and_keep_filters(world):
    from tests import factories

    for i in range(3):
        factories.host(world.a, f"extra{i}", email=f"extra{i}@acme.test")
    org_uri = f"{BASE}/organizations/{world.a.uuid}"
    r = world.api.get("/organization_memberships", {"organization": org_uri, "count": 2})
    assert r.status_code == 200
    body = r.json()
    assert set(body["pagination"]) == PAGINATION_KEYS
    first = [m["user"]["email"] for m in body["collection"]]
    assert first == ["alice@acme.test", "bob@acme.test"]
    assert body["pagination"]["previous_page"] is None
    assert body["pagination"]["count"] == 2
    nxt = body["pagination"]["next_page"]
    assert "count=2" in nxt and "organization=" in nxt and "page_token=" in nxt
    r2 = world.api.get(nxt)
    second = [m["user"]["email"] for m in r2.json()["collection"]]
    assert second == ["extra0@acme.test", "extra1@acme.test"]
    r3 = world.api.get(r2.json()["pagination"]["next_page"])
    assert [m["user"]["email"] for m in r3.json()["collection"]] == ["extra2@acme.test"]
    assert r3.json()["pagination"]["next_page"] is None
    back = world.api.get(r3.json()["pagination"]["previous_page"])
    assert [m["user"]["email"] for m in back.json()["collection"]] == second
    back2 = world.api.get(back.json()["pagination"]["previous_page"])
    assert [m["user"]["email"] for m in back2.json()["collection"]] == first
    assert back2.json()["pagination"]["previous_page"] is None


def test_membership_roles_map_to_calendly_enum(world):
    r = world.api.get("/organization_memberships", {"email": "bob@acme.test"})
    (m,) = r.json()["collection"]
    assert m["role"] == "user"
    r = world.api.get("/organization_memberships", {"email": "alice@acme.test"})
    assert r.json()["collection"][0]["role"] == "owner"


def test_count_out_of_range_is_400_naming_count(world):
    for bad in ("0", "101", "many"):
        r = world.api.get("/organization_memberships", {"count": bad})
        assert r.status_code == 400, bad
        body = r.json()
        assert body["title"] == "Invalid Argument"
        assert body["details"][0]["parameter"] == "count"


def test_garbled_page_token_is_400(world):
    r = world.api.get("/organization_memberships", {"page_token": "not-a-token"})
    assert r.status_code == 400
    assert r.json()["details"] == [{"parameter": "page_token", "message": r.json()["message"]}]


def test_unknown_query_parameters_are_ignored(world):
    assert world.api.get("/users/me", {"whatever": "1"}).status_code == 200


def test_no_token_is_401_in_calendly_shape(world):
    r = world.anon.get("/users/me")
    assert r.status_code == 401
    assert r.json()["title"] == "Unauthenticated"
    assert "Bearer" in r.json()["message"]


def test_wrong_and_revoked_tokens_are_401(world, now):
    from slotwise.api.tokens import token_create, token_revoke
    from tests.api.conftest import Api

    assert Api("swp_nope_nope").get("/users/me").status_code == 401
    token, secret = token_create(membership=world.admin, scope="read", now=now)
    assert Api(secret).get("/users/me").status_code == 200
    token_revoke(prefix=token.prefix, now=now)
    r = Api(secret).get("/users/me")
    assert r.status_code == 401
    assert "revoked" in r.json()["message"]


def test_list_filters_may_come_as_a_json_body_on_get(world):
    import json

    r = world.api.client.generic(
        "GET",
        "/api/v2/organization_memberships",
        json.dumps({"email": "bob@acme.test", "count": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.api.secret}",
    )
    assert r.status_code == 200
    assert [m["user"]["email"] for m in r.json()["collection"]] == ["bob@acme.test"]
    r = world.api.client.generic(
        "GET",
        "/api/v2/organization_memberships?email=alice@acme.test",
        json.dumps({"email": "bob@acme.test"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.api.secret}",
    )
    assert [m["user"]["email"] for m in r.json()["collection"]] == ["alice@acme.test"]
