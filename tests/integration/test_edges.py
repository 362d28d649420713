"""What reaches the upstream, and what the web servers answer themselves.

Through lighttpd and Apache (the client fixture), with the demo upstream
of the harness behind latchkey's authorizer (tests/demo/upstream.py
echoes every header it received and the raw query string):

- the upstream gets identity, never the caller's secret: X-API-Key,
  X-Internal-Key, a latchkey Authorization, ?accesskey= and ?token= are
  removed; the upstream's own Authorization and every other parameter
  pass as sent;
- query strings are redacted in the request history;
- a ';' in a path is refused (Tomcat-style "..;" dot segments);
- a request URI over latchkeyd's limit is answered 414, never judged by
  a prefix;
- every error the web server makes itself (malformed request, body too
  large, latchkeyd down) is JSON.
"""
import json
import secrets

import pytest

from helpers import (HITS, JSON, SERVICE_KEY, assert_error,
                     assert_path_refused, hits, history_row,
                     latchkeyd_stopped, needs_harness, needs_service_key,
                     needs_upstream, raw_http, reached, service_headers)

URI_MAX = 8192          # HTTP_URI_MAX in src/daemon/http.h
SECRET_HEADERS = ("x-api-key", "x-internal-key")


def received(r):
    """The upstream's echo of the headers it got: [(lower name, value)]."""
    return [(k.lower(), v) for k, v in r.json["received"]]


def assert_nothing_secret(r, secret):
    assert reached(r), r
    for name, value in received(r):
        assert secret not in value, (name, r.json["received"])
        assert name not in SECRET_HEADERS, r.json["received"]
    assert secret not in r.json["raw_query"], r.json["raw_query"]
    assert secret not in r.json["path"]


# --- 1. the upstream gets identity, never secrets -------------------------

@needs_upstream
@pytest.mark.parametrize("transport", ["x-api-key", "bearer-key", "accesskey",
                                       "bearer-jwt", "token"])
def test_no_credential_reaches_the_upstream(client, org, transport):
    key, jwt = org["demo_key"]["key"], org["token"]
    path, headers, secret = {
        "x-api-key": ("/demo/s?a=1", {"X-API-Key": key}, key),
        "bearer-key": ("/demo/s?a=1", {"Authorization": "Bearer " + key},
                       key),
        "accesskey": ("/demo/s?a=1&accesskey=" + key, {}, key),
        "bearer-jwt": ("/demo/s?a=1", {"Authorization": "Bearer " + jwt},
                       jwt),
        "token": ("/demo/s?token=%s&a=1" % jwt, {}, jwt),
    }[transport]
    r = client.get(path, headers=headers)
    assert_nothing_secret(r, secret)
    assert "authorization" not in dict(received(r))
    assert r.json["raw_query"] == "a=1"
    # The identity did arrive.
    assert r.json["identity"]["org_id"] == org["org"]["id"]
    assert r.json["identity"]["credential_kind"] == (
        "user" if secret == jwt else "api_key")


@needs_upstream
@needs_service_key
@pytest.mark.parametrize("how", ["header", "bearer"])
def test_a_service_key_never_reaches_the_upstream(client, how):
    s = client.signup()
    r = client.get("/demo/svc-secret", headers=service_headers(
        s["org"]["id"], how=how))
    assert_nothing_secret(r, SERVICE_KEY)
    assert "authorization" not in dict(received(r))
    assert r.json["identity"]["credential_kind"] == "service"


@needs_upstream
def test_look_alike_secret_headers_never_reach_the_upstream(client, org):
    # X_API_Key is X-API-Key to an upstream that maps names the CGI way
    # (and lighttpd hands it to latchkey as HTTP_X_API_KEY).  lighttpd
    # removes it after the grant; Apache refuses such a request.
    key = org["demo_key"]["key"]
    before = hits()
    r = client.get("/demo/lookalike-secret", headers={"X_API_Key": key})
    if client.name == "apache":
        # Apache refuses the look-alike name itself (apache-conf), before
        # the authorizer is asked.
        assert (r.status, r.code) == (403, "forbidden"), r
        assert r.header("Content-Type") == JSON
        assert hits() == before
    else:
        assert_nothing_secret(r, key)


