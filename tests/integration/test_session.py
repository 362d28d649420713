"""test_session.py: the dashboard's browser session over HTTP.

POST /v1/auth/session checks email and password like login and sets an
HttpOnly, SameSite=Strict cookie; the cookie is a credential of the
lowest precedence; unsafe requests it authenticates must pass the CSRF
check; DELETE /v1/auth/session, a password change or a disabled account
end it.  Every test runs through lighttpd and Apache (the client fixture).
"""
import hashlib

from helpers import (assert_error, eventually_status,
                     history_row, query, unique_email)

J = {"Content-Type": "application/json"}


def sign_in(client, s):
    r = client.post("/v1/auth/session", {"email": s["user"]["email"],
                                         "password": s["password"]})
    assert r.status == 201, r
    cookie = r.header("Set-Cookie")
    value = cookie.split(";")[0].split("=", 1)[1]
    return r, cookie, value


def origin(client):
    return "http://%s:%d" % (client.host, client.port)


def with_cookie(value, client=None, csrf=True, **extra):
    h = {"Cookie": "lk_session=" + value}
    if client is not None:
        h["Origin"] = origin(client)
    if csrf:
        h["X-Latchkey-CSRF"] = "1"
    h.update(extra)
    return h


def me_by_cookie(client, value):
    """GET /v1/me with the session cookie alone."""
    return client.get("/v1/me", headers=with_cookie(value, csrf=False))


def assert_cookie_refused(client, value, code):
    """The session cookie is refused, 401 code, once the change made
    behind latchkey's back reached the worker's cache."""
    r = eventually_status(lambda: me_by_cookie(client, value), 401)
    assert_error(r, 401, code)


def test_signing_in_sets_an_httponly_strict_cookie_and_stores_only_its_hash(
        client, db):
    s = client.signup()
    r, cookie, value = sign_in(client, s)
    attrs = [a.strip() for a in cookie.split(";")]
    assert attrs[0].startswith("lk_session=lks_")
    assert "Path=/" in attrs and "HttpOnly" in attrs
    assert "SameSite=Strict" in attrs
    assert "Secure" not in attrs          # plain HTTP here
    assert "Max-Age=86400" in attrs
    assert value not in r.raw             # the body never holds it
    assert r.json["user"]["email"] == s["user"]["email"]
    assert r.json["csrf_header"] == "X-Latchkey-CSRF"
    rows = query(db, "SELECT secret_hash, org_id::text, user_id::text "
                 "FROM latchkey.sessions WHERE user_id = %s",
                 s["user"]["id"])
    assert len(rows) == 1
    assert bytes(rows[0][0]) == hashlib.sha256(value.encode()).digest()
    assert rows[0][1:] == (s["org"]["id"], s["user"]["id"])
    # The request history holds the sign-in without the password.
    rid = r.header("X-Request-Id")
    (body,) = history_row(db, rid, "request_body")
    assert s["password"] not in body


def test_a_wrong_password_sets_no_cookie_and_stores_no_session(client, db):
    s = client.signup()
    r = client.post("/v1/auth/session", {"email": s["user"]["email"],
                                         "password": "wrong password"})
    assert r.status == 401 and r.code == "invalid_credentials", r
    assert r.header("Set-Cookie") is None
    assert query(db, "SELECT count(*) FROM latchkey.sessions "
                 "WHERE user_id = %s", s["user"]["id"]) == [(0,)]
    r = client.post("/v1/auth/session", {"email": unique_email(),
                                         "password": "whatever pw"})
    assert r.status == 401 and r.code == "invalid_credentials", r


def test_signing_in_is_throttled_like_login(client):
    s = client.signup()
    codes = [client.post("/v1/auth/session", {
        "email": s["user"]["email"], "password": "wrong password"}).status
        for _ in range(10)]
    assert codes == [401] * 10
    r = client.post("/v1/auth/session", {"email": s["user"]["email"],
                                         "password": s["password"]})
    assert r.status == 429 and r.code == "rate_limited", r
    assert r.header("Set-Cookie") is None


def test_a_sign_in_from_another_sites_page_is_refused(client, db):
    s = client.signup()
    r = client.post("/v1/auth/session", {"email": s["user"]["email"],
                                         "password": s["password"]},
                    headers={"Origin": "http://evil.example"})
    assert r.status == 403 and r.code == "csrf_failed", r
    assert r.header("Set-Cookie") is None
    assert query(db, "SELECT count(*) FROM latchkey.sessions "
                 "WHERE user_id = %s", s["user"]["id"]) == [(0,)]


def test_the_cookie_authenticates_reads_as_the_user(client):
    s = client.signup()
    _, _, value = sign_in(client, s)
    r = client.get("/v1/me", headers=with_cookie(value, csrf=False))
    assert r.status == 200, r
    assert r.json["kind"] == "user"
    assert r.json["user_id"] == s["user"]["id"]
    assert r.json["mode"] == "live"
    r = client.get("/v1/me", headers=with_cookie(
        value, csrf=False, **{"X-Latchkey-Mode": "test"}))
    assert r.status == 200 and r.json["mode"] == "test", r


