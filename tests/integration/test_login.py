"""Signup, login, JWTs: the way in, and every way of being refused."""
import base64
import hashlib
import hmac
import json
import os
import secrets
import time

from helpers import (MEMBER_PASSWORD, PASSWORD, add_user, assert_error, ctl,
                     login, query, run_built, stack_setting, unique_email)
from private_daemon import Daemon, random_address


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_secret():
    return stack_setting("jwt_secret").encode()


def forge(header, payload, secret=None):
    h = b64(json.dumps(header).encode())
    p = b64(json.dumps(payload).encode())
    sig = b""
    if secret is not None:
        sig = hmac.new(secret, (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64(sig)


def claims_of(token):
    p = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def test_signup_then_login_then_me(client, db):
    email = unique_email("owner")
    r = client.post("/v1/auth/signup", {"org_name": "Acme",
                                        "email": email,
                                        "password": "correct horse"})
    assert r.status == 201, r
    s = r.json
    assert s["org"]["name"] == "Acme"
    assert s["user"]["role"] == "owner" and s["user"]["email"] == email
    assert s["token_type"] == "Bearer" and s["token"].count(".") == 2
    r = client.post("/v1/auth/login", {"email": email.upper(),
                                       "password": "correct horse"})
    assert r.status == 200, r
    assert set(r.json) == {"token", "token_type", "expires_at", "user"}
    assert r.json["user"] == {"id": s["user"]["id"], "email": email,
                              "role": "owner", "org_id": s["org"]["id"]}
    assert r.json["expires_at"].endswith("Z")
    me = client.get("/v1/me", token=r.json["token"])
    assert me.status == 200, me
    assert me.json["kind"] == "user"
    assert me.json["org_id"] == s["org"]["id"]
    assert me.json["user_id"] == s["user"]["id"]
    assert me.json["role"] == "owner"
    assert "*" in me.json["permissions"]
    # The password is stored as a bcrypt hash, never as given.
    rows = query(db, "SELECT password_hash FROM latchkey.users WHERE id = %s",
                 s["user"]["id"])
    assert rows[0][0].startswith("$2b$") and "correct horse" not in rows[0][0]


def test_signup_refuses_a_taken_email_in_any_case(client):
    s = client.signup()
    r = client.post("/v1/auth/signup", {"org_name": "again",
                                        "email": s["user"]["email"].upper(),
                                        "password": "correct horse"})
    assert_error(r, 409, "email_taken")


def test_a_wrong_password_and_an_unknown_email_look_the_same(client):
    s = client.signup()
    wrong = client.post("/v1/auth/login", {"email": s["user"]["email"],
                                           "password": "wrong password"})
    unknown = client.post("/v1/auth/login", {"email": unique_email(),
                                             "password": "wrong password"})
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.json["error"]["message"] == unknown.json["error"]["message"]


def test_login_validates_its_body(client):
    r = client.post("/v1/auth/login", {"email": "a@b.c"})
    assert_error(r, 422, "validation_failed")
    assert "password" in r.json["error"]["fields"]


def test_a_disabled_user_can_neither_log_in_nor_use_a_token(client):
    s = client.signup()
    u, tok = add_user(client, s["token"], "member")
    assert client.get("/v1/me", token=tok).status == 200
    r = client.patch("/v1/users/" + u["id"], {"disabled": True},
                     token=s["token"])
    assert r.status == 200 and r.json["disabled"] is True, r
    r = client.post("/v1/auth/login", {"email": u["email"],
                                       "password": MEMBER_PASSWORD})
    assert_error(r, 401, "account_disabled")
    assert_error(client.get("/v1/me", token=tok), 401, "account_disabled")


def test_a_password_change_revokes_older_tokens(client):
    s = client.signup()
    old = s["token"]
    r = client.patch("/v1/users/" + s["user"]["id"],
                     {"password": "a new password",
                      "current_password": s["password"]}, token=old)
    assert r.status == 200, r
    assert_error(client.get("/v1/me", token=old), 401, "revoked_token")
    new = login(client, s["user"]["email"], "a new password")
    assert client.get("/v1/me", token=new).status == 200


def test_no_credential_is_401(client):
    assert_error(client.get("/v1/me"), 401, "missing_credentials")


def test_a_token_is_accepted_in_the_token_parameter(client):
    s = client.signup()
    r = client.get("/v1/me?token=" + s["token"])
    assert r.status == 200, r


def test_a_key_shaped_value_in_the_token_parameter_names_the_right_one(client):
    r = client.get("/v1/me?token=lk_live_0123456789abcdefghijklABCDEF")
    assert_error(r, 401, "wrong_parameter")
    assert "accesskey" in r.json["error"]["message"]


def test_a_jwt_in_the_accesskey_parameter_names_the_right_one(client):
    s = client.signup()
    r = client.get("/v1/me?accesskey=" + s["token"])
    assert_error(r, 401, "wrong_parameter")
    assert "token" in r.json["error"]["message"]


def test_two_credentials_are_400(client):
    s = client.signup()
    r = client.get("/v1/me?token=" + s["token"], token=s["token"])
    assert_error(r, 400, "multiple_credentials")
    r = client.get("/v1/me?token=%s&token=%s" % (s["token"], s["token"]))
    assert_error(r, 400, "duplicate_credentials")


def test_a_basic_authorization_header_is_refused(client):
    r = client.get("/v1/me", headers={"Authorization": "Basic YTpi"})
    assert_error(r, 401, "invalid_authorization")


def test_a_tampered_payload_is_401(client):
    s = client.signup()
    h, p, sig = s["token"].split(".")
    claims = claims_of(s["token"])
    claims["sub"] = "00000000-0000-4000-8000-000000000000"
    forged = h + "." + b64(json.dumps(claims).encode()) + "." + sig
    assert_error(client.get("/v1/me", token=forged), 401, "invalid_token")


def test_a_tampered_signature_is_401(client):
    s = client.signup()
    h, p, sig = s["token"].split(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert_error(client.get("/v1/me", token=h + "." + p + "." + flipped),
                 401, "invalid_token")


def test_alg_none_is_refused(client):
    s = client.signup()
    claims = claims_of(s["token"])
    for header in [{"alg": "none", "typ": "JWT"}, {"alg": "None"},
                   {"alg": "NONE"}, {"typ": "JWT"}]:
        tok = forge(header, claims)
        assert_error(client.get("/v1/me", token=tok), 401, "invalid_token")


def test_another_alg_signed_with_the_secret_is_refused(client):
    s = client.signup()
    claims = claims_of(s["token"])
    for alg in ["HS512", "RS256", "hs256"]:
        tok = forge({"alg": alg, "typ": "JWT"}, claims, jwt_secret())
        assert_error(client.get("/v1/me", token=tok), 401, "invalid_token")


def test_a_correctly_signed_but_expired_token_is_401(client):
    s = client.signup()
    claims = claims_of(s["token"])
    now = int(time.time())
    claims["iat"], claims["exp"] = now - 7200, now - 3600
    tok = forge({"alg": "HS256", "typ": "JWT"}, claims, jwt_secret())
    assert_error(client.get("/v1/me", token=tok), 401, "expired_token")
    # The same claims, unexpired, pass: the forge is faithful.
    claims["exp"] = now + 3600
    tok = forge({"alg": "HS256", "typ": "JWT"}, claims, jwt_secret())
    assert client.get("/v1/me", token=tok).status == 200


def test_a_token_issued_in_the_future_is_401(client):
    s = client.signup()
    claims = claims_of(s["token"])
    now = int(time.time())
    claims["iat"], claims["exp"] = now + 3600, now + 7200
    tok = forge({"alg": "HS256", "typ": "JWT"}, claims, jwt_secret())
    assert_error(client.get("/v1/me", token=tok), 401, "invalid_token")


def test_a_huge_token_is_401_not_a_crash(client):
    tok = "a" * 2500 + "." + "b" * 2500 + "." + "c" * 100
    assert_error(client.get("/v1/me", token=tok), 401, "invalid_token")


# --- abuse limits: a private latchkeyd with its own settings -----------------
#
# These speak FastCGI to a latchkeyd of their own (private_daemon.py), so
# that they can set small limits and choose REMOTE_ADDR and
# X-Forwarded-For.  Client addresses are random (198.18.0.0/15, the
# benchmarking range), so no two runs share a rate-limit bucket.

def bucket_exists(db, name):
    return query(db, "SELECT count(*) FROM latchkey.rate_state "
                 "WHERE bucket = %s", name)[0][0] == 1


def signup_body(email=None):
    return {"org_name": "throttled", "email": email or unique_email("su"),
            "password": PASSWORD}


def test_signup_is_throttled_per_client_address(db):
    peer, other = random_address(), random_address()
    with Daemon({"signup_rate_per_min": "2"}) as d:
        for _ in range(2):
            assert d.request("POST", "/v1/auth/signup", signup_body(),
                             remote=peer).status == 201
        email = unique_email("su")
        r = d.request("POST", "/v1/auth/signup", signup_body(email),
                      remote=peer)
        assert r.status == 429 and r.code == "rate_limited", r
        assert int(r.headers["retry-after"]) >= 1
        assert r.json["error"]["request_id"]
        assert query(db, "SELECT count(*) FROM latchkey.users WHERE "
                     "lower(email) = lower(%s)", email) == [(0,)]
        # Another address has its own bucket.
        r = d.request("POST", "/v1/auth/signup", signup_body(email),
                      remote=other)
        assert r.status == 201, r
    assert bucket_exists(db, "signup:ip:" + peer)


def test_closed_signup_is_403_and_creates_nothing(db):
    email = unique_email("closed")
    with Daemon({"signup": "closed"}) as d:
        r = d.request("POST", "/v1/auth/signup", signup_body(email),
                      remote=random_address())
        assert r.status == 403 and r.code == "signup_closed", r
        assert r.json["error"]["message"]
        # Logging in still works on a closed deployment.
        r = d.request("POST", "/v1/auth/login", {"email": email,
                                                 "password": "x" * 8},
                      remote=random_address())
        assert r.status == 401 and r.code == "invalid_credentials", r
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE "
                 "lower(email) = lower(%s)", email) == [(0,)]


def failed_login(d, remote, xff=None):
    return d.request("POST", "/v1/auth/login",
                     {"email": unique_email("nobody"),
                      "password": "wrong password"}, remote=remote,
                     headers={"X-Forwarded-For": xff} if xff else None)


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(db):
    peer = random_address()
    forged = [random_address() for _ in range(3)]
    with Daemon({"login_rate_per_min": "2",
                 "trusted_proxies": "10.0.0.0/8"}) as d:
        for xff in forged[:2]:
            r = failed_login(d, peer, xff)
            assert r.status == 401 and r.code == "invalid_credentials", r
        # A fresh forged address does not buy a fresh bucket.
        r = failed_login(d, peer, forged[2])
        assert r.status == 429 and r.code == "rate_limited", r
    assert bucket_exists(db, "login:ip:" + peer)
    for a in forged:
        assert not bucket_exists(db, "login:ip:" + a)


def test_x_forwarded_for_is_honoured_from_a_trusted_peer(db):
    proxy = "10.%d.%d.%d" % tuple(1 + secrets.randbelow(254)
                                  for _ in range(3))
    client, other = random_address(), random_address()
    with Daemon({"login_rate_per_min": "2",
                 "trusted_proxies": "10.0.0.0/8, 2001:db8::/32"}) as d:
        for _ in range(2):
            r = failed_login(d, proxy, client)
            assert r.status == 401, r
        # The right-most address that is not a trusted proxy counts: a
        # client prepending a forged address gains nothing, nor does a
        # second proxy in the chain hide it.
        r = failed_login(d, proxy, random_address() + ", " + client)
        assert r.status == 429 and r.code == "rate_limited", r
        r = failed_login(d, proxy, client + ", 10.200.0.1")
        assert r.status == 429, r
        # Another client behind the same proxy has its own bucket.
        r = failed_login(d, proxy, other)
        assert r.status == 401, r
    assert bucket_exists(db, "login:ip:" + client)
    assert not bucket_exists(db, "login:ip:" + proxy)


def test_the_login_email_bucket_folds_case_like_the_database(db):
    tag = secrets.token_hex(5)
    upper = "ÉVE-%s@EXAMPLE.TEST" % tag
    lower = "éve-%s@example.test" % tag
    mixed = "Éve-%s@Example.Test" % tag
    assert query(db, "SELECT lower(%s) = lower(%s)", upper, lower) == \
        [(True,)], "the test database must fold non-ASCII letters"
    with Daemon({"login_rate_per_min": "2"}) as d:
        for email in (upper, lower):
            r = d.request("POST", "/v1/auth/login", {
                "email": email, "password": "wrong password"},
                remote=random_address())
            assert r.status == 401, r
        # A third spelling from a third address: the one account's
        # bucket is empty.
        r = d.request("POST", "/v1/auth/login", {
            "email": mixed, "password": "wrong password"},
            remote=random_address())
        assert r.status == 429 and r.code == "rate_limited", r
        # Another account is not affected.
        r = d.request("POST", "/v1/auth/login", {
            "email": "adam-%s@example.test" % tag,
            "password": "wrong password"}, remote=random_address())
        assert r.status == 401, r
    assert bucket_exists(db, "login:email:" + lower)
    assert not bucket_exists(db, "login:email:" + upper)


# --- check-config and latchkeyd refuse weak secrets ---------------------------

def config_with_secret(secret):
    return ("database_url = dbname=unused\n"
            "history_database_url = dbname=unused\n"
            "listen = 127.0.0.1:1\n"
            "jwt_secret = %s\n" % secret)


def test_check_config_refuses_the_example_secret_and_a_weak_one():
    example = os.path.join(os.path.dirname(__file__), "..", "..",
                           "latchkey.conf.example")
    with open(example) as f:
        secret = [line.partition("=")[2].strip() for line in f
                  if line.startswith("jwt_secret =")][0]
    cases = [(secret, "example value"),
             ("k" * 40, "too weak"),
             ("abcd" * 12, "too weak"),
             ("short", "at least 32 bytes")]
    for value, why in cases:
        r = ctl("check-config", check=False, database=False,
                config=config_with_secret(value))
        assert r.returncode != 0, (value, r.stdout)
        assert why in r.stderr and "jwt_secret" in r.stderr, r.stderr
        assert value not in r.stderr or value == "short", r.stderr
    ctl("check-config", database=False,
        config=config_with_secret(secrets.token_hex(32)))


def test_latchkeyd_refuses_to_start_with_a_weak_secret():
    r = run_built("latchkeyd", [], config_with_secret("k" * 40))
    assert r.returncode == 1, r
    assert "jwt_secret is too weak" in r.stderr, r.stderr
