"""latchkey in the FastCGI AUTHORIZER role, in front of an upstream.

Both web servers mount the demo upstream (tests/demo/upstream.py) at
/demo/ behind latchkey's authorizer: lighttpd with mod_fastcgi in
authorizer mode, mod_magnet and mod_proxy (lighttpd-conf/authorizer.conf),
Apache with mod_authnz_fcgi and mod_proxy_http (apache-conf/
authorizer.conf).  The harness registers the route GET /demo/* with the
permission demo.read.  The upstream answers JSON echoing the identity
headers it received, and appends a line to LK_DEMO_HITS for every request
that reaches it, which tells whether a denied request got through.

Direct tokens through the authorizer are tested in
test_service_direct_verify.py.
"""
import pytest

from helpers import (JSON, assert_denied, assert_path_refused, eventually,
                     eventually_status, hits, history_row, latchkeyd_stopped,
                     make_key, needs_harness, needs_service_key,
                     needs_upstream, query, reached, service_headers)

pytestmark = needs_upstream

IDENTITY_HEADERS = (
    "X-Org-Id", "X-Latchkey-Mode", "X-Latchkey-Key-Id", "X-Latchkey-User-Id",
    "X-Latchkey-Permissions", "X-Latchkey-Request-Id",
    "X-Latchkey-Credential-Kind", "X-Latchkey-Resource-Type",
    "X-Latchkey-Resource-Id",
)


def test_an_allowed_request_reaches_the_upstream_with_the_identity(
        client, org):
    key = org["demo_key"]
    before = hits()
    r = client.get("/demo/hello?y=1", headers={"X-API-Key": key["key"]})
    assert reached(r), r
    assert hits() == before + 1
    assert r.json["method"] == "GET"
    assert r.json["path"] == "/demo/hello"
    assert r.json["query"] == "y=1"
    ident = r.json["identity"]
    assert ident["org_id"] == org["org"]["id"]
    assert ident["mode"] == "live"
    assert ident["key_id"] == key["id"]
    assert ident["user_id"] == org["user"]["id"]
    assert ident["permissions"] == ["demo.read"]
    assert ident["credential_kind"] == "api_key"
    assert ident["request_id"]
    # Absent variables leave their header absent.
    assert ident["resource_type"] is None and ident["resource_id"] is None
    assert r.json["repeated"] == []
    assert r.header("Content-Type") == "application/json; charset=utf-8"


def test_the_decision_is_in_the_request_history(client, org, db):
    r = client.get("/demo/history", headers={"X-API-Key":
                                             org["demo_key"]["key"]})
    assert reached(r), r
    rid = r.json["identity"]["request_id"]
    row = history_row(db, rid, "status, method, path, credential_id::text")
    assert row == (200, "GET", "/demo/history", org["demo_key"]["id"])


def test_every_credential_transport_works(client, org):
    key = org["demo_key"]["key"]
    for path, headers, kind in (
            ("/demo/t", {"Authorization": "Bearer " + key}, "api_key"),
            ("/demo/t", {"X-API-Key": key}, "api_key"),
            ("/demo/t?accesskey=" + key, {}, "api_key"),
            ("/demo/t", {"Authorization": "Bearer " + org["token"]}, "user"),
            ("/demo/t?token=" + org["token"], {}, "user")):
        r = client.get(path, headers=headers)
        assert reached(r), (path, headers, r)
        ident = r.json["identity"]
        assert ident["credential_kind"] == kind
        assert ident["org_id"] == org["org"]["id"]
        if kind == "user":
            # A login token: the user, no key.
            assert ident["user_id"] == org["user"]["id"]
            assert ident["key_id"] is None
            assert ident["permissions"] == ["*"]     # the org's owner


def test_no_credential_is_401_and_never_reaches_the_upstream(client):
    before = hits()
    r = client.get("/demo/hello")
    assert_denied(r, 401, "missing_credentials", before)


