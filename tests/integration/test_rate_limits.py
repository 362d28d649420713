"""Rate limits: per key, per org, per mode, login throttling, headers."""
import time

from conftest import query, unique_email
from test_http_core import assert_error


def burst(client, key, n):
    codes = []
    start = time.monotonic()
    last = None
    for _ in range(n):
        last = client.get("/v1/me", headers={"X-API-Key": key})
        codes.append(last.status)
    return codes, time.monotonic() - start, last


def admitted_bound(limit, elapsed):
    """GCRA refills one token every 60/limit s: a slow burst may earn more."""
    return limit + int(elapsed / (60.0 / limit))


def test_a_burst_gets_exactly_the_limit_through(client):
    s = client.signup()
    key = client.post("/v1/api-keys", {"name": "b", "permissions": []},
                      token=s["token"]).json
    codes, elapsed, last = burst(client, key["key"], 70)
    ok = codes.count(200)
    assert set(codes) == {200, 429}, codes
    assert 60 <= ok <= admitted_bound(60, elapsed), (ok, elapsed)
    assert codes[:60] == [200] * 60
    assert_error(last, 429, "rate_limited")
    assert int(last.header("Retry-After")) >= 1
    assert last.header("X-RateLimit-Remaining") == "0"
    assert last.header("X-RateLimit-Limit") == "60"
    assert last.header("RateLimit-Policy").startswith('"cred";q=60;w=60')


def test_every_limited_response_carries_the_headers(client):
    s = client.signup()
    r = client.get("/v1/me", headers={"X-API-Key": s["api_key"]["key"]})
    assert r.status == 200
    assert r.header("X-RateLimit-Limit") == "60"
    assert r.header("X-RateLimit-Remaining") == "59"
    assert r.header("RateLimit") .startswith('"cred";r=59;')
    assert r.header("Retry-After") is None


def test_two_keys_of_one_org_do_not_share_a_budget(client):
    s = client.signup()
    a, b = [client.post("/v1/api-keys", {"name": n, "permissions": []},
                        token=s["token"]).json for n in "ab"]
    codes, _, _ = burst(client, a["key"], 65)
    assert 429 in codes
    assert client.get("/v1/me", headers={"X-API-Key": b["key"]}).status == 200
    # A test key has its own budget, and so does the login token.
    assert client.get("/v1/me", headers={"X-API-Key":
                      s["api_key"]["key"]}).status == 200
    assert client.get("/v1/me", token=s["token"]).status == 200


def test_a_key_override_and_an_org_limit_apply(client, db):
    s = client.signup()
    a, b = [client.post("/v1/api-keys", {"name": n, "permissions": []},
                        token=s["token"]).json for n in "ab"]
    query(db, "UPDATE latchkey.api_keys SET rate_limit_per_min = 5 "
          "WHERE id = %s", a["id"])
    codes, elapsed, last = burst(client, a["key"], 7)
    assert codes[:5] == [200] * 5 and codes[-1] == 429, codes
    assert last.header("X-RateLimit-Limit") == "5"
    # The org's limit caps all its keys of a mode together.  Test-mode
    # keys: the login token spent live-mode budget creating them.
    s2 = client.signup()
    k1, k2 = [client.post("/v1/api-keys", {"name": n, "permissions": [],
                          "mode": "test"}, token=s2["token"]).json
              for n in "xy"]
    query(db, "UPDATE latchkey.orgs SET rate_limit_per_min = 3 "
          "WHERE id = %s", s2["org"]["id"])
    codes = [client.get("/v1/me", headers={"X-API-Key": k}).status
             for k in [k1["key"], k2["key"], k1["key"], k2["key"]]]
    assert codes == [200, 200, 200, 429], codes


def test_login_attempts_are_throttled_per_email(client):
    s = client.signup()
    email = s["user"]["email"]
    codes = [client.post("/v1/auth/login", {"email": email,
             "password": "wrong password"}).status for _ in range(10)]
    assert codes == [401] * 10
    # Even the right password waits now, and another address does too.
    r = client.post("/v1/auth/login", {"email": email,
                                       "password": s["password"]})
    assert_error(r, 429, "rate_limited")
    assert int(r.header("Retry-After")) >= 1
    from conftest import Client
    other = Client(client.name, client.base)
    r = other.post("/v1/auth/login", {"email": email.upper(),
                                      "password": s["password"]})
    assert_error(r, 429, "rate_limited")


def test_login_attempts_are_throttled_per_client_address(client):
    codes = [client.post("/v1/auth/login", {"email": unique_email(),
             "password": "wrong password"}).status for _ in range(11)]
    assert codes == [401] * 10 + [429], codes
