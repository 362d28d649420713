"""Inside one org: who may change whose password, and the sandbox.

Each test is one attack from issue 9: a stolen login token changing its
user's password, an admin taking over an owner, the signup test key (every
permission, test mode) managing members, a login token switched to test
mode, a test key reading the live audit trail.  Each asserts the status,
the error code and what the database holds afterwards.
"""
import os

import psycopg2

from helpers import (MEMBER_PASSWORD, add_user, assert_error, connect,
                     eventually, make_key, query, stack_setting,
                     unique_email)


def login_rate_per_min():
    """The stack's login_rate_per_min (its config leaves the default)."""
    return int(stack_setting("login_rate_per_min", "10"))


def password_hash(db, user_id):
    return query(db, "SELECT password_hash, token_version FROM "
                 "latchkey.users WHERE id = %s", user_id)[0]


# --- one's own password ---------------------------------------------------

def test_own_password_without_current_password_is_422(client, db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    before = password_hash(db, uid)
    r = client.patch("/v1/users/" + uid, {"password": "stolen token pw"},
                     token=t)
    assert_error(r, 422, "validation_failed")
    assert list(r.json["error"]["fields"]) == ["current_password"]
    assert password_hash(db, uid) == before
    assert client.get("/v1/me", token=t).status == 200


def test_own_password_with_a_wrong_current_password_is_403(client, db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    before = password_hash(db, uid)
    r = client.patch("/v1/users/" + uid, {"password": "stolen token pw",
                                          "current_password": "a guess!"},
                     token=t)
    assert_error(r, 403, "wrong_password")
    assert "a guess!" not in r.raw
    assert password_hash(db, uid) == before
    assert client.get("/v1/me", token=t).status == 200
    # Login with the new password fails, with the old one works.
    assert_error(client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": "stolen token pw"}),
        401, "invalid_credentials")
    assert client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": s["password"]}).status == 200


def test_own_password_with_the_right_current_password_kills_old_tokens(
        client, db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    other = client.post("/v1/auth/login", {"email": s["user"]["email"],
                                           "password": s["password"]})
    assert other.status == 200, other
    _, ver = password_hash(db, uid)
    r = client.patch("/v1/users/" + uid, {"password": "a brand new pw",
                                          "current_password": s["password"]},
                     token=t)
    assert r.status == 200, r
    assert "a brand new pw" not in r.raw
    assert password_hash(db, uid)[1] == ver + 1
    # Both the token that made the change and any other token of the
    # user die; the new password logs in.
    assert_error(client.get("/v1/me", token=t), 401, "revoked_token")
    assert_error(client.get("/v1/me", token=other.json["token"]), 401,
                 "revoked_token")
    r = client.post("/v1/auth/login", {"email": s["user"]["email"],
                                       "password": "a brand new pw"})
    assert r.status == 200, r


# --- one's own email (the login name) ------------------------------------

def email_of(db, user_id):
    return query(db, "SELECT email, password_hash, token_version FROM "
                 "latchkey.users WHERE id = %s", user_id)[0]


def audit_of(db, user_id, action):
    return query(db, "SELECT detail FROM latchkey.audit_events WHERE "
                 "target_id = %s AND action = %s", user_id, action)


def test_own_email_without_current_password_is_422(client, db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    before = email_of(db, uid)
    r = client.patch("/v1/users/" + uid, {"email": unique_email("moved")},
                     token=t)
    assert_error(r, 422, "validation_failed")
    assert list(r.json["error"]["fields"]) == ["current_password"]
    assert email_of(db, uid) == before
    assert audit_of(db, uid, "user.changed") == []
    assert client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": s["password"]}).status == 200


def test_own_email_by_session_cookie_without_current_password_is_422(
        client, db):
    """A stolen dashboard session is refused like a stolen token."""
    s = client.signup()
    uid = s["user"]["id"]
    r = client.post("/v1/auth/session", {"email": s["user"]["email"],
                                         "password": s["password"]})
    assert r.status == 201, r
    value = r.header("Set-Cookie").split(";")[0].split("=", 1)[1]
    before = email_of(db, uid)
    r = client.patch("/v1/users/" + uid, {"email": unique_email("moved")},
                     headers={"Cookie": "lk_session=" + value,
                              "Origin": "http://%s:%d" % (client.host,
                                                          client.port),
                              "X-Latchkey-CSRF": "1"})
    assert_error(r, 422, "validation_failed")
    assert list(r.json["error"]["fields"]) == ["current_password"]
    assert email_of(db, uid) == before


def test_own_email_with_a_wrong_current_password_is_403(client, db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    moved = unique_email("moved")
    before = email_of(db, uid)
    r = client.patch("/v1/users/" + uid, {"email": moved,
                                          "current_password": "a guess!"},
                     token=t)
    assert_error(r, 403, "wrong_password")
    assert "a guess!" not in r.raw
    assert email_of(db, uid) == before
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE email = %s",
                 moved) == [(0,)]
    assert audit_of(db, uid, "user.changed") == []
    assert eventually(lambda: audit_of(db, uid,
                                       "user.password_change_refused"))
    assert_error(client.post("/v1/auth/login", {
        "email": moved, "password": s["password"]}),
        401, "invalid_credentials")
    assert client.get("/v1/me", token=t).status == 200


def test_own_email_with_the_right_current_password_is_changed(client, db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    moved = unique_email("moved")
    _, pw_hash, ver = email_of(db, uid)
    r = client.patch("/v1/users/" + uid, {"email": moved,
                                          "current_password": s["password"]},
                     token=t)
    assert r.status == 200, r
    assert r.json["email"] == moved
    assert s["password"] not in r.raw
    assert email_of(db, uid) == (moved, pw_hash, ver)
    assert audit_of(db, uid, "user.changed") == [({"email": moved},)]
    assert client.post("/v1/auth/login", {
        "email": moved, "password": s["password"]}).status == 200
    assert_error(client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": s["password"]}),
        401, "invalid_credentials")


def test_guessing_the_current_password_by_email_spends_the_login_budget(
        client, db):
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    before = email_of(db, uid)
    for i in range(login_rate_per_min()):
        r = client.patch("/v1/users/" + uid, {
            "email": unique_email("moved"), "current_password": "guess %d" % i},
            token=t)
        assert_error(r, 403, "wrong_password")
    r = client.patch("/v1/users/" + uid, {
        "email": unique_email("moved"), "current_password": s["password"]},
        token=t)
    assert_error(r, 429, "rate_limited")
    assert email_of(db, uid) == before


def test_an_admin_changes_a_members_email_without_a_password(client, db):
    s = client.signup()
    u, _ = add_user(client, s["token"], "member")
    moved = unique_email("moved")
    r = client.patch("/v1/users/" + u["id"], {"email": moved},
                     token=s["token"])
    assert r.status == 200, r
    assert email_of(db, u["id"])[0] == moved
    assert audit_of(db, u["id"], "user.changed") == [({"email": moved},)]


# --- another user's password ------------------------------------------------

def test_an_admin_cannot_change_an_owners_password(client, db):
    s = client.signup()
    _, at = add_user(client, s["token"], "admin")
    before = password_hash(db, s["user"]["id"])
    r = client.patch("/v1/users/" + s["user"]["id"],
                     {"password": "taken over!!"}, token=at)
    assert_error(r, 403, "role_too_high")
    r = client.patch("/v1/users/" + s["user"]["id"],
                     {"password": "taken over!!",
                      "current_password": s["password"]}, token=at)
    assert_error(r, 403, "role_too_high")
    assert password_hash(db, s["user"]["id"]) == before
    assert client.get("/v1/me", token=s["token"]).status == 200


def test_a_password_of_an_equal_rank_needs_a_higher_one(client, db):
    s = client.signup()
    _, at = add_user(client, s["token"], "admin")
    other, ot = add_user(client, s["token"], "admin")
    before = password_hash(db, other["id"])
    r = client.patch("/v1/users/" + other["id"],
                     {"password": "taken over!!"}, token=at)
    assert_error(r, 403, "role_too_high")
    assert password_hash(db, other["id"]) == before
    # The owner ranks above: the change goes through and the admin's
    # tokens die.
    r = client.patch("/v1/users/" + other["id"],
                     {"password": "reset by owner"}, token=s["token"])
    assert r.status == 200, r
    assert password_hash(db, other["id"])[1] == before[1] + 1
    assert_error(client.get("/v1/me", token=ot), 401, "revoked_token")


def test_a_key_cannot_change_its_creators_password(client, db):
    s = client.signup()
    k = make_key(client, s["token"], ["users.write"], name="w")
    before = password_hash(db, s["user"]["id"])
    r = client.patch("/v1/users/" + s["user"]["id"],
                     {"password": "taken over!!"},
                     headers={"X-API-Key": k["key"]})
    assert_error(r, 403, "role_too_high")
    assert password_hash(db, s["user"]["id"]) == before


# --- the sandbox ------------------------------------------------------------

def users_of(db, org_id):
    return query(db, "SELECT count(*) FROM latchkey.users WHERE org_id = %s",
                 org_id)[0][0]


def test_the_signup_test_key_cannot_touch_users(client, db):
    s = client.signup()
    key = {"X-API-Key": s["api_key"]["key"]}
    uid = s["user"]["id"]
    before = password_hash(db, uid)
    email = unique_email("sandbox")
    assert_error(client.get("/v1/users", headers=key), 403,
                 "live_mode_required")
    assert_error(client.get("/v1/users/" + uid, headers=key), 403,
                 "live_mode_required")
    assert_error(client.post("/v1/users", {"email": email, "password":
                                           "owner by key", "role": "owner"},
                             headers=key), 403, "live_mode_required")
    assert_error(client.patch("/v1/users/" + uid, {"password":
                                                   "taken over!!"},
                              headers=key), 403, "live_mode_required")
    assert_error(client.patch("/v1/users/" + uid, {"role": "viewer"},
                              headers=key), 403, "live_mode_required")
    assert_error(client.delete("/v1/users/" + uid, headers=key), 403,
                 "live_mode_required")
    assert users_of(db, s["org"]["id"]) == 1
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE "
                 "lower(email) = lower(%s)", email) == [(0,)]
    assert password_hash(db, uid) == before
    assert query(db, "SELECT role FROM latchkey.users WHERE id = %s",
                 uid) == [("owner",)]


def test_the_signup_test_key_still_reads_the_catalog_and_itself(client):
    s = client.signup()
    key = {"X-API-Key": s["api_key"]["key"]}
    for path in ("/v1/permissions", "/v1/roles", "/v1/me"):
        r = client.get(path, headers=key)
        assert r.status == 200, (path, r)
    assert client.get("/v1/me", headers=key).json["mode"] == "test"


def test_a_login_token_in_test_mode_cannot_create_users(client, db):
    s = client.signup()
    test = {"X-Latchkey-Mode": "test"}
    email = unique_email("sandbox")
    r = client.post("/v1/users", {"email": email, "password": "member pass"},
                    token=s["token"], headers=test)
    assert_error(r, 403, "live_mode_required")
    assert users_of(db, s["org"]["id"]) == 1
    assert_error(client.get("/v1/users", token=s["token"], headers=test),
                 403, "live_mode_required")
    assert_error(client.patch("/v1/users/" + s["user"]["id"],
                              {"password": "a new password",
                               "current_password": s["password"]},
                              token=s["token"], headers=test),
                 403, "live_mode_required")
    # The same token in live mode may.
    r = client.post("/v1/users", {"email": email, "password": "member pass"},
                    token=s["token"])
    assert r.status == 201, r
    assert users_of(db, s["org"]["id"]) == 2


def test_a_test_key_sees_no_live_audit_events_but_its_own(client, db):
    s = client.signup()
    t, key = s["token"], {"X-API-Key": s["api_key"]["key"]}
    assert client.post("/v1/users", {"email": unique_email(), "password":
                                     MEMBER_PASSWORD}, token=t).status == 201
    assert client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": s["password"]}).status == 200
    k = client.post("/v1/api-keys", {"name": "by the test key",
                                     "permissions": []}, headers=key)
    assert k.status == 201, k
    live = {"org.created", "user.created", "login.succeeded"}

    def owner_sees_all():
        r = client.get("/v1/activity", token=t)
        acts = {e["action"] for e in r.json["data"]} if r.status == 200 \
            else set()
        return live | {"api_key.created"} <= acts
    assert eventually(owner_sees_all, seconds=10)
    assert query(db, "SELECT count(*) FROM latchkey.audit_events WHERE "
                 "org_id = %s AND mode = 'live' AND action = ANY(%s)",
                 s["org"]["id"], list(live))[0][0] >= 3
    r = client.get("/v1/activity", headers=key)
    assert r.status == 200, r
    events = r.json["data"]
    assert events and all(e["mode"] == "test" for e in events), events
    assert not live & {e["action"] for e in events}
    assert k.json["id"] in {e["target"]["id"] for e in events
                            if e["action"] == "api_key.created"}
    assert s["user"]["email"] not in r.raw
    # Filtering by a live action gives nothing either.
    r = client.get("/v1/activity?action=login.succeeded", headers=key)
    assert r.status == 200 and r.json["data"] == [], r


def test_the_database_refuses_user_writes_in_test_mode(db):
    """Defence in depth (sql/021): the runtime role in a test-mode
    transaction can neither create, change nor remove a user, even if a
    handler forgot authority_live_required()."""
    owner = db.cursor()
    owner.execute("INSERT INTO latchkey.orgs (name) VALUES ('sandbox db') "
                  "RETURNING id::text")
    org = owner.fetchone()[0]
    try:
        owner.execute("INSERT INTO latchkey.users (org_id, email, "
                      "password_hash, role) VALUES (%s, %s, %s, 'owner') "
                      "RETURNING id::text", (org, unique_email("db"),
                                             "$2b$04$" + "x" * 53))
        uid = owner.fetchone()[0]
        app = connect(os.environ["LK_APP_ROLE"], autocommit=False)
        try:
            cur = app.cursor()
            cur.execute("SELECT set_config('latchkey.org_id', %s, true), "
                        "set_config('latchkey.mode', 'test', true)", (org,))
            cur.execute("UPDATE latchkey.users SET role = 'viewer' "
                        "WHERE id = %s", (uid,))
            assert cur.rowcount == 0
            cur.execute("DELETE FROM latchkey.users WHERE id = %s", (uid,))
            assert cur.rowcount == 0
            cur.execute("SELECT count(*) FROM latchkey.users WHERE id = %s",
                        (uid,))
            assert cur.fetchone() == (1,)   # still readable
            try:
                cur.execute("INSERT INTO latchkey.users (org_id, email, "
                            "password_hash, role) VALUES (%s, %s, %s, "
                            "'owner')", (org, unique_email("db"),
                                         "$2b$04$" + "x" * 53))
                raise AssertionError("a test-mode insert was accepted")
            except psycopg2.errors.InsufficientPrivilege as e:
                assert "row-level security" in str(e)
            app.rollback()
            # The same in live mode works.
            cur.execute("SELECT set_config('latchkey.org_id', %s, true), "
                        "set_config('latchkey.mode', 'live', true)", (org,))
            cur.execute("UPDATE latchkey.users SET role = 'viewer' "
                        "WHERE id = %s", (uid,))
            assert cur.rowcount == 1
            app.rollback()
        finally:
            app.close()
        assert query(db, "SELECT role FROM latchkey.users WHERE id = %s",
                     uid) == [("owner",)]
    finally:
        owner.execute("DELETE FROM latchkey.orgs WHERE id = %s", (org,))


def test_guessing_the_current_password_spends_the_login_budget(client, db):
    """A stolen token buys no more guesses than the login form: each
    guess takes a token from the account's login email bucket."""
    s = client.signup()
    uid, t = s["user"]["id"], s["token"]
    before = password_hash(db, uid)
    limit = login_rate_per_min()
    for i in range(limit):
        r = client.patch("/v1/users/" + uid, {
            "password": "taken over!!", "current_password": "guess %d" % i},
            token=t)
        assert_error(r, 403, "wrong_password")
    r = client.patch("/v1/users/" + uid, {
        "password": "taken over!!", "current_password": s["password"]},
        token=t)
    assert_error(r, 429, "rate_limited")
    assert int(r.header("Retry-After")) >= 1
    assert password_hash(db, uid) == before
    # The login form shares the budget.
    assert_error(client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": s["password"]}),
        429, "rate_limited")