def test_an_invalid_key_is_401(client):
    before = hits()
    r = client.get("/demo/hello", headers={
        "X-API-Key": "lk_live_0000000000000000000000000000"})
    # Its checksum does not match: refused without a database lookup.
    assert_denied(r, 401, "malformed_api_key", before)


def test_a_key_without_the_permission_is_403(client, org):
    other = make_key(client, org["token"], [], name="none")
    before = hits()
    r = client.get("/demo/hello", headers={"X-API-Key": other["key"]})
    assert_denied(r, 403, "permission_denied", before)


def test_a_revoked_key_is_401(client, org):
    key = org["demo_key"]
    assert reached(client.get("/demo/a", headers={"X-API-Key": key["key"]}))
    r = client.delete("/v1/api-keys/" + key["id"], token=org["token"])
    assert r.status == 204, r
    # Revocation reaches every worker's cache (NOTIFY, cache lifetime).
    r = eventually_status(lambda: client.get(
        "/demo/a", headers={"X-API-Key": key["key"]}), 401)
    assert r.status == 401, "the revoked key was still admitted"
    before = hits()
    r = client.get("/demo/a", headers={"X-API-Key": key["key"]})
    assert_denied(r, 401, "revoked_api_key", before)


def test_a_method_without_a_route_is_403(client, org):
    # Only GET /demo/* is routed: anything else is denied by default,
    # even with a key that holds the permission.
    before = hits()
    r = client.post("/demo/x", {"a": 1},
                    headers={"X-API-Key": org["demo_key"]["key"]})
    assert_denied(r, 403, "no_route", before)


def test_the_rate_limit_applies_with_retry_after(client, org, db):
    key = make_key(client, org["token"], ["demo.read"], name="slow")
    query(db, "UPDATE latchkey.api_keys SET rate_limit_per_min = 2 "
          "WHERE id = %s", key["id"])
    before = hits()
    codes = []
    last = None
    for _ in range(3):
        last = client.get("/demo/rl", headers={"X-API-Key": key["key"]})
        codes.append(last.status)
    assert codes == [200, 200, 429], codes
    assert hits() == before + 2
    assert_denied(last, 429, "rate_limited", before + 2)
    assert int(last.header("Retry-After")) >= 1


def test_forged_identity_headers_never_reach_the_upstream(client, org):
    victim = client.signup()
    forged = {
        "X-Org-Id": victim["org"]["id"],
        "X-Latchkey-Key-Id": "forged",
        "X-Latchkey-User-Id": victim["user"]["id"],
        "X-Latchkey-Permissions": "*",
        "X-Latchkey-Request-Id": "forged",
        "X-Latchkey-Credential-Kind": "service",
        "X-Latchkey-Resource-Type": "forged",
        "X-Latchkey-Resource-Id": "forged",
    }
    key = org["demo_key"]
    r = client.get("/demo/forge", headers=dict(forged,
                                               **{"X-API-Key": key["key"]}))
    assert reached(r), r
    ident = r.json["identity"]
    assert ident["org_id"] == org["org"]["id"]
    assert ident["key_id"] == key["id"]
    assert ident["user_id"] == org["user"]["id"]
    assert ident["permissions"] == ["demo.read"]
    assert ident["credential_kind"] == "api_key"
    assert ident["request_id"] not in (None, "forged")
    assert ident["resource_type"] is None
    assert ident["resource_id"] is None
    assert r.json["repeated"] == []
    for name, value in forged.items():
        assert value not in (r.json["headers"][name] or ""), name

    # Without a credential the forged identity gets nowhere at all.
    before = hits()
    r = client.get("/demo/forge", headers=forged)
    assert_denied(r, 401, "missing_credentials", before)


def test_look_alike_identity_headers_are_removed_or_refused(client, org):
    # X_Org_Id is X-Org-Id to an upstream that maps header names the CGI
    # way.  lighttpd removes such headers; Apache (mod_headers cannot
    # unset by pattern) refuses the request.
    victim = client.signup()
    before = hits()
    r = client.get("/demo/lookalike", headers={
        "X-API-Key": org["demo_key"]["key"],
        "X_Org_Id": victim["org"]["id"],
        "X-Latchkey_Permissions": "*"})
    if client.name == "apache":
        assert (r.status, r.code) == (403, "forbidden"), r
        assert r.header("Content-Type") == JSON
        assert hits() == before
    else:
        assert reached(r), r
        assert r.json["lookalikes"] == [], r.json
        assert r.json["identity"]["org_id"] == org["org"]["id"]


