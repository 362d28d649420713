"""Members of an org: CRUD, role rules, the last owner, other orgs."""
from helpers import (MEMBER_PASSWORD, add_user, assert_error, query,
                     unique_email)


def test_owner_creates_reads_changes_and_removes_a_member(client, db):
    s = client.signup()
    t = s["token"]
    email = unique_email("m")
    r = client.post("/v1/users", {"email": email, "password": MEMBER_PASSWORD},
                    token=t)
    assert r.status == 201, r
    u = r.json
    assert u["role"] == "member" and u["org_id"] == s["org"]["id"]
    assert set(u) == {"id", "org_id", "email", "role", "disabled",
                      "created_at", "updated_at"}
    r = client.get("/v1/users/" + u["id"], token=t)
    assert r.status == 200 and r.json == u, r
    r = client.patch("/v1/users/" + u["id"], {"role": "viewer"}, token=t)
    assert r.status == 200 and r.json["role"] == "viewer", r
    assert query(db, "SELECT role FROM latchkey.users WHERE id = %s",
                 u["id"]) == [("viewer",)]
    r = client.delete("/v1/users/" + u["id"], token=t)
    assert r.status == 204, r
    assert r.raw == ""
    assert_error(client.get("/v1/users/" + u["id"], token=t), 404,
                 "not_found")
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE id = %s",
                 u["id"]) == [(0,)]


def test_the_list_is_paginated_with_a_cursor(client):
    s = client.signup()
    for _ in range(4):
        add_user(client, s["token"], "viewer")
    seen = []
    cursor = None
    for _ in range(10):
        path = "/v1/users?limit=2" + ("&cursor=" + cursor if cursor else "")
        r = client.get(path, token=s["token"])
        assert r.status == 200, r
        assert len(r.json["data"]) <= 2
        seen += [u["id"] for u in r.json["data"]]
        if not r.json["has_more"]:
            assert r.json["next_cursor"] is None
            break
        cursor = r.json["next_cursor"]
    assert len(seen) == 5 and len(set(seen)) == 5


def test_bad_pagination_parameters_are_400(client):
    s = client.signup()
    for q, code in [("limit=0", "invalid_limit"), ("limit=101",
                    "invalid_limit"), ("limit=x", "invalid_limit"),
                    ("cursor=zzz", "invalid_cursor"),
                    ("cursor=1.not-a-uuid", "invalid_cursor")]:
        assert_error(client.get("/v1/users?" + q, token=s["token"]), 400,
                     code)


def test_a_member_can_read_but_not_manage_users(client, db):
    s = client.signup()
    member, mt = add_user(client, s["token"], "member")
    assert client.get("/v1/users", token=mt).status == 200
    r = client.post("/v1/users", {"email": unique_email(),
                                  "password": "whatever1"}, token=mt)
    assert_error(r, 403, "permission_denied")
    assert "users.write" in r.json["error"]["message"]
    r = client.delete("/v1/users/" + s["user"]["id"], token=mt)
    assert_error(r, 403, "permission_denied")
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE id = %s",
                 s["user"]["id"]) == [(1,)]


def test_nobody_grants_a_role_above_their_own(client, db):
    s = client.signup()
    admin, at = add_user(client, s["token"], "admin")
    email = unique_email()
    r = client.post("/v1/users", {"email": email, "password": "whatever1",
                                  "role": "owner"}, token=at)
    assert_error(r, 403, "role_too_high")
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE email = %s",
                 email) == [(0,)]
    member, _ = add_user(client, s["token"], "member")
    r = client.patch("/v1/users/" + member["id"], {"role": "owner"},
                     token=at)
    assert_error(r, 403, "role_too_high")
    # An admin may still make an admin.
    r = client.patch("/v1/users/" + member["id"], {"role": "admin"},
                     token=at)
    assert r.status == 200 and r.json["role"] == "admin", r


def test_an_admin_cannot_touch_an_owner(client, db):
    s = client.signup()
    admin, at = add_user(client, s["token"], "admin")
    r = client.patch("/v1/users/" + s["user"]["id"], {"disabled": True},
                     token=at)
    assert_error(r, 403, "role_too_high")
    r = client.delete("/v1/users/" + s["user"]["id"], token=at)
    assert_error(r, 403, "role_too_high")
    assert query(db, "SELECT disabled FROM latchkey.users WHERE id = %s",
                 s["user"]["id"]) == [(False,)]


def test_the_last_owner_can_be_neither_demoted_disabled_nor_removed(client,
                                                                     db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    assert_error(client.patch("/v1/users/" + uid, {"role": "admin"},
                              token=t), 409, "last_owner")
    assert_error(client.patch("/v1/users/" + uid, {"disabled": True},
                              token=t), 409, "last_owner")
    assert_error(client.delete("/v1/users/" + uid, token=t), 409,
                 "last_owner")
    assert query(db, "SELECT role, disabled FROM latchkey.users "
                 "WHERE id = %s", uid) == [("owner", False)]
    # With a second owner, the first may step down.
    add_user(client, t, "owner")
    r = client.patch("/v1/users/" + uid, {"role": "admin"}, token=t)
    assert r.status == 200 and r.json["role"] == "admin", r


def test_another_orgs_user_is_not_found_and_untouched(client, db):
    a = client.signup()
    b = client.signup()
    victim = b["user"]["id"]
    t = a["token"]
    assert_error(client.get("/v1/users/" + victim, token=t), 404,
                 "not_found")
    assert_error(client.patch("/v1/users/" + victim, {"role": "viewer"},
                              token=t), 404, "not_found")
    assert_error(client.patch("/v1/users/" + victim,
                              {"password": "hijacked!"}, token=t),
                 404, "not_found")
    assert_error(client.delete("/v1/users/" + victim, token=t), 404,
                 "not_found")
    assert query(db, "SELECT role, disabled, token_version FROM "
                 "latchkey.users WHERE id = %s", victim) == [
        ("owner", False, 1)]
    ids = [u["id"] for u in client.get("/v1/users", token=t).json["data"]]
    assert ids == [a["user"]["id"]]


def test_a_duplicate_email_is_409(client):
    s = client.signup()
    other = client.signup()
    r = client.post("/v1/users", {"email": other["user"]["email"],
                                  "password": "whatever1"}, token=s["token"])
    assert_error(r, 409, "email_taken")


def test_patch_validates_its_fields(client):
    s = client.signup()
    uid = s["user"]["id"]
    for body, field in [({}, "body"), ({"role": "god"}, "role"),
                        ({"disabled": "yes"}, "disabled"),
                        ({"email": "nope"}, "email"),
                        ({"password": "short"}, "password"),
                        ({"nickname": "x"}, "nickname")]:
        r = client.patch("/v1/users/" + uid, body, token=s["token"])
        assert_error(r, 422, "validation_failed")
        assert field in r.json["error"]["fields"], (body, r)
