"""API keys: lifecycle, transports, errors, modes, rolls, creator rules."""
import secrets

import pytest

from helpers import (add_user, assert_error, ctl, eventually_status,
                     make_key, me, query, unique_email, well_formed_key)

def test_the_whole_lifecycle(client, db):
    s = client.signup()
    k = make_key(client, s["token"], ["keys.read", "users.read"],
                 detail="for CI")
    assert k["key"].startswith("lk_live_") and k["mode"] == "live"
    assert k["prefix"] == "lk_live_" and k["last4"] == k["key"][-4:]
    assert k["permissions"] == ["keys.read", "users.read"]
    assert k["detail"] == "for CI" and k["revoked_at"] is None
    r = me(client, k["key"])
    assert r.status == 200, r
    assert r.json["kind"] == "api_key" and r.json["api_key_id"] == k["id"]
    assert r.json["permissions"] == ["keys.read", "users.read"]
    # The secret is never shown again, and last use is visible.
    r = client.get("/v1/api-keys", token=s["token"])
    assert r.status == 200, r
    row = [x for x in r.json["data"] if x["id"] == k["id"]][0]
    assert "key" not in row and row["last_used_at"] is not None
    r = client.get("/v1/api-keys/" + k["id"], token=s["token"])
    assert r.status == 200 and "key" not in r.json, r
    r = client.patch("/v1/api-keys/" + k["id"], {"name": "renamed",
                     "permissions": ["keys.read"]}, token=s["token"])
    assert r.status == 200 and r.json["name"] == "renamed", r
    assert me(client, k["key"]).json["permissions"] == ["keys.read"]
    r = client.delete("/v1/api-keys/" + k["id"], token=s["token"])
    assert r.status == 204, r
    assert_error(me(client, k["key"]), 401, "revoked_api_key")
    # Revoking again is not an error.
    assert client.delete("/v1/api-keys/" + k["id"],
                         token=s["token"]).status == 204
    revoked = query(db, "SELECT revoked_at IS NOT NULL FROM "
                    "latchkey.api_keys WHERE id = %s", k["id"])
    assert revoked == [(True,)]


@pytest.mark.parametrize("how", ["bearer", "header", "query"])
def test_every_transport_carries_a_key(client, how):
    s = client.signup()
    k = make_key(client, s["token"])
    r = me(client, k["key"], how)
    assert r.status == 200 and r.json["api_key_id"] == k["id"], r


def test_a_corrupted_key_is_malformed(client):
    s = client.signup()
    key = s["api_key"]["key"]
    for bad in [key[:-1], key + "x", key[:-1] + ("A" if key[-1] != "A"
                else "B"), key.replace("lk_", "zz_", 1), "lk_live_short",
                key.replace("_test_", "_prod_")]:
        assert_error(me(client, bad, "header"), 401, "malformed_api_key")


def test_a_well_formed_but_unknown_key_is_unknown(client):
    assert_error(me(client, well_formed_key()), 401, "unknown_api_key")


def test_an_expired_key_is_refused(client, db):
    s = client.signup()
    k = make_key(client, s["token"], expires_in=3600)
    assert me(client, k["key"]).status == 200
    query(db, "UPDATE latchkey.api_keys SET expires_at = now() - "
          "interval '1 second' WHERE id = %s", k["id"])
    r = eventually_status(lambda: me(client, k["key"]), 401)
    assert_error(r, 401, "expired_api_key")


def test_expiry_must_be_in_the_future_and_well_formed(client):
    s = client.signup()
    for extra, field in [({"expires_at": "2001-01-01T00:00:00Z"},
                          "expires_at"),
                         ({"expires_at": "tomorrow"}, "expires_at"),
                         ({"expires_in": 0}, "expires_in"),
                         ({"expires_in": "60"}, "expires_in"),
                         ({"expires_in": 60, "expires_at":
                           "2099-01-01T00:00:00Z"}, "expires_at")]:
        body = {"name": "x", "permissions": []}
        body.update(extra)
        r = client.post("/v1/api-keys", body, token=s["token"])
        assert_error(r, 422, "validation_failed")
        assert field in r.json["error"]["fields"], (extra, r)


def test_create_validates_name_and_permissions(client):
    s = client.signup()
    r = client.post("/v1/api-keys", {"permissions": []}, token=s["token"])
    assert_error(r, 422, "validation_failed")
    assert "name" in r.json["error"]["fields"]
    r = client.post("/v1/api-keys", {"name": "x" * 101, "permissions": []},
                    token=s["token"])
    assert_error(r, 422, "validation_failed")
    r = client.post("/v1/api-keys", {"name": "x", "permissions":
                    ["keys.read", "nope.nothing", "calls.*"]},
                    token=s["token"])
    assert_error(r, 422, "validation_failed")
    msg = r.json["error"]["fields"]["permissions"][0]
    assert "nope.nothing" in msg and "calls.*" in msg
    assert "keys.read" not in msg
    r = client.post("/v1/api-keys", {"name": "x", "permissions":
                    ["Keys.Read"]}, token=s["token"])
    assert_error(r, 422, "validation_failed")