@needs_service_key
@pytest.mark.parametrize("how", ["header", "bearer"])
def test_a_service_key_names_its_org_and_mode_through_the_configs(
        client, how):
    # The configs remove X-Org-Id and X-Latchkey-Mode before the upstream
    # but must not hide them from the authorizer: a service key names the
    # org and the mode it acts for with them.  (lighttpd: identity.lua
    # hands them to the authorizer as request environment.)
    s = client.signup()
    r = client.get("/demo/svc", headers=service_headers(
        s["org"]["id"], "test", how))
    assert reached(r), r
    ident = r.json["identity"]
    assert ident["credential_kind"] == "service"
    assert ident["org_id"] == s["org"]["id"]
    assert ident["mode"] == "test"
    assert ident["key_id"] is None and ident["user_id"] is None
    assert r.json["repeated"] == []
    # And without X-Org-Id the authorizer refuses it.
    before = hits()
    assert_denied(client.get("/demo/svc", headers=service_headers(how=how)),
                  400, "missing_org_id", before)


def test_a_public_route_needs_no_credential(client, public_route):
    r = client.get(public_route + "/a")
    assert reached(r), r
    ident = r.json["identity"]
    # No caller: only the request id is passed on.
    assert ident["request_id"]
    assert [k for k, v in ident.items() if v is not None] == ["request_id"]


@pytest.mark.parametrize("path", [
    "/../secret", "/%2e%2e/secret", "/.%2E/secret", "/..%2fsecret",
    "/./secret", "//secret", "/%73ecret", "/a\\b", "/a%5Cb", "/.."])
def test_a_path_not_in_normal_form_is_refused(client, public_route, path):
    # The authorizer is handed the path as sent; the upstream would get
    # the web server's normalized one.  "/demo/pubX/../secret" must not
    # pass as public and arrive as /demo/secret (which needs demo.read).
    before = hits()
    assert_path_refused(client, client.get(public_route + path), before)


def test_normal_paths_with_dots_and_escapes_pass(client, org):
    key = org["demo_key"]["key"]
    for path in ("/demo/a.b/c", "/demo/.well-known", "/demo/a%20b",
                 "/demo/%E2%82%AC", "/demo/x..y"):
        r = client.get(path, headers={"X-API-Key": key})
        assert reached(r), (path, r)


def test_other_paths_stay_with_latchkey(client):
    # /demo (no slash) and /demox are not the upstream's: latchkey answers
    # them as a responder.
    before = hits()
    for path in ("/demo", "/demox/a"):
        r = client.get(path)
        assert r.status == 404, (path, r)
        assert r.header("Content-Type").startswith("application/json")
        assert r.header("X-Request-Id")
    assert client.get("/health").json["status"] == "ok"
    assert hits() == before


@needs_harness
@pytest.mark.disruptive
def test_with_latchkey_down_the_server_denies(client, org, restores_stack):
    key = org["demo_key"]["key"]
    assert reached(client.get("/demo/down", headers={"X-API-Key": key}))
    with latchkeyd_stopped():
        before = hits()
        r = client.get("/demo/down", headers={"X-API-Key": key})
        # Both 503 JSON (lighttpd's errors/, Apache's errors.lua).
        assert (r.status, r.code) == (503, "service_unavailable"), r
        assert r.header("Content-Type") == JSON
        assert hits() == before, "the upstream was reached without latchkey"
    # latchkeyd_stopped waited for latchkey behind both prefixes; allow a
    # web server a moment more to retry a backend it had marked down.
    assert eventually(lambda: reached(client.get(
        "/demo/down", headers={"X-API-Key": key})))
