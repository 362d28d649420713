"""GET/POST /v1/routes, DELETE /v1/routes/{id}: an org's own routes.

An org route adds a permission the org's own callers need on the
upstream, on top of the operator's route (latchkeyctl route); it never
opens anything.  Who may call which route in which mode is the authority
matrix's (test_authority_matrix.py); these tests cover the bodies, the
errors, the audit trail, paging and what the authorizer does with them.
"""
import json
import secrets

import pytest

from helpers import (add_user, assert_denied, assert_error, boot, ctl,
                     eventually, eventually_status, hits, make_direct,
                     make_key, needs_service_key, needs_upstream, query,
                     reached, service_headers)


def pattern(prefix="/demo"):
    return "%s/r%s/*" % (prefix, secrets.token_hex(4))


def add(client, token, method="GET", pat=None, perm="keys.read", **kw):
    return client.post("/v1/routes", {"method": method,
                                      "pattern": pat or pattern(),
                                      "permission": perm}, token=token, **kw)


def test_an_owner_adds_a_route_that_is_stored_for_its_org_and_audited(
        client, db):
    s = client.signup()
    pat = pattern()
    r = add(client, s["token"], "POST", pat, "keys.write")
    assert r.status == 201, r
    assert set(r.json) == {"id", "method", "pattern", "permission",
                           "created_by_user", "created_by_key",
                           "created_at"}
    assert (r.json["method"], r.json["pattern"], r.json["permission"]) == \
        ("POST", pat, "keys.write")
    assert r.json["created_by_user"] == s["user"]["id"]
    assert r.json["created_by_key"] is None
    assert r.json["created_at"].endswith("Z")
    assert query(db, "SELECT org_id::text, method, pattern, permission "
                 "FROM latchkey.org_routes WHERE id = %s", r.json["id"]) == \
        [(s["org"]["id"], "POST", pat, "keys.write")]
    ev = query(db, "SELECT action, target_type, mode, detail::text "
               "FROM latchkey.audit_events WHERE target_id = %s",
               r.json["id"])
    assert len(ev) == 1 and ev[0][:3] == ("route.created", "route", "live")
    assert json.loads(ev[0][3]) == {"method": "POST", "pattern": pat,
                                    "permission": "keys.write"}


def test_a_key_that_adds_a_route_is_named_as_its_creator(client):
    s = client.signup()
    k = make_key(client, s["token"], ["routes.write"])
    r = client.post("/v1/routes", {"method": "*", "pattern": pattern(),
                                   "permission": "keys.read"},
                    headers={"X-API-Key": k["key"]})
    assert r.status == 201, r
    assert r.json["created_by_key"] == k["id"]
    assert r.json["created_by_user"] == s["user"]["id"]


@pytest.mark.parametrize("body, fields", [
    ({}, {"method", "pattern", "permission"}),
    ({"method": "get", "pattern": "/x", "permission": "keys.read"},
     {"method"}),
    ({"method": "GETTINGTOOLONGMETHOD", "pattern": "/x",
      "permission": "keys.read"}, {"method"}),
    ({"method": "GET", "pattern": "x/y", "permission": "keys.read"},
     {"pattern"}),
    ({"method": "GET", "pattern": "/a*b", "permission": "keys.read"},
     {"pattern"}),
    ({"method": "GET", "pattern": "/" + "a" * 512, "permission": "keys.read"},
     {"pattern"}),
    ({"method": "GET", "pattern": "/x", "permission": "Keys.Read"},
     {"permission"}),
    ({"method": "GET", "pattern": "/x", "permission": 7}, {"permission"}),
    ({"method": "GET", "pattern": "/x", "permission": "keys.read",
      "public": True}, {"public"}),
    ({"method": "GET", "pattern": "/x", "permission": "keys.read",
      "direct_resource_type": "call"}, {"direct_resource_type"}),
    ({"method": "GET", "pattern": "/x", "permission": "keys.read",
      "colour": "red"}, {"colour"}),
])
def test_a_bad_body_gets_422_naming_each_bad_field(client, db, body, fields):
    s = client.signup()
    r = client.post("/v1/routes", body, token=s["token"])
    assert_error(r, 422, "validation_failed")
    assert set(r.json["error"]["fields"]) == fields, r
    assert query(db, "SELECT count(*) FROM latchkey.org_routes "
                 "WHERE org_id = %s", s["org"]["id"]) == [(0,)]


def test_public_routes_are_refused_with_a_reason(client):
    s = client.signup()
    r = client.post("/v1/routes", {"method": "GET", "pattern": "/x",
                                   "permission": "keys.read",
                                   "public": True}, token=s["token"])
    assert_error(r, 422, "validation_failed")
    assert "operator" in r.json["error"]["fields"]["public"][0]