@needs_upstream
def test_other_query_parameters_arrive_as_sent_and_in_order(client, org):
    key = org["demo_key"]["key"]
    q = ("b=2&accesskey=%s&a=1&a=0&mytoken=x&tokens=y&Token=z&c=%%41+b"
         "&empty=&flag&%%74oken=t&x=token" % key)
    r = client.get("/demo/order?" + q)
    assert_nothing_secret(r, key)
    assert r.json["raw_query"] == ("b=2&a=1&a=0&mytoken=x&tokens=y&Token=z"
                                   "&c=%41+b&empty=&flag&x=token")
    # Without a credential parameter: the same, escapes as sent.
    r = client.get("/demo/order?c=%41+b&d=%2F", headers={"X-API-Key": key})
    assert_nothing_secret(r, key)
    assert r.json["raw_query"] == "c=%41+b&d=%2F"
    # Only the credential parameters: nothing left is no query at all.
    r = client.get("/demo/order?accesskey=" + key)
    assert_nothing_secret(r, key)
    assert r.json["raw_query"] == ""


@needs_upstream
def test_the_upstreams_own_authorization_passes(client, public_route):
    for value in ("Basic dXNlcjpwYXNz", "Bearer upstream-own-token"):
        r = client.get(public_route + "/a",
                       headers={"Authorization": value})
        assert reached(r), r
        assert dict(received(r)).get("authorization") == value


@needs_upstream
def test_a_latchkey_credential_on_a_public_route_is_removed(
        client, org, public_route):
    for secret in (org["demo_key"]["key"], org["token"]):
        r = client.get(public_route + "/a?x=1&token=" + secret,
                       headers={"Authorization": "Bearer " + secret})
        assert_nothing_secret(r, secret)
        assert "authorization" not in dict(received(r))
        assert r.json["raw_query"] == "x=1"
        r = client.get(public_route + "/a", headers={"X-API-Key": secret})
        assert_nothing_secret(r, secret)


# --- 2. the request history redacts query strings -------------------------

def stored_query(db, request_id):
    """The query string the request history holds for request_id."""
    return history_row(db, request_id, "query")[0]


def test_query_secrets_are_redacted_in_the_history(client, db):
    rid = "edges-" + secrets.token_hex(8)
    r = client.get("/v1/me?password=p4ss&client_secret=c5ec&api_key=k3y"
                   "&Access_Token=t0k&page=2&refresh_token=r3f",
                   headers={"X-Request-Id": rid})
    assert r.status == 401, r
    stored = stored_query(db, rid)
    assert stored == ("password=[REDACTED]&client_secret=[REDACTED]"
                      "&api_key=[REDACTED]&Access_Token=[REDACTED]&page=2"
                      "&refresh_token=[REDACTED]")
    for secret in ("p4ss", "c5ec", "k3y", "t0k", "r3f"):
        assert secret not in stored


@needs_upstream
def test_query_secrets_are_redacted_for_the_authorizer_too(client, org, db):
    rid = "edges-" + secrets.token_hex(8)
    key = org["demo_key"]["key"]
    r = client.get("/demo/h?accesskey=%s&secret=s3c&x=1" % key,
                   headers={"X-Request-Id": rid})
    assert reached(r), r
    stored = stored_query(db, rid)
    assert stored == "accesskey=[REDACTED]&secret=[REDACTED]&x=1"


# --- 3. paths ---------------------------------------------------------------

@needs_upstream
@pytest.mark.parametrize("path", ["/..;/admin", "/..%3B/admin",
                                  "/..%3b/admin", "/a;jsessionid=1",
                                  "/.;/admin", "/a%3Bb"])
def test_a_semicolon_in_a_path_is_refused(client, public_route, path):
    before = hits()
    assert_path_refused(client, client.get(public_route + path), before)


@pytest.mark.parametrize("path", ["/demo/pub/..;/admin", "/demo/a;b",
                                  "/demo/pub/..%3B/admin"])