def test_a_key_cannot_grant_what_its_creator_lacks(client, db):
    s = client.signup()
    _, mt = add_user(client, s["token"], "member")
    r = client.post("/v1/api-keys", {"name": "x", "permissions":
                    ["keys.read", "users.write"]}, token=mt)
    assert_error(r, 403, "permission_denied")
    assert "users.write" in r.json["error"]["message"]
    assert "keys.read" not in r.json["error"]["message"]
    # A key made by a key is bounded by the making key.
    k = make_key(client, s["token"], ["keys.read", "keys.write"])
    r = client.post("/v1/api-keys", {"name": "y", "permissions":
                    ["users.read"]}, token=k["key"])
    assert_error(r, 403, "permission_denied")
    r = client.post("/v1/api-keys", {"name": "y", "permissions":
                    ["keys.read"]}, token=k["key"])
    assert r.status == 201, r
    assert r.json["created_by"]["api_key_id"] == k["id"]


def test_a_missing_permission_is_403_and_no_credential_401(client):
    s = client.signup()
    k = make_key(client, s["token"], ["users.read"])
    assert_error(client.get("/v1/api-keys", token=k["key"]), 403,
                 "permission_denied")
    assert client.get("/v1/users", token=k["key"]).status == 200
    assert_error(client.get("/v1/api-keys"), 401, "missing_credentials")


def test_wildcards_grant_their_family(client):
    s = client.signup()
    k = make_key(client, s["token"], ["keys.*"])
    assert client.get("/v1/api-keys", token=k["key"]).status == 200
    r = client.post("/v1/api-keys", {"name": "z", "permissions":
                    ["keys.read"]}, token=k["key"])
    assert r.status == 201, r
    assert_error(client.get("/v1/users", token=k["key"]), 403,
                 "permission_denied")


def test_test_and_live_are_isolated_both_ways(client, db):
    s = client.signup()
    test_key = s["api_key"]
    live = make_key(client, s["token"])
    assert live["mode"] == "live"
    other_test = make_key(client, s["token"], mode="test")
    assert other_test["key"].startswith("lk_test_")
    # A test key sees test keys only, and cannot reach a live one.
    r = client.get("/v1/api-keys", token=test_key["key"])
    ids = {x["id"] for x in r.json["data"]}
    assert ids == {test_key["id"], other_test["id"]}, r
    for path in ["/v1/api-keys/" + live["id"]]:
        assert_error(client.get(path, token=test_key["key"]), 404,
                     "not_found")
        assert_error(client.delete(path, token=test_key["key"]), 404,
                     "not_found")
    assert query(db, "SELECT revoked_at FROM latchkey.api_keys WHERE "
                 "id = %s", live["id"]) == [(None,)]
    # And a live key sees live keys only.
    r = client.get("/v1/api-keys", token=live["key"])
    assert {x["id"] for x in r.json["data"]} == {live["id"]}
    assert_error(client.get("/v1/api-keys/" + test_key["id"],
                            token=live["key"]), 404, "not_found")
    # A test key cannot mint a live one.
    r = client.post("/v1/api-keys", {"name": "x", "permissions": [],
                    "mode": "live"}, token=test_key["key"])
    assert_error(r, 403, "mode_mismatch")
    # A login token chooses its mode with X-Latchkey-Mode.
    r = client.get("/v1/api-keys", token=s["token"],
                   headers={"X-Latchkey-Mode": "test"})
    assert {x["id"] for x in r.json["data"]} == {test_key["id"],
                                                 other_test["id"]}


def test_another_orgs_key_is_not_found(client, db):
    a = client.signup()
    b = client.signup()
    kb = make_key(client, b["token"])
    for r in [client.get("/v1/api-keys/" + kb["id"], token=a["token"]),
              client.patch("/v1/api-keys/" + kb["id"], {"name": "pwned"},
                           token=a["token"]),
              client.delete("/v1/api-keys/" + kb["id"], token=a["token"]),
              client.post("/v1/api-keys/" + kb["id"] + "/roll",
                          token=a["token"])]:
        assert_error(r, 404, "not_found")
    assert query(db, "SELECT name, revoked_at FROM latchkey.api_keys "
                 "WHERE id = %s", kb["id"]) == [(kb["name"], None)]
    assert me(client, kb["key"]).status == 200


