"""Service keys, direct hashes and tokens, and POST /v1/auth/verify."""
import secrets

import pytest

from helpers import (assert_error, boot, ctl, eventually, history_row,
                     make_direct, make_key, needs_service_key, query,
                     service_headers)


@needs_service_key
@pytest.mark.parametrize("how", ["header", "bearer"])
def test_a_service_key_acts_for_an_org(client, db, how):
    s = client.signup()
    r = client.get("/v1/me", headers=service_headers(s["org"]["id"], how=how))
    assert r.status == 200, r
    assert r.json["kind"] == "service" and r.json["org_id"] == s["org"]["id"]
    assert r.json["permissions"] == ["*"] and r.json["mode"] == "live"
    # It manages the org like an owner; what it does is recorded.
    rid = "svc-" + secrets.token_hex(6)
    r = client.post("/v1/api-keys", {"name": "from-service",
                    "permissions": ["keys.read"]},
                    headers=dict(service_headers(s["org"]["id"], how=how),
                                 **{"X-Request-Id": rid}))
    assert r.status == 201, r
    assert client.get("/v1/me", token=r.json["key"]).status == 200
    assert history_row(db, rid, "credential_kind, org_id::text") == (
        "service", s["org"]["id"])


@needs_service_key
def test_a_service_key_in_test_mode_sees_test_objects(client):
    s = client.signup()
    r = client.get("/v1/api-keys",
                   headers=service_headers(s["org"]["id"], "test"))
    assert r.status == 200, r
    assert [k["id"] for k in r.json["data"]] == [s["api_key"]["id"]]


@needs_service_key
def test_a_service_key_needs_a_known_org(client):
    assert_error(client.get("/v1/me", headers=service_headers()), 400,
                 "missing_org_id")
    assert_error(client.get("/v1/me", headers=service_headers("nope")), 400,
                 "invalid_org_id")
    assert_error(client.get("/v1/me", headers=service_headers(
        "00000000-0000-4000-8000-000000000000")), 404, "unknown_org")


def test_an_unknown_service_key_is_401(client):
    s = client.signup()
    r = client.get("/v1/me", headers={"X-Internal-Key": "not-a-key",
                                      "X-Org-Id": s["org"]["id"]})
    assert_error(r, 401, "invalid_service_key")


def test_a_direct_hash_boots_a_scoped_token(client, db):
    s = client.signup()
    d = make_direct(client, s["token"], rid="call-42")
    assert d["direct_hash"].startswith("direct.")
    assert len(d["direct_hash"]) == 7 + 32
    stored = query(db, "SELECT encode(direct_hash, 'hex') FROM "
                   "latchkey.directs WHERE id = %s", d["id"])[0][0]
    assert d["direct_hash"] not in stored
    r = boot(client, d)
    assert r.status == 200, r
    assert r.json["type"] == "direct" and r.json["resource_type"] == "call"
    assert r.json["resource_id"] == "call-42"
    assert r.json["org_id"] == s["org"]["id"]
    # Never the management API.
    assert_error(client.get("/v1/me", token=r.json["token"]), 403,
                 "direct_token_not_allowed")
    # The list shows no secret.
    listed = client.get("/v1/directs", token=s["token"]).json["data"]
    assert [x["id"] for x in listed] == [d["id"]]
    assert "direct_hash" not in listed[0]


def test_boot_refuses_each_bad_input_precisely(client):
    s = client.signup()
    d = make_direct(client, s["token"])
    assert_error(client.post("/v1/auth/boot", {}), 400,
                 "missing_direct_hash")
    for bad in ["nope", "direct.", "direct.short", 7,
                "lk_live_" + "a" * 28, "Direct." + "a" * 32]:
        assert_error(client.post("/v1/auth/boot", {"direct_hash": bad}),
                     400, "malformed_direct_hash")
    assert_error(client.post("/v1/auth/boot", {"direct_hash":
                 "direct." + "A" * 32}), 401, "unknown_direct_hash")
    r = client.post("/v1/auth/boot", {"direct_hash": d["direct_hash"]})
    tok = r.json["token"]
    assert client.delete("/v1/directs/" + d["id"],
                         token=s["token"]).status == 204
    assert client.delete("/v1/directs/" + d["id"],
                         token=s["token"]).status == 204
    assert_error(client.post("/v1/auth/boot", {"direct_hash":
                 d["direct_hash"]}), 401, "revoked_direct_hash")
    r = client.post("/v1/auth/verify", {"credential": tok})
    assert_error(r, 401, "revoked_token")


def test_boot_refuses_an_inactive_org(client, db):
    s = client.signup()
    d = make_direct(client, s["token"])
    query(db, "UPDATE latchkey.orgs SET active = false WHERE id = %s",
          s["org"]["id"])
    assert_error(client.post("/v1/auth/boot", {"direct_hash":
                 d["direct_hash"]}), 401, "org_inactive")


