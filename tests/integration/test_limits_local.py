"""Exact limits, refusals, unknown keys and session cookies answered from
memory.

A refusal and an unknown key cost no database round trip while the host
remembers them: the tests take EXECUTE on the function that would be
called away from the runtime role, so a request that still reached it
would fail (500/503), and a request answered from memory does not.  The
privilege is given back in a `finally`, also on failure.

The burst tests send L requests at once on a fresh key limited to L per
minute and count what passed: all of them, within 2 %, and no more than
the limit plus what the bucket refilled meanwhile.
"""
import hashlib
import math
import os
import secrets
import threading
import time
from contextlib import contextmanager

import pytest

from helpers import Client, assert_error, eventually, eventually_status, \
    lift_limits, make_key, query, well_formed_key
from private_daemon import Daemon

APP_ROLE = os.environ.get("LK_APP_ROLE", "latchkey_app")
RATE_SPEND = ("latchkey.rate_spend(text, integer, integer, integer, text, "
              "integer, integer, integer, integer)")
KEY_IDENTITY = "latchkey.api_key_identity(bytea)"

# Requests a sequential burst may take before its first refusal.
BURST_MOST = 50
# Concurrent callers of a burst.
THREADS = 16


@contextmanager
def without_execute(db, function):
    """The runtime role may not call function inside the block."""
    # Identifiers from this file, never input.
    query(db, "REVOKE EXECUTE ON FUNCTION %s FROM %s" % (function, APP_ROLE))
    try:
        yield
    finally:
        query(db, "GRANT EXECUTE ON FUNCTION %s TO %s" % (function,
                                                          APP_ROLE))


def key_limited_to(client, db, limit):
    """A fresh live key of a fresh org whose own limit is `limit` per
    minute and whose org's is out of reach.  Never used before it is
    returned, so no host has cached it with another limit."""
    s = client.signup()
    lift_limits(db, s["org"]["id"])
    k = make_key(client, s["token"], [], name="limited")
    query(db, "UPDATE latchkey.api_keys SET rate_limit_per_min = %s "
          "WHERE id = %s", limit, k["id"])
    return k["key"]


def me_by(client, key):
    return client.get("/v1/me", headers={"X-API-Key": key})


def rate_items(r):
    """The RateLimit header as {"cred": {"r": .., "t": ..}, "org": ..}."""
    items = {}
    for item in r.header("RateLimit").split(","):
        name, *params = item.strip().split(";")
        items[name.strip('"')] = {k: int(v) for k, v in
                                  (p.split("=") for p in params)}
    return items


def test_a_refusal_is_answered_from_memory_with_exact_headers(client, db):
    key = key_limited_to(client, db, 2)
    answers = []
    for _ in range(BURST_MOST):
        answers.append(me_by(client, key))
        if answers[-1].status == 429:
            break
    assert [r.status for r in answers] == [200, 200, 429], answers
    first = answers[-1]
    # Two tokens a minute: the next comes 30 s after the first was
    # taken, the bucket is full again 60 s after (less the time the
    # three requests took, however slow the machine).
    assert 20 <= int(first.header("Retry-After")) <= 30, first.headers
    assert 50 <= rate_items(first)["cred"]["t"] <= 60, first.headers
    with without_execute(db, RATE_SPEND):
        later = [me_by(client, key) for _ in range(5)]
    retry = int(first.header("Retry-After"))
    reset = rate_items(first)["cred"]["t"]
    for r in later:
        assert_error(r, 429, "rate_limited")
        assert r.header("RateLimit-Policy").startswith('"cred";q=2;w=60')
        assert r.header("X-RateLimit-Limit") == "2"
        assert r.header("X-RateLimit-Remaining") == "0"
        items = rate_items(r)
        assert items["cred"]["r"] == 0
        # Counted down from the refusal, never up.
        assert 1 <= int(r.header("Retry-After")) <= retry, r.headers
        assert reset - 10 <= items["cred"]["t"] <= reset, r.headers
        assert items["org"]["r"] == rate_items(first)["org"]["r"]
        assert items["org"]["t"] <= rate_items(first)["org"]["t"]
        retry = int(r.header("Retry-After"))
        reset = items["cred"]["t"]
    # The database was asked again once allowed to be: still refused.
    assert_error(me_by(client, key), 429, "rate_limited")


def test_an_org_refusal_is_answered_from_memory_for_its_other_keys(client,
                                                                    db):
    s = client.signup()
    a, b = [make_key(client, s["token"], [], name=n, mode="test")
            for n in "ab"]
    query(db, "UPDATE latchkey.orgs SET rate_limit_per_min = 2 "
          "WHERE id = %s", s["org"]["id"])
    codes = [me_by(client, k).status for k in (a["key"], b["key"],
                                                a["key"])]
    assert codes == [200, 200, 429], codes
    with without_execute(db, RATE_SPEND):
        r = me_by(client, b["key"])
    assert_error(r, 429, "rate_limited")
    assert r.header("X-RateLimit-Limit") == "2"
    assert r.header("X-RateLimit-Remaining") == "0"
    # The key's own budget is its own: 60, one spent.
    assert rate_items(r)["cred"]["r"] == 59, r.headers
    assert rate_items(r)["org"]["r"] == 0