def test_a_permission_outside_the_catalog_is_422(client, db):
    s = client.signup()
    r = add(client, s["token"], perm="no_such.permission_" +
            secrets.token_hex(3))
    assert_error(r, 422, "validation_failed")
    assert list(r.json["error"]["fields"]) == ["permission"]
    assert "catalog" in r.json["error"]["fields"]["permission"][0]
    assert query(db, "SELECT count(*) FROM latchkey.org_routes "
                 "WHERE org_id = %s", s["org"]["id"]) == [(0,)]


def test_a_body_that_is_not_json_is_refused(client):
    s = client.signup()
    assert_error(client.post("/v1/routes", raw="{", token=s["token"]), 400,
                 "malformed_json")
    assert_error(client.post("/v1/routes", raw="x=1", token=s["token"],
                             content_type="text/plain"), 415,
                 "unsupported_media_type")


def test_the_same_method_and_pattern_twice_is_409_route_exists(client):
    s = client.signup()
    pat = pattern()
    assert add(client, s["token"], "GET", pat).status == 201
    assert_error(add(client, s["token"], "GET", pat, "keys.write"), 409,
                 "route_exists")
    # Another method, or another org, may use the pattern.
    assert add(client, s["token"], "POST", pat).status == 201
    assert add(client, client.signup()["token"], "GET", pat).status == 201


def test_an_org_holds_at_most_100_routes(client, db):
    s = client.signup()
    query(db, "INSERT INTO latchkey.org_routes (org_id, method, pattern, "
          "permission) SELECT %s, 'GET', '/fill/' || i, 'keys.read' "
          "FROM generate_series(1, 100) i", s["org"]["id"])
    assert_error(add(client, s["token"]), 409, "route_limit")
    assert query(db, "SELECT count(*) FROM latchkey.org_routes "
                 "WHERE org_id = %s", s["org"]["id"]) == [(100,)]


def test_routes_are_listed_oldest_first_in_pages(client):
    s = client.signup()
    ids = [add(client, s["token"]).json["id"] for _ in range(3)]
    r = client.get("/v1/routes?limit=2", token=s["token"])
    assert r.status == 200, r
    assert [x["id"] for x in r.json["data"]] == ids[:2]
    assert r.json["has_more"] is True and r.json["next_cursor"]
    r = client.get("/v1/routes?limit=2&cursor=" + r.json["next_cursor"],
                   token=s["token"])
    assert [x["id"] for x in r.json["data"]] == ids[2:]
    assert r.json["has_more"] is False and r.json["next_cursor"] is None
    assert_error(client.get("/v1/routes?limit=0", token=s["token"]), 400,
                 "invalid_limit")
    assert_error(client.get("/v1/routes?cursor=nope", token=s["token"]), 400,
                 "invalid_cursor")


def test_an_org_sees_only_its_own_routes(client):
    a, b = client.signup(), client.signup()
    mine = add(client, a["token"]).json["id"]
    add(client, b["token"])
    r = client.get("/v1/routes", token=a["token"])
    assert [x["id"] for x in r.json["data"]] == [mine]
    assert_error(client.delete("/v1/routes/" + mine, token=b["token"]), 404,
                 "not_found")


def test_a_test_credential_reads_routes_but_cannot_change_them(client, db):
    s = client.signup()
    rid = add(client, s["token"]).json["id"]
    test_key = s["api_key"]["key"]       # the signup's test key holds *
    r = client.get("/v1/routes", headers={"X-API-Key": test_key})
    assert r.status == 200 and [x["id"] for x in r.json["data"]] == [rid]
    assert_error(add(client, test_key), 403, "live_mode_required")
    assert_error(client.delete("/v1/routes/" + rid,
                               headers={"X-API-Key": test_key}), 403,
                 "live_mode_required")
    assert query(db, "SELECT count(*) FROM latchkey.org_routes "
                 "WHERE org_id = %s", s["org"]["id"]) == [(1,)]


def test_deleting_a_route_removes_it_and_is_audited(client, db):
    s = client.signup()
    pat = pattern()
    rid = add(client, s["token"], "PUT", pat, "keys.read").json["id"]
    r = client.delete("/v1/routes/" + rid, token=s["token"])
    assert r.status == 204 and r.raw == "", r
    assert query(db, "SELECT count(*) FROM latchkey.org_routes "
                 "WHERE id = %s", rid) == [(0,)]
    ev = query(db, "SELECT detail::text FROM latchkey.audit_events "
               "WHERE target_id = %s AND action = 'route.deleted'", rid)
    assert [json.loads(e[0]) for e in ev] == [
        {"method": "PUT", "pattern": pat, "permission": "keys.read"}]
    assert_error(client.delete("/v1/routes/" + rid, token=s["token"]), 404,
                 "not_found")
    assert_error(client.delete("/v1/routes/not-a-uuid", token=s["token"]),
                 404, "not_found")