def test_directs_need_their_permission_and_stay_in_their_org(client):
    a = client.signup()
    b = client.signup()
    d = make_direct(client, b["token"])
    k = make_key(client, a["token"], ["keys.read"], name="n")
    assert_error(client.post("/v1/directs", {"resource_type": "call",
                 "resource_id": "x"}, token=k["key"]), 403,
                 "permission_denied")
    assert_error(client.delete("/v1/directs/" + d["id"], token=a["token"]),
                 404, "not_found")
    r = client.post("/v1/directs", {"resource_type": "Bad Type",
                    "resource_id": "x/y"}, token=a["token"])
    assert_error(r, 422, "validation_failed")
    assert set(r.json["error"]["fields"]) == {"resource_type",
                                              "resource_id"}


def test_verify_answers_for_a_credential(client):
    s = client.signup()
    k = make_key(client, s["token"], ["keys.read"], name="v")
    r = client.post("/v1/auth/verify", {"credential": k["key"]})
    assert r.status == 200, r
    assert r.json["valid"] is True and r.json["kind"] == "api_key"
    assert r.json["api_key_id"] == k["id"]
    assert r.json["permissions"] == ["keys.read"]
    r = client.post("/v1/auth/verify", {"credential": k["key"],
                    "permission": "keys.read"})
    assert r.status == 200
    r = client.post("/v1/auth/verify", {"credential": k["key"],
                    "permission": "users.write"})
    assert_error(r, 403, "permission_denied")
    # The credential may also come in the usual headers.
    r = client.post("/v1/auth/verify", headers={"X-API-Key": k["key"]})
    assert r.status == 200 and r.json["api_key_id"] == k["id"], r
    assert_error(client.post("/v1/auth/verify", {"credential": "lk_live_x"}),
                 401, "malformed_api_key")
    assert_error(client.post("/v1/auth/verify"), 401, "missing_credentials")
    r = client.post("/v1/auth/verify", {"credential": k["key"],
                    "method": "GET"})
    assert_error(r, 422, "validation_failed")


def test_verify_decides_routes_like_the_authorizer(client):
    tag = secrets.token_hex(3)
    ctl("permission", "add", "vcalls%s.read" % tag)
    ctl("route", "add", "GET", "/vapi%s/calls/*" % tag, "vcalls%s.read" % tag)
    ctl("route", "add", "GET", "/vapi%s/open" % tag, "--public")
    ctl("route", "add", "GET", "/vapi%s/calls/*/live" % tag, "--direct",
        "call")
    s = client.signup()
    ok = make_key(client, s["token"], ["vcalls%s.read" % tag], name="a")
    no = make_key(client, s["token"], [], name="b")

    def verify(cred, method, path):
        body = {"method": method, "path": path}
        if cred:
            body["credential"] = cred
        return client.post("/v1/auth/verify", body)

    # New routes reach each worker by NOTIFY: wait for this one (a
    # public route costs no rate-limit budget while polling).
    assert eventually(lambda: verify(None, "GET", "/vapi%s/open" % tag)
                      .status == 200)
    r = verify(ok["key"], "GET", "/vapi%s/calls/7" % tag)
    assert r.status == 200 and r.json["route"]["permission"] == \
        "vcalls%s.read" % tag, r
    assert_error(verify(no["key"], "GET", "/vapi%s/calls/7" % tag), 403,
                 "permission_denied")
    assert_error(verify(ok["key"], "POST", "/vapi%s/calls/7" % tag), 403,
                 "no_route")
    r = verify(None, "GET", "/vapi%s/open" % tag)
    assert r.status == 200 and r.json["route"]["public"] is True, r
    d = make_direct(client, s["token"], "call", "c1")
    tok = boot(client, d).json["token"]
    r = verify(tok, "GET", "/vapi%s/calls/c1/live" % tag)
    assert r.status == 200 and r.json["kind"] == "direct", r
    assert r.json["resource_id"] == "c1"
    assert_error(verify(tok, "GET", "/vapi%s/calls/c1" % tag), 403,
                 "direct_token_out_of_scope")


def test_verify_refuses_paths_a_server_would_normalise(client):
    s = client.signup()
    for path in ["/demo/pub/../secret", "/demo/%2e%2e/secret", "/demo//x",
                 "/demo/x%2Fy", "/%64emo/x", "/demo/./x"]:
        r = client.post("/v1/auth/verify", {"credential": s["token"],
                        "method": "GET", "path": path})
        assert_error(r, 400, "malformed_path")


def test_an_unrouted_path_asks_for_a_credential_first(client):
    r = client.post("/v1/auth/verify", {"method": "GET",
                                        "path": "/nowhere/at/all"})
    assert_error(r, 401, "missing_credentials")
    s = client.signup()
    r = client.post("/v1/auth/verify", {"credential": s["token"],
                    "method": "GET", "path": "/nowhere/at/all"})
    assert_error(r, 403, "no_route")