def settle(client, db):
    """Returns once every change notice sent so far has reached the host:
    notices arrive in commit order, so once a key's new limit shows, the
    notices before it have emptied the cache already.  A test that
    relies on what the cache remembers starts here."""
    s = client.signup()
    k = make_key(client, s["token"], [], name="settle")
    assert me_by(client, k["key"]).status == 200
    query(db, "UPDATE latchkey.api_keys SET rate_limit_per_min = 59 "
          "WHERE id = %s", k["id"])
    r = eventually_status(lambda: me_by(client, k["key"]), 200)
    assert eventually(lambda: me_by(client, k["key"]).header(
        "X-RateLimit-Limit") == "59"), r


def test_an_unknown_key_is_answered_from_memory(client, db):
    settle(client, db)
    keys = [well_formed_key() for _ in range(20)]
    for k in keys:
        assert_error(me_by(client, k), 401, "unknown_api_key")
    with without_execute(db, KEY_IDENTITY):
        again = [me_by(client, k) for k in keys]
    for r in again:
        assert_error(r, 401, "unknown_api_key")


def test_random_unknown_keys_cost_one_address_a_bounded_number_of_look_ups(
        client, db):
    s = client.signup()
    k = make_key(client, s["token"], [], name="valid")
    settle(client, db)
    answers = []
    for _ in range(BURST_MOST):
        answers.append(me_by(client, well_formed_key()))
        if answers[-1].status != 401:
            break
    codes = [r.code for r in answers]
    # 30 distinct unknown keys a minute per address (AUTH_UNKNOWN_PER_ADDR,
    # a GCRA burst, plus what refilled on a slow machine), then a refusal.
    assert 30 <= len(codes) - 1 <= 36, codes
    assert codes[:-1] == ["unknown_api_key"] * (len(codes) - 1), codes
    refused = answers[-1]
    assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.header("Retry-After")) <= 2, refused.headers
    # While refused, no key is looked up: fresh random keys make no
    # round trip, and neither does a valid key the cache cannot answer.
    with without_execute(db, KEY_IDENTITY):
        for _ in range(5):
            assert_error(me_by(client, well_formed_key()), 429,
                         "rate_limited")
        assert_error(me_by(client, k["key"]), 429, "rate_limited")
    # Another address is not refused.
    other = Client(client.name, client.base)
    assert me_by(other, k["key"]).status == 200
    assert_error(me_by(other, well_formed_key()), 401, "unknown_api_key")


def test_a_key_remembered_unknown_works_once_it_exists(client, db):
    s = client.signup()
    settle(client, db)
    unknown = well_formed_key()
    assert_error(me_by(client, unknown), 401, "unknown_api_key")
    with without_execute(db, KEY_IDENTITY):
        assert_error(me_by(client, unknown), 401, "unknown_api_key")
    # Another host (here: SQL) creates the key that was remembered
    # unknown; its insert's notice ends the memory, long before it would
    # have expired (AUTH_UNKNOWN_TTL_MS, 10 s).
    new_id = query(db, "INSERT INTO latchkey.api_keys (org_id, mode, name, "
                   "display_prefix, last4, key_hash, created_by_user) "
                   "VALUES (%s, 'live', 'late', 'lk_live_', %s, %s, %s) "
                   "RETURNING id::text", s["org"]["id"], unknown[-4:],
                   hashlib.sha256(unknown.encode()).digest(),
                   s["user"]["id"])[0][0]
    r = eventually_status(lambda: me_by(client, unknown), 200, seconds=5.0)
    assert r.status == 200, r
    assert r.json["api_key_id"] == new_id


def burst(client, key, n, other=None):
    """n requests on key from THREADS threads at once: their statuses.
    With other (a second host, private_daemon.Daemon), every other
    request goes there."""
    statuses = []
    lock = threading.Lock()
    left = [n]
    start = threading.Barrier(THREADS)

    def run():
        c = Client(client.name, client.base)
        start.wait()
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
                there = other is not None and left[0] % 2 == 0
            if there:
                r = other.request("GET", "/v1/me",
                                  headers={"X-API-Key": key})
            else:
                r = me_by(c, key)
            with lock:
                statuses.append(r.status)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.parametrize("limit", [60, 600])