def test_unsafe_requests_with_the_cookie_need_origin_and_header(client, db):
    s = client.signup()
    _, _, value = sign_in(client, s)
    body = {"name": "csrf", "permissions": ["keys.read"]}
    cases = [
        ({"Origin": "http://evil.example", "X-Latchkey-CSRF": "1"}, 403),
        ({"Origin": origin(client)}, 403),                 # no header
        ({"X-Latchkey-CSRF": "1"}, 403),                   # no origin
        ({"Origin": "null", "X-Latchkey-CSRF": "1"}, 403),
        ({"Origin": origin(client) + ".evil.example",
          "X-Latchkey-CSRF": "1"}, 403),
        ({"Referer": "http://evil.example/dashboard/",
          "X-Latchkey-CSRF": "1"}, 403),
        ({"Referer": origin(client) + "/dashboard/keys",
          "X-Latchkey-CSRF": "1"}, 201),
        ({"Origin": origin(client), "X-Latchkey-CSRF": "1"}, 201),
    ]
    for extra, want in cases:
        h = {"Cookie": "lk_session=" + value}
        h.update(extra)
        r = client.post("/v1/api-keys", body, headers=h)
        assert r.status == want, (extra, r)
        if want == 403:
            assert r.code == "csrf_failed", r
    assert query(db, "SELECT count(*) FROM latchkey.api_keys "
                 "WHERE name = 'csrf' AND org_id = %s",
                 s["org"]["id"]) == [(2,)]


def test_an_explicit_credential_wins_over_the_cookie(client):
    s = client.signup()
    # A stale cookie next to a token: the token decides, and no CSRF
    # check applies (the cookie is not what authenticated).
    h = {"Cookie": "lk_session=lks_" + "0" * 64}
    r = client.get("/v1/me", token=s["token"], headers=h)
    assert r.status == 200 and r.json["kind"] == "user", r
    r = client.post("/v1/api-keys", {"name": "t", "permissions": []},
                    token=s["token"], headers=h)
    assert r.status == 201, r
    r = client.get("/v1/me", headers=dict(h, **{
        "X-API-Key": s["api_key"]["key"]}))
    assert r.status == 200 and r.json["kind"] == "api_key", r


def test_bad_and_doubled_cookies_are_refused(client):
    s = client.signup()
    _, _, value = sign_in(client, s)
    for cookie, status, code in [
            ("lk_session=nonsense", 401, "invalid_session"),
            ("lk_session=lks_" + "0" * 64, 401, "invalid_session"),
            ("lk_session=%s; lk_session=%s" % (value, value), 400,
             "duplicate_credentials"),
            ("other=1", 401, "missing_credentials")]:
        r = client.get("/v1/me", headers={"Cookie": cookie})
        assert (r.status, r.code) == (status, code), (cookie, r)
    r = client.get("/v1/me", headers={
        "Cookie": "theme=dark; lk_session=%s; x=y" % value})
    assert r.status == 200, r


def test_signing_out_ends_the_session(client, db):
    s = client.signup()
    _, _, value = sign_in(client, s)
    # Without the CSRF header even sign-out is refused.
    r = client.delete("/v1/auth/session", headers=with_cookie(
        value, client, csrf=False))
    assert r.status == 403 and r.code == "csrf_failed", r
    r = client.delete("/v1/auth/session", headers=with_cookie(value, client))
    assert r.status == 204, r
    attrs = [a.strip() for a in r.header("Set-Cookie").split(";")]
    assert attrs[0] == "lk_session=" and "Max-Age=0" in attrs
    assert query(db, "SELECT count(*) FROM latchkey.sessions "
                 "WHERE user_id = %s", s["user"]["id"]) == [(0,)]
    r = client.get("/v1/me", headers=with_cookie(value, csrf=False))
    assert r.status == 401 and r.code == "invalid_session", r
    acts = query(db, "SELECT action FROM latchkey.audit_events WHERE "
                 "org_id = %s AND action LIKE 'session.%%' ORDER BY "
                 "created_at", s["org"]["id"])
    assert acts == [("session.created",), ("session.ended",)]


def test_signing_out_needs_a_session(client):
    s = client.signup()
    r = client.delete("/v1/auth/session", token=s["token"])
    assert r.status == 400 and r.code == "no_session", r
    r = client.delete("/v1/auth/session")
    assert r.status == 401 and r.code == "missing_credentials", r


def test_a_password_change_or_a_disabled_account_ends_the_session(
        client, db):
    s = client.signup()
    _, _, value = sign_in(client, s)
    query(db, "UPDATE latchkey.users SET token_version = token_version "
          "+ 1 WHERE id = %s", s["user"]["id"])
    assert_cookie_refused(client, value, "revoked_session")
    # A new sign-in works again; disabling the account ends it too.
    _, _, value = sign_in(client, s)
    assert me_by_cookie(client, value).status == 200
    query(db, "UPDATE latchkey.users SET disabled = true WHERE id = %s",
          s["user"]["id"])
    assert_cookie_refused(client, value, "account_disabled")


def test_an_expired_session_is_refused(client, db):
    s = client.signup()
    _, _, value = sign_in(client, s)
    query(db, "UPDATE latchkey.sessions SET expires_at = now() - "
          "interval '1 second' WHERE user_id = %s", s["user"]["id"])
    assert_cookie_refused(client, value, "expired_session")


def test_the_upstream_behind_the_authorizer_does_not_take_the_cookie(
        client, db):
    s = client.signup()
    # The owner may call the demo upstream with a login token...
    assert client.get("/demo/hello", token=s["token"]).status == 200
    # ...but not with the dashboard's cookie.
    _, _, value = sign_in(client, s)
    r = client.get("/demo/hello", headers=with_cookie(value, csrf=False))
    assert r.status == 401 and r.code == "missing_credentials", r
