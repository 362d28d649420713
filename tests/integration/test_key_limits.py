"""rate_limit_per_min on API keys, and GET /v1/org.

A key's own limit is set through POST and PATCH /v1/api-keys up to its
cap: the plan's key rate, or the operator's limit for that key
(latchkeyctl key set-limit).  These tests check the field's validation
(type, range, cap), who may set it, what the key object shows, what is
stored and audited, that the database refuses the runtime role what the
API refuses, and that a changed limit governs the key's next requests
(its RateLimit-Policy header).
"""
import os
import re
import secrets

import psycopg2
import pytest

from helpers import (add_user, assert_error, connect, ctl, eventually,
                     make_key, needs_service_key, query, service_headers)

PLAN_KEY_RATE = 60      # the plan `default` (sql/002)
PLAN_ORG_RATE = 1000


def policy(r):
    """The quotas of a RateLimit-Policy header: {"cred": q, "org": q}."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        r'"(\w+)";q=(\d+)', r.header("RateLimit-Policy") or "")}


def cred_quota(client, key):
    return policy(client.get("/v1/me", headers={"X-API-Key": key}))["cred"]


def limits(k):
    """The four limit members of a key object."""
    return (k["rate_limit_per_min"], k["effective_rate_limit_per_min"],
            k["max_rate_limit_per_min"], k["operator_rate_limit_per_min"])


def stored(db, key_id):
    return query(db, "SELECT rate_limit_per_min, operator_rate_limit_per_min "
                 "FROM latchkey.api_keys WHERE id = %s", key_id)[0]


# --- the key object -----------------------------------------------------------

def test_a_new_key_follows_its_plan_and_shows_it(client):
    s = client.signup()
    k = make_key(client, s["token"])
    assert limits(k) == (None, PLAN_KEY_RATE, PLAN_KEY_RATE, None)
    listed = client.get("/v1/api-keys", token=s["token"]).json["data"]
    assert [limits(x) for x in listed if x["id"] == k["id"]] == \
        [(None, PLAN_KEY_RATE, PLAN_KEY_RATE, None)]
    # The signup's first key too.
    assert limits(s["api_key"]) == (None, PLAN_KEY_RATE, PLAN_KEY_RATE,
                                    None)


def test_create_takes_a_limit_up_to_the_plans_key_rate(client, db):
    s = client.signup()
    k = make_key(client, s["token"], rate_limit_per_min=12)
    assert limits(k) == (12, 12, PLAN_KEY_RATE, None)
    assert stored(db, k["id"]) == (12, None)
    # The key's very first request already gets it.
    assert cred_quota(client, k["key"]) == 12
    at_cap = make_key(client, s["token"], rate_limit_per_min=PLAN_KEY_RATE)
    assert limits(at_cap)[:2] == (PLAN_KEY_RATE, PLAN_KEY_RATE)
    explicit_null = make_key(client, s["token"], rate_limit_per_min=None)
    assert limits(explicit_null)[:2] == (None, PLAN_KEY_RATE)
    event = query(db, "SELECT detail FROM latchkey.audit_events WHERE "
                  "action = 'api_key.created' AND target_id = %s", k["id"])
    assert event[0][0]["rate_limit_per_min"] == 12


def test_create_refuses_a_limit_above_the_plan(client, db):
    s = client.signup()
    name = "too fast " + secrets.token_hex(3)
    r = client.post("/v1/api-keys", {"name": name,
                                     "rate_limit_per_min": 61},
                    token=s["token"])
    assert_error(r, 422, "rate_limit_too_high")
    assert "61 is above 60" in r.json["error"]["message"]
    assert query(db, "SELECT count(*) FROM latchkey.api_keys "
                 "WHERE name = %s", name) == [(0,)]


BAD_VALUES = ["12", 12.5, 0, -1, 1000000001, True, [5], {"n": 5},
              2 ** 63]


@pytest.mark.parametrize("value", BAD_VALUES, ids=[repr(v)[:12]
                                                   for v in BAD_VALUES])
def test_create_and_patch_refuse_a_limit_that_is_not_a_rate(client, db,
                                                             value):
    s = client.signup()
    name = "bad rate " + secrets.token_hex(3)
    r = client.post("/v1/api-keys", {"name": name,
                                     "rate_limit_per_min": value},
                    token=s["token"])
    assert_error(r, 422, "validation_failed")
    assert list(r.json["error"]["fields"]) == ["rate_limit_per_min"]
    assert "from 1 to 1000000000" in \
        r.json["error"]["fields"]["rate_limit_per_min"][0]
    assert query(db, "SELECT count(*) FROM latchkey.api_keys "
                 "WHERE name = %s", name) == [(0,)]
    k = make_key(client, s["token"], rate_limit_per_min=7)
    r = client.patch("/v1/api-keys/" + k["id"],
                     {"rate_limit_per_min": value}, token=s["token"])
    assert_error(r, 422, "validation_failed")
    assert list(r.json["error"]["fields"]) == ["rate_limit_per_min"]
    assert stored(db, k["id"]) == (7, None)


# --- PATCH --------------------------------------------------------------------

def test_patch_changes_the_limit_and_the_next_request_gets_it(client, db):
    s = client.signup()
    k = make_key(client, s["token"])
    assert cred_quota(client, k["key"]) == PLAN_KEY_RATE
    r = client.patch("/v1/api-keys/" + k["id"], {"rate_limit_per_min": 3},
                     token=s["token"])
    assert r.status == 200, r
    assert limits(r.json) == (3, 3, PLAN_KEY_RATE, None)
    assert r.json["name"] == k["name"]
    assert stored(db, k["id"]) == (3, None)
    # The patch flushed this host's cache: the very next request.
    r = client.get("/v1/me", headers={"X-API-Key": k["key"]})
    assert policy(r)["cred"] == 3
    assert r.header("X-RateLimit-Limit") == "3"
    # And the lower limit is enforced: far fewer than 60 pass.
    answers = []
    for _ in range(30):
        answers.append(client.get("/v1/me", headers={"X-API-Key": k["key"]}))
        if answers[-1].status == 429:
            break
    assert_error(answers[-1], 429, "rate_limited")
    event = query(db, "SELECT detail FROM latchkey.audit_events WHERE "
                  "action = 'api_key.changed' AND target_id = %s", k["id"])
    assert event == [({"rate_limit_per_min": 3},)]

    r = client.patch("/v1/api-keys/" + k["id"],
                     {"rate_limit_per_min": None}, token=s["token"])
    assert r.status == 200, r
    assert limits(r.json) == (None, PLAN_KEY_RATE, PLAN_KEY_RATE, None)
    assert stored(db, k["id"]) == (None, None)


def test_patch_refuses_a_limit_above_the_plan_and_keeps_the_old(client, db):
    s = client.signup()
    k = make_key(client, s["token"], rate_limit_per_min=20)
    r = client.patch("/v1/api-keys/" + k["id"],
                     {"rate_limit_per_min": 61, "name": "renamed"},
                     token=s["token"])
    assert_error(r, 422, "rate_limit_too_high")
    assert "its plan's key rate" in r.json["error"]["message"]
    assert query(db, "SELECT name, rate_limit_per_min FROM "
                 "latchkey.api_keys WHERE id = %s", k["id"]) == \
        [(k["name"], 20)]


def test_an_operator_raised_key_may_be_lowered_and_raised_back_to_it(
        client, db):
    s = client.signup()
    k = make_key(client, s["token"])
    assert ctl("key", "set-limit", k["id"], "500").returncode == 0
    url = "/v1/api-keys/" + k["id"]
    r = client.patch(url, {"rate_limit_per_min": 100}, token=s["token"])
    assert r.status == 200, r
    assert limits(r.json) == (100, 100, 500, 500)
    r = client.patch(url, {"rate_limit_per_min": 500}, token=s["token"])
    assert r.status == 200, r
    assert limits(r.json) == (500, 500, 500, 500)
    r = client.patch(url, {"rate_limit_per_min": 501}, token=s["token"])
    assert_error(r, 422, "rate_limit_too_high")
    assert "the limit the operator set for it" in r.json["error"]["message"]
    assert stored(db, k["id"]) == (500, 500)
    # null is the key's default: the operator's limit.
    r = client.patch(url, {"rate_limit_per_min": 50}, token=s["token"])
    assert r.status == 200, r
    r = client.patch(url, {"rate_limit_per_min": None}, token=s["token"])
    assert r.status == 200, r
    assert limits(r.json) == (500, 500, 500, 500)
    assert cred_quota(client, k["key"]) == 500


def test_an_operator_lowered_key_cannot_be_raised_back_to_the_plan(
        client, db):
    s = client.signup()
    k = make_key(client, s["token"])
    assert ctl("key", "set-limit", k["id"], "5").returncode == 0
    url = "/v1/api-keys/" + k["id"]
    r = client.patch(url, {"rate_limit_per_min": 6}, token=s["token"])
    assert_error(r, 422, "rate_limit_too_high")
    r = client.patch(url, {"rate_limit_per_min": None}, token=s["token"])
    assert r.status == 200, r
    assert limits(r.json) == (5, 5, 5, 5)
    assert stored(db, k["id"]) == (5, 5)


def test_another_orgs_key_is_not_found(client, db):
    mine = client.signup()
    theirs = client.signup()
    k = make_key(client, theirs["token"], rate_limit_per_min=9)
    r = client.patch("/v1/api-keys/" + k["id"], {"rate_limit_per_min": 1},
                     token=mine["token"])
    assert_error(r, 404, "not_found")
    assert stored(db, k["id"]) == (9, None)


def test_a_test_key_sets_limits_of_test_keys_only(client, db):
    s = client.signup()
    test_key = s["api_key"]["key"]
    live = make_key(client, s["token"], rate_limit_per_min=9)
    r = client.patch("/v1/api-keys/" + live["id"], {"rate_limit_per_min": 1},
                     headers={"X-API-Key": test_key})
    assert_error(r, 404, "not_found")
    assert stored(db, live["id"]) == (9, None)
    r = client.post("/v1/api-keys", {"name": "t", "rate_limit_per_min": 4},
                    headers={"X-API-Key": test_key})
    assert r.status == 201, r
    assert (r.json["mode"], limits(r.json)) == ("test", (4, 4, 60, None))
    r = client.patch("/v1/api-keys/" + r.json["id"],
                     {"rate_limit_per_min": 2},
                     headers={"X-API-Key": test_key})
    assert r.status == 200, r
    assert limits(r.json)[0] == 2


@needs_service_key
def test_a_service_key_is_bound_by_the_cap_too(client, db):
    s = client.signup()
    h = service_headers(s["org"]["id"], "live")
    r = client.post("/v1/api-keys", {"name": "svc", "rate_limit_per_min": 61},
                    headers=h)
    assert_error(r, 422, "rate_limit_too_high")
    r = client.post("/v1/api-keys", {"name": "svc", "rate_limit_per_min": 8},
                    headers=h)
    assert r.status == 201, r
    assert limits(r.json) == (8, 8, PLAN_KEY_RATE, None)
    r = client.get("/v1/org", headers=h)
    assert r.status == 200, r
    assert r.json["id"] == s["org"]["id"]


def test_a_viewer_cannot_set_a_limit(client, db):
    s = client.signup()
    k = make_key(client, s["token"], rate_limit_per_min=9)
    _, viewer = add_user(client, s["token"], "viewer")
    r = client.patch("/v1/api-keys/" + k["id"], {"rate_limit_per_min": 1},
                     token=viewer)
    assert_error(r, 403, "permission_denied")
    r = client.post("/v1/api-keys", {"name": "v", "rate_limit_per_min": 1},
                    token=viewer)
    assert_error(r, 403, "permission_denied")
    assert stored(db, k["id"]) == (9, None)


def test_a_member_cannot_set_the_limit_of_a_key_out_of_reach(client, db):
    s = client.signup()
    k = make_key(client, s["token"], rate_limit_per_min=9)
    _, member = add_user(client, s["token"], "member")
    r = client.patch("/v1/api-keys/" + k["id"], {"rate_limit_per_min": 1},
                     token=member)
    assert_error(r, 403, "key_out_of_reach")
    assert stored(db, k["id"]) == (9, None)


# --- the database's own guard (sql/035) ---------------------------------------

def as_app(org_id, sql, *args):
    """Runs sql as the runtime role in org_id, live mode; the error, if
    any (the transaction is rolled back either way)."""
    conn = connect(os.environ["LK_APP_ROLE"], autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('latchkey.org_id', %s, true), "
                        "set_config('latchkey.mode', 'live', true)",
                        (org_id,))
            try:
                cur.execute(sql, args)
            except psycopg2.Error as e:
                return e
        conn.commit()
        return None
    finally:
        conn.rollback()
        conn.close()


def test_the_runtime_role_cannot_exceed_the_cap_nor_set_the_operator_limit(
        client, db):
    s = client.signup()
    org_id = s["org"]["id"]
    k = make_key(client, s["token"], rate_limit_per_min=9)
    e = as_app(org_id, "UPDATE latchkey.api_keys SET rate_limit_per_min = 61 "
               "WHERE id = %s", k["id"])
    assert e is not None and e.pgcode == "23514", e
    e = as_app(org_id, "UPDATE latchkey.api_keys SET "
               "operator_rate_limit_per_min = 500 WHERE id = %s", k["id"])
    assert e is not None and e.pgcode == "42501", e
    assert stored(db, k["id"]) == (9, None)
    # Within the cap, and other columns, stay the runtime role's to set.
    assert as_app(org_id, "UPDATE latchkey.api_keys SET "
                  "rate_limit_per_min = 60, name = 'ok' WHERE id = %s",
                  k["id"]) is None
    assert stored(db, k["id"]) == (60, None)


# --- GET /v1/org --------------------------------------------------------------

def test_get_org_shows_the_org_its_plan_and_limits(client, db):
    s = client.signup()
    org_id = s["org"]["id"]
    r = client.get("/v1/org", token=s["token"])
    assert r.status == 200, r
    created = query(db, "SELECT to_char(created_at AT TIME ZONE 'UTC', "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), name FROM "
                    "latchkey.orgs WHERE id = %s", org_id)[0]
    assert r.json == {
        "id": org_id, "name": created[1], "created_at": created[0],
        "plan": {"id": "default", "name": "Default",
                 "key_rate_per_min": PLAN_KEY_RATE,
                 "org_rate_per_min": PLAN_ORG_RATE},
        "rate_limit_per_min": None,
        "effective": {"key_rate_per_min": PLAN_KEY_RATE,
                      "org_rate_per_min": PLAN_ORG_RATE}}
    assert r.header("Content-Type") == "application/json; charset=utf-8"


def test_get_org_answers_any_credential_of_the_org(client):
    s = client.signup()
    _, viewer = add_user(client, s["token"], "viewer")
    bare = make_key(client, s["token"], [])
    callers = [
        {"Authorization": "Bearer " + viewer},
        {"Authorization": "Bearer " + s["token"],
         "X-Latchkey-Mode": "test"},
        {"X-API-Key": s["api_key"]["key"]},         # a test key
        {"X-API-Key": bare["key"]},                 # no permission at all
    ]
    for h in callers:
        r = client.get("/v1/org", headers=h)
        assert r.status == 200, (h, r)
        assert r.json["id"] == s["org"]["id"]


def test_get_org_needs_a_credential(client):
    assert_error(client.get("/v1/org"), 401, "missing_credentials")
    r = client.post("/v1/org", {})
    assert r.status == 405, r
    assert r.header("Allow") == "GET"


def test_get_org_shows_another_orgs_own_data_never(client):
    a = client.signup()
    b = client.signup()
    assert ctl("org", "set-limit", b["org"]["id"], "77").returncode == 0
    r = client.get("/v1/org", token=a["token"])
    assert (r.json["id"], r.json["rate_limit_per_min"]) == (
        a["org"]["id"], None)
    r = client.get("/v1/org", token=b["token"])
    assert (r.json["id"], r.json["rate_limit_per_min"],
            r.json["effective"]["org_rate_per_min"]) == (
        b["org"]["id"], 77, 77)
    # The next request of b's keys is governed by it.
    k = make_key(client, b["token"])
    assert eventually(lambda: policy(client.get(
        "/v1/me", headers={"X-API-Key": k["key"]})).get("org") == 77)