def test_a_burst_of_the_limit_gets_the_whole_limit_through(client, db,
                                                           limit):
    key = key_limited_to(client, db, limit)
    began = time.monotonic()
    first = burst(client, key, limit)
    assert set(first) <= {200, 429}, first
    served = first.count(200)
    assert served >= math.ceil(limit * 0.98), (served, limit)
    # More, until refusals: never more than the limit (plus 2 %) and
    # what the bucket refilled meanwhile.
    more = burst(client, key, limit // 5)
    assert set(more) <= {200, 429} and 429 in more, more
    took = time.monotonic() - began
    refilled = math.ceil(took * limit / 60.0)
    total = served + more.count(200)
    assert total <= limit * 1.02 + refilled + 1, (total, limit, refilled)


def test_a_look_up_the_database_refuses_is_a_json_500_not_a_crash(client,
                                                                  db):
    # A role without its grants (42501) once crashed the worker: the
    # refusal was taken for the caller's, with nothing to say.
    with without_execute(db, KEY_IDENTITY):
        r = me_by(client, well_formed_key())
    assert_error(r, 500, "internal_error")
    s = client.signup()
    k = make_key(client, s["token"], [], name="grants")
    with without_execute(db, RATE_SPEND):
        r = me_by(client, k["key"])
    assert_error(r, 500, "internal_error")
    assert me_by(client, k["key"]).status == 200


def test_a_burst_through_two_hosts_gets_the_whole_limit_through(lighttpd,
                                                                 db):
    # A second latchkeyd on the same database: its own shared memory,
    # its own leases, one bucket in PostgreSQL.
    with Daemon({"workers": "4"}) as other:
        key = key_limited_to(lighttpd, db, 600)
        first = burst(lighttpd, key, 600, other)
        assert set(first) <= {200, 429}, first
        assert first.count(200) >= 588, first.count(200)


# --- unknown session cookies ---------------------------------------------------

SESSION_IDENTITY = "latchkey.session_identity(bytea)"


def well_formed_session():
    """A session cookie value of the right shape that latchkey never
    issued."""
    return "lks_" + secrets.token_hex(32)


def me_by_cookie(client, value):
    return client.get("/v1/me", headers={"Cookie": "lk_session=" + value})


def signed_in(client, s):
    """A new session of s's user, signed in from client: the cookie's
    value."""
    r = client.post("/v1/auth/session", {"email": s["user"]["email"],
                                         "password": s["password"]})
    assert r.status == 201, r
    return r.header("Set-Cookie").split(";")[0].split("=", 1)[1]


def test_an_unknown_session_cookie_is_answered_from_memory(client, db):
    settle(client, db)
    values = [well_formed_session() for _ in range(20)]
    for v in values:
        assert_error(me_by_cookie(client, v), 401, "invalid_session")
    with without_execute(db, SESSION_IDENTITY):
        again = [me_by_cookie(client, v) for v in values]
    for r in again:
        assert_error(r, 401, "invalid_session")


def test_random_session_cookies_cost_an_address_bounded_look_ups(
        client, db):
    s = client.signup()
    valid = signed_in(client, s)
    settle(client, db)
    answers = []
    for _ in range(BURST_MOST):
        answers.append(me_by_cookie(client, well_formed_session()))
        if answers[-1].status != 401:
            break
    codes = [r.code for r in answers]
    # The budget unknown keys spend (AUTH_UNKNOWN_PER_ADDR), then 429.
    assert 30 <= len(codes) - 1 <= 36, codes
    assert codes[:-1] == ["invalid_session"] * (len(codes) - 1), codes
    refused = answers[-1]
    assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.header("Retry-After")) <= 2, refused.headers
    # While refused, no cookie is looked up, nor an unknown key: the
    # budget is one per address.
    with without_execute(db, SESSION_IDENTITY), \
            without_execute(db, KEY_IDENTITY):
        for _ in range(5):
            assert_error(me_by_cookie(client, well_formed_session()), 429,
                         "rate_limited")
        assert_error(me_by_cookie(client, valid), 429, "rate_limited")
        assert_error(me_by(client, well_formed_key()), 429, "rate_limited")
    # Another address is not refused.
    other = Client(client.name, client.base)
    assert me_by_cookie(other, valid).status == 200
    assert_error(me_by_cookie(other, well_formed_session()), 401,
                 "invalid_session")


def test_a_new_session_works_at_once_and_signing_out_ends_it_at_once(
        client, db):
    s = client.signup()
    settle(client, db)
    for _ in range(5):
        assert_error(me_by_cookie(client, well_formed_session()), 401,
                     "invalid_session")
    value = signed_in(client, s)
    r = me_by_cookie(client, value)
    assert r.status == 200, r
    assert r.json["user_id"] == s["user"]["id"]
    r = client.delete("/v1/auth/session", headers={
        "Cookie": "lk_session=" + value, "X-Latchkey-CSRF": "1",
        "Origin": "http://%s:%d" % (client.host, client.port)})
    assert r.status == 204, r
    assert_error(me_by_cookie(client, value), 401, "invalid_session")
    # Once the sign-out's notice has come back, the ended session is
    # remembered unknown like a random cookie: no look-up.
    settle(client, db)
    assert_error(me_by_cookie(client, value), 401, "invalid_session")
    with without_execute(db, SESSION_IDENTITY):
        assert_error(me_by_cookie(client, value), 401, "invalid_session")