def test_roll_without_grace_kills_the_old_secret_at_once(client):
    s = client.signup()
    k = make_key(client, s["token"])
    r = client.post("/v1/api-keys/" + k["id"] + "/roll", token=s["token"])
    assert r.status == 200, r
    new = r.json["key"]
    assert new != k["key"] and r.json["id"] == k["id"]
    assert r.json["last4"] == new[-4:]
    assert_error(me(client, k["key"]), 401, "unknown_api_key")
    assert me(client, new).status == 200


def test_roll_with_grace_keeps_the_old_secret_until_it_ends(client, db):
    s = client.signup()
    k = make_key(client, s["token"])
    r = client.post("/v1/api-keys/" + k["id"] + "/roll",
                    {"grace_seconds": 3600}, token=s["token"])
    assert r.status == 200, r
    assert me(client, k["key"]).status == 200
    assert me(client, r.json["key"]).status == 200
    query(db, "UPDATE latchkey.api_keys SET previous_expires_at = now() "
          "WHERE id = %s", k["id"])
    old = eventually_status(lambda: me(client, k["key"]), 401)
    assert_error(old, 401, "unknown_api_key")
    assert me(client, r.json["key"]).status == 200


def test_a_revoked_key_cannot_be_rolled(client):
    s = client.signup()
    k = make_key(client, s["token"])
    assert client.delete("/v1/api-keys/" + k["id"],
                         token=s["token"]).status == 204
    r = client.post("/v1/api-keys/" + k["id"] + "/roll", token=s["token"])
    assert_error(r, 409, "api_key_revoked")
    r = client.post("/v1/api-keys/" + k["id"] + "/roll",
                    {"grace_seconds": -1}, token=s["token"])
    assert_error(r, 422, "validation_failed")


def test_demoting_the_creator_shrinks_the_key_at_once(client):
    s = client.signup()
    u, at = add_user(client, s["token"], "admin", "admin pass")
    k = make_key(client, at, ["users.write", "users.read"])
    assert client.post("/v1/users", {"email": unique_email(),
                       "password": "whatever1", "role": "viewer"},
                       token=k["key"]).status == 201
    r = client.patch("/v1/users/" + u["id"], {"role": "viewer"},
                     token=s["token"])
    assert r.status == 200, r
    r = me(client, k["key"])
    assert r.json["permissions"] == ["users.read"], r
    r = client.post("/v1/users", {"email": unique_email(),
                    "password": "whatever1", "role": "viewer"},
                    token=k["key"])
    assert_error(r, 403, "permission_denied")


def test_disabling_or_removing_the_creator_stops_the_key(client):
    s = client.signup()
    keys = []
    for _ in range(2):
        u, at = add_user(client, s["token"], "admin", "admin pass")
        keys.append((u, make_key(client, at, ["keys.read"])))
    (u1, k1), (u2, k2) = keys
    assert client.patch("/v1/users/" + u1["id"], {"disabled": True},
                        token=s["token"]).status == 200
    assert_error(me(client, k1["key"]), 401, "api_key_owner_inactive")
    assert client.delete("/v1/users/" + u2["id"],
                         token=s["token"]).status == 204
    assert_error(me(client, k2["key"]), 401, "api_key_owner_inactive")


def test_the_catalog_and_roles_are_listed(client):
    s = client.signup()
    r = client.get("/v1/permissions", token=s["api_key"]["key"])
    assert r.status == 200, r
    names = {p["name"] for p in r.json["data"]}
    assert {"keys.read", "keys.write", "users.read", "users.write",
            "requests.read", "usage.read", "directs.write",
            "activity.read"} <= names
    r = client.get("/v1/roles", token=s["token"])
    roles = {x["name"]: x["permissions"] for x in r.json["data"]}
    assert roles["owner"] == ["*"] and "users.write" not in roles["member"]


def test_a_deployment_permission_can_be_registered_and_granted(client):
    name = "calls%s.read" % secrets.token_hex(2)
    ctl("permission", "add", name, "--description", "Read calls")
    s = client.signup()
    k = make_key(client, s["token"], [name])
    assert me(client, k["key"]).json["permissions"] == [name]
    family = name.split(".")[0] + ".*"
    k = make_key(client, s["token"], [family])
    assert me(client, k["key"]).json["permissions"] == [family]


def test_a_revocation_behind_latchkeys_back_takes_effect_without_a_restart(
        client, db):
    """Another host (here: SQL) revokes: the NOTIFY empties this host's
    cache, and the cache's lifetime bounds it even without one (how long
    that lifetime is, is the unit tests' business: test_authcache.c)."""
    s = client.signup()
    k = make_key(client, s["token"])
    assert me(client, k["key"]).status == 200      # now cached
    query(db, "UPDATE latchkey.api_keys SET revoked_at = now() "
          "WHERE id = %s", k["id"])
    r = eventually_status(lambda: me(client, k["key"]), 401)
    assert_error(r, 401, "revoked_api_key")
