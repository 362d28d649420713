"""Rate limits: per key, per org, per mode, login throttling, headers.

GCRA refills one token every 60/limit seconds, so how many requests of a
burst pass beyond the limit depends on how fast the burst went; these
tests assert what does not: the whole limit passes, and a refusal comes
only once an answer said nothing remained.
"""
from helpers import Client, assert_error, make_key, query, unique_email

# Requests a burst may take before its first refusal: far more than any
# limit here plus the refills of a slow machine.
BURST_MOST = 200


def burst_until_refused(client, key):
    """GET /v1/me with key until the first 429 (at most BURST_MOST
    requests): the answers, the refusal last."""
    answers = []
    for _ in range(BURST_MOST):
        answers.append(client.get("/v1/me", headers={"X-API-Key": key}))
        if answers[-1].status == 429:
            break
    return answers


def test_a_burst_gets_the_whole_limit_through_then_is_refused(client):
    s = client.signup()
    key = make_key(client, s["token"], [], name="b")
    answers = burst_until_refused(client, key["key"])
    codes = [r.status for r in answers]
    assert codes[:60] == [200] * 60, codes
    assert codes[60:] == [200] * (len(codes) - 61) + [429], codes
    # Refused only once the bucket was empty.
    assert answers[-2].header("X-RateLimit-Remaining") == "0"
    last = answers[-1]
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
    a, b = [make_key(client, s["token"], [], name=n) for n in "ab"]
    assert burst_until_refused(client, a["key"])[-1].status == 429
    assert client.get("/v1/me", headers={"X-API-Key": b["key"]}).status == 200
    # A test key has its own budget, and so does the login token.
    assert client.get("/v1/me", headers={"X-API-Key":
                      s["api_key"]["key"]}).status == 200
    assert client.get("/v1/me", token=s["token"]).status == 200


def test_a_key_override_and_an_org_limit_apply(client, db):
    s = client.signup()
    a = make_key(client, s["token"], [], name="a")
    query(db, "UPDATE latchkey.api_keys SET rate_limit_per_min = 5 "
          "WHERE id = %s", a["id"])
    answers = burst_until_refused(client, a["key"])
    codes = [r.status for r in answers]
    assert codes[:5] == [200] * 5 and codes[-1] == 429, codes
    assert answers[-2].header("X-RateLimit-Remaining") == "0"
    assert_error(answers[-1], 429, "rate_limited")
    assert answers[-1].header("X-RateLimit-Limit") == "5"
    # The org's limit caps all its keys of a mode together.  Test-mode
    # keys: the login token spent live-mode budget creating them.
    s2 = client.signup()
    k1, k2 = [make_key(client, s2["token"], [], name=n, mode="test")
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
    other = Client(client.name, client.base)
    r = other.post("/v1/auth/login", {"email": email.upper(),
                                      "password": s["password"]})
    assert_error(r, 429, "rate_limited")


def test_login_attempts_are_throttled_per_client_address(client):
    codes = [client.post("/v1/auth/login", {"email": unique_email(),
             "password": "wrong password"}).status for _ in range(11)]
    assert codes == [401] * 10 + [429], codes
