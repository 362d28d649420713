"""Signup, login, JWTs: the way in, and every way of being refused."""
import base64
import hashlib
import hmac
import json
import os
import time

from conftest import query, unique_email
from test_http_core import assert_error


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_secret():
    with open(os.environ["LK_CONFIG"]) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == "jwt_secret":
                return v.strip().encode()
    raise AssertionError("no jwt_secret in the config")


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
    email = unique_email("member")
    r = client.post("/v1/users", {"email": email, "password": "member pass",
                                  "role": "member"}, token=s["token"])
    assert r.status == 201, r
    uid = r.json["id"]
    tok = client.post("/v1/auth/login", {"email": email,
                                         "password": "member pass"}).json
    assert client.get("/v1/me", token=tok["token"]).status == 200
    r = client.patch("/v1/users/" + uid, {"disabled": True},
                     token=s["token"])
    assert r.status == 200 and r.json["disabled"] is True, r
    r = client.post("/v1/auth/login", {"email": email,
                                       "password": "member pass"})
    assert_error(r, 401, "account_disabled")
    r = client.get("/v1/me", token=tok["token"])
    assert r.status == 401, r
    assert r.code in ("revoked_token", "account_disabled")


def test_a_password_change_revokes_older_tokens(client):
    s = client.signup()
    old = s["token"]
    r = client.patch("/v1/users/" + s["user"]["id"],
                     {"password": "a new password",
                      "current_password": s["password"]}, token=old)
    assert r.status == 200, r
    assert_error(client.get("/v1/me", token=old), 401, "revoked_token")
    r = client.post("/v1/auth/login", {"email": s["user"]["email"],
                                       "password": "a new password"})
    assert r.status == 200
    assert client.get("/v1/me", token=r.json["token"]).status == 200


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