def test_latchkeyd_itself_refuses_a_semicolon_in_a_path(client, path):
    # The web servers' guards answer first for /demo/; /v1/auth/verify
    # reaches latchkeyd's own path rules (src/lib/authz.c).
    s = client.signup()
    r = client.post("/v1/auth/verify", {"credential": s["token"],
                    "method": "GET", "path": path})
    assert_error(r, 400, "malformed_path")


def test_a_uri_over_latchkeyds_limit_is_414_not_judged_by_a_prefix(client):
    # A valid credential parameter just past the limit: judged by its
    # first 8 KiB the request would be anonymous (401); it is refused.
    s = client.signup()
    pad = "p=" + "a" * (URI_MAX - len("/v1/me?") - len("&token=") - 2)
    r = client.get("/v1/me?%s&token=%s" % (pad, s["token"]))
    assert_error(r, 414, "uri_too_long")
    # At the limit it is judged whole.
    uri = "/v1/me?token=%s&p=" % s["token"]
    r = client.get(uri + "a" * (URI_MAX - len(uri)))
    assert r.status == 200, r


@needs_upstream
def test_a_long_uri_never_reaches_the_upstream(client, org):
    before = hits()
    r = client.get("/demo/long?x=" + "a" * URI_MAX,
                   headers={"X-API-Key": org["demo_key"]["key"]})
    assert_error(r, 414, "uri_too_long")
    assert hits() == before


# --- 4. every error is JSON, whoever answers ---------------------------------

def assert_json_error(status, headers, body, want_status, code=None):
    assert status == want_status, (status, body[:300])
    assert headers.get("content-type") == JSON, headers
    doc = json.loads(body)
    assert doc["error"]["message"], doc
    if code is not None:
        assert doc["error"]["code"] == code, doc
    return doc


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
], ids=["request-line", "header", "content-length"])
def test_a_request_the_server_refuses_itself_gets_a_json_400(
        client, request_bytes):
    assert_json_error(*raw_http(client, request_bytes), 400,
                      "bad_request")


def test_a_body_over_the_servers_limit_is_a_json_413(client):
    # Over both web servers' 1 MiB limits (and latchkeyd's).
    body = b'{"email":"a@b.c","password":"' + b"x" * (3 << 19) + b'"}'
    r = client.post("/v1/auth/login", raw=body)
    assert r.status == 413, r
    assert r.header("Content-Type") == JSON
    assert r.code == "body_too_large", r


def test_a_request_line_over_the_servers_limit_is_json(client):
    # Past what the web server reads at all: lighttpd says 431, Apache
    # 414, both in JSON.
    r = client.get("/v1/me?x=" + "a" * (4 * URI_MAX))
    want = {"lighttpd": (431, "headers_too_large"),
            "apache": (414, "uri_too_long")}[client.name]
    assert (r.status, r.code) == want, r
    assert r.header("Content-Type") == JSON


def test_a_path_the_web_server_serves_itself_gets_a_json_404(client):
    # Outside latchkey (the dashboard's static files): the web server's
    # own 404, JSON all the same (lighttpd errors/, Apache errors.conf),
    # and no request id, since latchkeyd never saw it.
    r = client.get("/dashboard/no-such-file-%s.js" % secrets.token_hex(4))
    assert (r.status, r.code) == (404, "not_found"), r
    assert r.header("Content-Type") == JSON
    assert r.json["error"]["message"]
    assert r.header("X-Request-Id") is None


@needs_harness
@pytest.mark.disruptive
def test_with_latchkeyd_down_the_server_answers_json_503(
        client, restores_stack):
    with latchkeyd_stopped():
        for path in ("/health", "/v1/me"):
            r = client.get(path)
            assert r.status == 503, (path, r)
            assert r.header("Content-Type") == JSON
            assert r.code == "service_unavailable", r
        before = hits() if HITS else 0
        r = client.get("/demo/down")
        # The authorizer unreachable: lighttpd says 503 itself; Apache's
        # mod_authnz_fcgi says 500, which apache-conf/errors.lua turns
        # into 503.  The upstream is not contacted.
        assert (r.status, r.code) == (503, "service_unavailable"), r
        assert r.header("Content-Type") == JSON
        if HITS:
            assert hits() == before