@needs_upstream
def test_an_org_route_adds_its_permission_for_the_orgs_callers_only(
        client, org):
    prefix = "/demo/r" + secrets.token_hex(4)
    path = prefix + "/x"
    both = make_key(client, org["token"], ["demo.read", "keys.read"])
    other = client.signup()
    other_key = make_key(client, other["token"], ["demo.read"])
    assert reached(client.get(path, headers={"X-API-Key":
                                             org["demo_key"]["key"]}))
    rid = add(client, org["token"], "GET", prefix + "/*",
              "keys.read").json["id"]

    def refused():
        return client.get(path, headers={"X-API-Key":
                                         org["demo_key"]["key"]})
    r = eventually(lambda: refused().status == 403 and refused())
    assert r, "the org route did not take effect"
    before = hits()
    assert_denied(refused(), 403, "permission_denied", before)
    assert "keys.read" in refused().json["error"]["message"]
    # Holding both passes; another org's callers never see the route.
    assert reached(client.get(path, headers={"X-API-Key": both["key"]}))
    assert reached(client.get(path, headers={"X-API-Key":
                                             other_key["key"]}))
    # Other paths of the operator's route are untouched.
    assert reached(client.get("/demo/elsewhere", headers={
        "X-API-Key": org["demo_key"]["key"]}))
    assert client.delete("/v1/routes/" + rid, token=org["token"]).status == \
        204
    assert eventually(lambda: reached(refused())), \
        "the deleted route still applies"


@needs_upstream
def test_an_org_route_never_opens_what_the_operator_closed(client, org):
    # The operator's permission still applies under the org's route.
    key = make_key(client, org["token"], ["keys.read"])
    prefix = "/demo/o" + secrets.token_hex(4)
    add(client, org["token"], "GET", prefix + "/*", "keys.read")
    before = hits()
    r = eventually(lambda: client.get(prefix + "/a", headers={
        "X-API-Key": key["key"]}))
    assert_denied(r, 403, "permission_denied", before)
    assert "demo.read" in r.json["error"]["message"]


def test_the_catalog_and_roles_name_the_route_permissions(client):
    s = client.signup()
    names = {p["name"] for p in client.get(
        "/v1/permissions", token=s["token"]).json["data"]}
    assert {"routes.read", "routes.write"} <= names
    roles = {x["name"]: x["permissions"] for x in client.get(
        "/v1/roles", token=s["token"]).json["data"]}
    assert "routes.read" in roles["member"] and \
        "routes.read" in roles["viewer"]
    assert "routes.write" not in roles["member"] + roles["viewer"]


@needs_service_key
def test_a_service_key_adds_and_deletes_an_orgs_routes(client, db):
    s = client.signup()
    h = service_headers(s["org"]["id"], "live")
    r = client.post("/v1/routes", {"method": "GET", "pattern": pattern(),
                                   "permission": "keys.read"}, headers=h)
    assert r.status == 201, r
    assert (r.json["created_by_user"], r.json["created_by_key"]) == \
        (None, None)
    assert query(db, "SELECT actor_kind FROM latchkey.audit_events "
                 "WHERE target_id = %s", r.json["id"]) == [("service",)]
    assert client.delete("/v1/routes/" + r.json["id"],
                         headers=h).status == 204


@needs_upstream
def test_a_direct_token_passes_an_org_route_only_if_its_creator_may(
        client):
    s = client.signup()
    _, member = add_user(client, s["token"], "member")
    prefix = "/demo/d" + secrets.token_hex(4)
    ctl("route", "add", "GET", prefix + "/*", "--direct", "call")
    try:
        tokens = {}
        for who, cred in (("owner", s["token"]), ("member", member)):
            d = make_direct(client, cred, "call", "c-" + who)
            r = boot(client, d)
            assert r.status == 200, r
            tokens[who] = r.json["token"]
        path = prefix + "/c-1"
        assert eventually(lambda: reached(client.get(
            path, token=tokens["member"]))), "the direct route is not in"
        # The member's role lacks users.write; the owner's holds *.
        assert add(client, s["token"], "GET", prefix + "/*",
                   "users.write").status == 201
        before = hits()
        r = eventually_status(lambda: client.get(path,
                                                 token=tokens["member"]),
                              403)
        assert_denied(r, 403, "direct_creator_lacks_permission", before)
        assert reached(client.get(path, token=tokens["owner"]))
    finally:
        ctl("route", "delete", "GET", prefix + "/*")
