"""latchkeyctl plan, org and key: plans and limits without SQL.

Each command is run as the operator would (helpers.ctl, the owner role)
and judged by its exit status, its output, the database afterwards, the
org's audit trail and what latchkeyd answers next: a change reaches the
RateLimit-Policy header of the next requests (polled with a deadline, as
the change reaches the hosts' caches by NOTIFY).

Plans are deployment-wide: every test makes its own, under a random
name, and never touches the plan `default` the other tests rely on.
"""
import json
import os
import re
import secrets
import subprocess
import threading
import uuid

import pytest

from helpers import (add_user, built, clean_env, connect, ctl, eventually,
                     make_key, owner_url, query, unique_email)


def run(*args):
    """latchkeyctl, its exit status left for the test to judge."""
    return ctl(*args, check=False)


def new_plan(key_rate, org_rate):
    """A new plan of these rates: its name."""
    name = "p_" + secrets.token_hex(4)
    r = run("plan", "add", name, "--key-rate", str(key_rate),
            "--org-rate", str(org_rate))
    assert r.returncode == 0, r.stderr
    return name


def policy(r):
    """The quotas of a RateLimit-Policy header: {"cred": q, "org": q}."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        r'"(\w+)";q=(\d+)', r.header("RateLimit-Policy") or "")}


def policy_becomes(client, key, want):
    """Polls GET /v1/me with key until its policy is want (a dict); the
    last policy seen."""
    seen = {}

    def check():
        seen.clear()
        seen.update(policy(client.get("/v1/me",
                                      headers={"X-API-Key": key})))
        return seen == want
    eventually(check)
    return seen


def operator_events(db, org_id, action):
    """The org's audit events of action by the operator: (mode,
    target_id, detail), oldest first."""
    return query(db, "SELECT mode, target_id::text, detail FROM "
                 "latchkey.audit_events WHERE org_id = %s AND action = %s "
                 "AND actor_kind = 'operator' AND actor_id IS NULL "
                 "ORDER BY created_at, id", org_id, action)


def plan_row(db, name):
    return query(db, "SELECT id, name, key_rate_per_min, org_rate_per_min "
                 "FROM latchkey.plans WHERE id = %s", name)


# --- plan add / list ---------------------------------------------------------

def test_plan_add_creates_a_plan_that_plan_list_shows(db, lighttpd):
    name = "p_" + secrets.token_hex(4)
    r = run("plan", "add", name, "--key-rate", "7", "--org-rate", "70")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "plan %s added: 7/min per key, 70/min per org\n" % \
        name
    assert r.stderr == ""
    assert plan_row(db, name) == [(name, name, 7, 70)]

    s = lighttpd.signup()
    assert run("org", "set-plan", s["org"]["id"], name).returncode == 0

    r = run("plan", "list")
    assert r.returncode == 0, r.stderr
    mine = [line for line in r.stdout.splitlines()
            if line.split()[0] == name]
    assert len(mine) == 1, r.stdout
    assert re.fullmatch(r"%s +7/min per key +70/min per org  1 org  %s" %
                        (name, name), mine[0]), mine
    dflt = [line for line in r.stdout.splitlines()
            if line.split()[0] == "default"]
    assert re.fullmatch(r"default +60/min per key +1000/min per org  "
                        r"\d+ orgs?  Default", dflt[0]), dflt

    r = run("plan", "list", "--json")
    assert r.returncode == 0, r.stderr
    plans = json.loads(r.stdout)
    assert r.stdout.count("\n") == 1
    by_id = {p["id"]: p for p in plans}
    assert by_id[name] == {"id": name, "name": name, "key_rate_per_min": 7,
                           "org_rate_per_min": 70, "orgs": 1}
    assert by_id["default"]["key_rate_per_min"] == 60
    assert by_id["default"]["org_rate_per_min"] == 1000
    assert [p["id"] for p in plans] == sorted(by_id)


@pytest.mark.parametrize("args, message", [
    (["plan", "add"], "plan add takes one NAME"),
    (["plan", "add", "Pro", "--key-rate", "1", "--org-rate", "1"],
     "Pro is not a plan name"),
    (["plan", "add", "a" * 33, "--key-rate", "1", "--org-rate", "1"],
     "is not a plan name"),
    (["plan", "add", "p_x", "--key-rate", "5"],
     "plan add needs --key-rate N and --org-rate M"),
    (["plan", "add", "p_x", "--key-rate", "0", "--org-rate", "5"],
     "--key-rate takes requests per minute, 1 to 1000000000"),
    (["plan", "add", "p_x", "--key-rate", "5", "--org-rate", "1000000001"],
     "--org-rate takes requests per minute, 1 to 1000000000"),
    (["plan", "add", "p_x", "--key-rate", "five", "--org-rate", "5"],
     "--key-rate takes requests per minute"),
    (["plan", "add", "p_x", "--key-rate", "5", "--org-rate", "5",
      "--json"], "plan add takes no --json"),
    (["plan", "list", "extra"], "plan list takes no arguments"),
    (["plan", "list", "--key-rate", "5"], "plan list takes no arguments"),
    (["plan", "set", "p_x"], "plan set needs --key-rate N, --org-rate M"),
    (["plan", "remove", "p_x"], "plan needs add, list or set, not 'remove'"),
    (["plan"], "plan needs add, list or set, not ''"),
    (["plan", "add", "p_x", "--key-rate", "1", "--org-rate", "1",
      "--public"], "option --public does not apply to plan"),
])
def test_plan_refuses_bad_arguments_with_usage_errors(db, args, message):
    before = query(db, "SELECT count(*) FROM latchkey.plans")
    r = run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert r.stdout == ""
    assert query(db, "SELECT count(*) FROM latchkey.plans") == before


def test_plan_add_refuses_a_plan_that_exists(db):
    name = new_plan(5, 50)
    r = run("plan", "add", name, "--key-rate", "9", "--org-rate", "90")
    assert r.returncode == 1
    assert r.stderr == "latchkeyctl: plan add: plan %s exists; change it " \
        "with plan set\n" % name
    assert plan_row(db, name) == [(name, name, 5, 50)]


# --- plan set ----------------------------------------------------------------

def test_plan_set_changes_one_rate_or_both(db):
    name = new_plan(5, 50)
    r = run("plan", "set", name, "--org-rate", "80")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "plan %s saved: 5/min per key, 80/min per org\n" % \
        name
    assert plan_row(db, name) == [(name, name, 5, 80)]
    r = run("plan", "set", name, "--key-rate", "6", "--org-rate", "81")
    assert r.returncode == 0, r.stderr
    assert plan_row(db, name) == [(name, name, 6, 81)]


def test_plan_set_refuses_an_unknown_plan(db):
    name = "p_" + secrets.token_hex(4)
    r = run("plan", "set", name, "--key-rate", "5")
    assert r.returncode == 1
    assert r.stderr == "latchkeyctl: plan set: no plan %s (plan list " \
        "shows them)\n" % name
    assert r.stdout == ""
    assert plan_row(db, name) == []


def test_lowering_a_key_rate_lowers_own_limits_above_it(db, lighttpd):
    name = new_plan(50, 1000)
    s = lighttpd.signup()
    org_id = s["org"]["id"]
    assert run("org", "set-plan", org_id, name).returncode == 0
    high = make_key(lighttpd, s["token"], rate_limit_per_min=40)
    low = make_key(lighttpd, s["token"], rate_limit_per_min=10)
    follows = make_key(lighttpd, s["token"])
    raised = make_key(lighttpd, s["token"])
    assert run("key", "set-limit", raised["id"], "45").returncode == 0
    test_key = make_key(lighttpd, s["token"], mode="test",
                        rate_limit_per_min=30)

    r = run("plan", "set", name, "--key-rate", "20")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "plan %s saved: 20/min per key, 1000/min per org\n" \
        "lowered 2 key limits to 20/min\n" % name
    limits = dict(query(db, "SELECT id::text, rate_limit_per_min FROM "
                        "latchkey.api_keys WHERE org_id = %s", org_id))
    assert limits[high["id"]] == 20
    assert limits[low["id"]] == 10
    assert limits[follows["id"]] is None
    assert limits[raised["id"]] == 45      # the operator's own: kept
    assert limits[test_key["id"]] == 20
    events = operator_events(db, org_id, "api_key.limit_changed")
    lowered = [(m, t, d) for m, t, d in events
               if d.get("reason") == "plan_key_rate"]
    assert sorted(lowered) == sorted([
        ("live", high["id"], {"rate_limit_per_min": 20,
                              "reason": "plan_key_rate"}),
        ("test", test_key["id"], {"rate_limit_per_min": 20,
                                  "reason": "plan_key_rate"})])
    # The next requests see it: the lowered key and one following the
    # plan alike.
    assert policy_becomes(lighttpd, high["key"],
                          {"cred": 20, "org": 1000}) == \
        {"cred": 20, "org": 1000}
    assert policy_becomes(lighttpd, follows["key"],
                          {"cred": 20, "org": 1000}) == \
        {"cred": 20, "org": 1000}
    assert policy_becomes(lighttpd, raised["key"],
                          {"cred": 45, "org": 1000}) == \
        {"cred": 45, "org": 1000}

    # Raising it again lowers nothing and says nothing of keys.
    r = run("plan", "set", name, "--key-rate", "100")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "plan %s saved: 100/min per key, 1000/min per " \
        "org\n" % name


# --- org set-plan / set-limit -------------------------------------------------

def test_org_set_plan_moves_an_org_by_id_or_name(db, lighttpd):
    name = new_plan(11, 110)
    org_name = "Plans Org " + secrets.token_hex(4)
    s = lighttpd.signup(org_name=org_name)
    org_id = s["org"]["id"]
    r = run("org", "set-plan", org_id.upper(), name)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "org %s moved from plan default to plan %s\n" % (
        org_id, name)
    assert query(db, "SELECT plan_id FROM latchkey.orgs WHERE id = %s",
                 org_id) == [(name,)]
    assert operator_events(db, org_id, "org.plan_changed") == [
        ("live", org_id, {"plan": name, "previous_plan": "default",
                          "keys_lowered": 0})]
    r = lighttpd.get("/v1/org", token=s["token"])
    assert r.status == 200, r
    assert r.json["plan"] == {"id": name, "name": name,
                              "key_rate_per_min": 11,
                              "org_rate_per_min": 110}

    r = run("org", "set-plan", org_name, "default")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "org %s moved from plan %s to plan default\n" % (
        org_id, name)
    assert query(db, "SELECT plan_id FROM latchkey.orgs WHERE id = %s",
                 org_id) == [("default",)]
    # Again: nothing to do, nothing recorded.
    r = run("org", "set-plan", org_id, "default")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "org %s is on plan default already\n" % org_id
    assert len(operator_events(db, org_id, "org.plan_changed")) == 2


def test_org_set_plan_lowers_own_limits_above_the_new_key_rate(db, lighttpd):
    small = new_plan(15, 100)
    s = lighttpd.signup()
    org_id = s["org"]["id"]
    k = make_key(lighttpd, s["token"], rate_limit_per_min=50)
    r = run("org", "set-plan", org_id, small)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("lowered 1 key limit to the plan's key "
                             "rate\n"), r.stdout
    assert query(db, "SELECT rate_limit_per_min FROM latchkey.api_keys "
                 "WHERE id = %s", k["id"]) == [(15,)]
    assert operator_events(db, org_id, "org.plan_changed")[-1][2] == {
        "plan": small, "previous_plan": "default", "keys_lowered": 1}
    assert policy_becomes(lighttpd, k["key"], {"cred": 15, "org": 100}) == \
        {"cred": 15, "org": 100}


def test_org_set_plan_refuses_unknown_orgs_plans_and_shared_names(
        db, lighttpd):
    shared = "Twin Org " + secrets.token_hex(4)
    a = lighttpd.signup(org_name=shared)
    lighttpd.signup(org_name=shared)
    name = new_plan(5, 50)
    missing = str(uuid.uuid4())
    cases = [
        (["org", "set-plan", missing, name], 1,
         "latchkeyctl: org set-plan: no org %s\n" % missing),
        (["org", "set-plan", "No Such Org " + secrets.token_hex(4), name], 1,
         "no org No Such Org"),
        (["org", "set-plan", shared, name], 1,
         "latchkeyctl: org set-plan: more than one org is named %s; give "
         "its id\n" % shared),
        (["org", "set-plan", a["org"]["id"], "p_missing_" +
          secrets.token_hex(2)], 1, "no plan p_missing_"),
        (["org", "set-plan", a["org"]["id"], "Pro"], 2,
         "Pro is not a plan name"),
        (["org", "set-plan", a["org"]["id"]], 2,
         "org set-plan takes ORG PLAN"),
        (["org", "set-plan", "", name], 2, "ORG is an org's id or name"),
        (["org", "rename", a["org"]["id"], "x"], 2,
         "org needs set-plan or set-limit, not 'rename'"),
        (["org", "set-plan", a["org"]["id"], name, "--json"], 2,
         "option --json does not apply to org"),
    ]
    for args, status, message in cases:
        r = run(*args)
        assert r.returncode == status, (args, r.stdout, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert r.stdout == "", args
    assert query(db, "SELECT count(*) FROM latchkey.orgs WHERE name = %s "
                 "AND plan_id <> 'default'", shared) == [(0,)]
    assert operator_events(db, a["org"]["id"], "org.plan_changed") == []


def test_org_set_limit_sets_the_org_limit_and_default_clears_it(
        db, lighttpd):
    s = lighttpd.signup()
    org_id = s["org"]["id"]
    key = make_key(lighttpd, s["token"])
    r = run("org", "set-limit", org_id, "250")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "org %s limited to 250/min\n" % org_id
    assert query(db, "SELECT rate_limit_per_min FROM latchkey.orgs "
                 "WHERE id = %s", org_id) == [(250,)]
    assert policy_becomes(lighttpd, key["key"], {"cred": 60, "org": 250}) \
        == {"cred": 60, "org": 250}
    r = lighttpd.get("/v1/org", token=s["token"])
    assert (r.json["rate_limit_per_min"], r.json["effective"]) == (
        250, {"key_rate_per_min": 60, "org_rate_per_min": 250}), r

    r = run("org", "set-limit", org_id, "default")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "org %s back to its plan's org rate, 1000/min\n" % \
        org_id
    assert query(db, "SELECT rate_limit_per_min FROM latchkey.orgs "
                 "WHERE id = %s", org_id) == [(None,)]
    assert operator_events(db, org_id, "org.limit_changed") == [
        ("live", org_id, {"rate_limit_per_min": 250,
                          "previous_rate_limit_per_min": None}),
        ("live", org_id, {"rate_limit_per_min": None,
                          "previous_rate_limit_per_min": 250})]
    assert policy_becomes(lighttpd, key["key"], {"cred": 60, "org": 1000}) \
        == {"cred": 60, "org": 1000}


@pytest.mark.parametrize("value, status, message", [
    ("0", 2, "0 is neither requests per minute (1 to 1000000000) nor "
     "default"),
    ("1000000001", 2, "neither requests per minute"),
    ("-5", 2, "unknown option -5"),
    ("ten", 2, "ten is neither requests per minute"),
    ("Default", 2, "Default is neither"),
])
def test_org_set_limit_refuses_values_that_are_not_rates(
        db, lighttpd, value, status, message):
    s = lighttpd.signup()
    r = run("org", "set-limit", s["org"]["id"], value)
    assert r.returncode == status, r.stderr
    assert message in r.stderr
    assert query(db, "SELECT rate_limit_per_min FROM latchkey.orgs "
                 "WHERE id = %s", s["org"]["id"]) == [(None,)]


def test_org_set_limit_refuses_an_unknown_org():
    missing = str(uuid.uuid4())
    r = run("org", "set-limit", missing, "10")
    assert r.returncode == 1
    assert r.stderr == "latchkeyctl: org set-limit: no org %s\n" % missing


# --- key set-limit -----------------------------------------------------------

def test_key_set_limit_raises_a_key_above_its_plan_and_default_undoes_it(
        db, lighttpd):
    s = lighttpd.signup()
    org_id = s["org"]["id"]
    k = make_key(lighttpd, s["token"])
    r = run("key", "set-limit", k["id"], "600")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "key %s limited to 600/min by the operator\n" % \
        k["id"]
    assert query(db, "SELECT rate_limit_per_min, "
                 "operator_rate_limit_per_min FROM latchkey.api_keys "
                 "WHERE id = %s", k["id"]) == [(600, 600)]
    got = lighttpd.get("/v1/api-keys/" + k["id"], token=s["token"]).json
    assert (got["rate_limit_per_min"], got["effective_rate_limit_per_min"],
            got["max_rate_limit_per_min"],
            got["operator_rate_limit_per_min"]) == (600, 600, 600, 600)
    assert policy_becomes(lighttpd, k["key"], {"cred": 600, "org": 1000}) \
        == {"cred": 600, "org": 1000}

    r = run("key", "set-limit", k["id"].upper(), "default")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "key %s back to its plan's key rate, 60/min\n" % \
        k["id"]
    assert query(db, "SELECT rate_limit_per_min, "
                 "operator_rate_limit_per_min FROM latchkey.api_keys "
                 "WHERE id = %s", k["id"]) == [(None, None)]
    assert operator_events(db, org_id, "api_key.limit_changed") == [
        ("live", k["id"], {"rate_limit_per_min": 600,
                           "operator_rate_limit_per_min": 600,
                           "previous_rate_limit_per_min": None}),
        ("live", k["id"], {"rate_limit_per_min": None,
                           "operator_rate_limit_per_min": None,
                           "previous_rate_limit_per_min": 600})]
    assert policy_becomes(lighttpd, k["key"], {"cred": 60, "org": 1000}) \
        == {"cred": 60, "org": 1000}


def test_key_set_limit_records_a_test_keys_change_in_test_mode(db, lighttpd):
    s = lighttpd.signup()
    k = s["api_key"]
    assert run("key", "set-limit", k["id"], "5").returncode == 0
    assert operator_events(db, s["org"]["id"], "api_key.limit_changed") == [
        ("test", k["id"], {"rate_limit_per_min": 5,
                           "operator_rate_limit_per_min": 5,
                           "previous_rate_limit_per_min": None})]
    # A test credential reads its own mode's events.
    r = lighttpd.get("/v1/activity", headers={"X-API-Key": k["key"]})
    assert r.status == 200, r
    mine = [e for e in r.json["data"]
            if e["action"] == "api_key.limit_changed"]
    assert len(mine) == 1, r.json
    assert mine[0]["actor"] == {"kind": "operator", "id": None,
                                "user_id": None}


@pytest.mark.parametrize("args, status, message", [
    (["key", "set-limit", "not-a-uuid", "5"], 2,
     "not-a-uuid is not a key id"),
    (["key", "set-limit", "{id}", "0"], 2,
     "0 is neither requests per minute (1 to 1000000000) nor default"),
    (["key", "set-limit", "{id}"], 2, "key set-limit takes KEY_ID "
     "N|default"),
    (["key", "show", "{id}", "5"], 2, "key needs set-limit, not 'show'"),
    (["key", "set-limit", "{missing}", "5"], 1, "no API key"),
])
def test_key_set_limit_refuses_bad_ids_and_values(db, lighttpd, args, status,
                                                  message):
    s = lighttpd.signup()
    k = make_key(lighttpd, s["token"])
    missing = str(uuid.uuid4())
    args = [a.format(id=k["id"], missing=missing) for a in args]
    r = run(*args)
    assert r.returncode == status, (r.stdout, r.stderr)
    assert message in r.stderr
    assert r.stdout == ""
    assert query(db, "SELECT rate_limit_per_min, "
                 "operator_rate_limit_per_min FROM latchkey.api_keys "
                 "WHERE id = %s", k["id"]) == [(None, None)]


def test_the_operator_limits_reach_a_login_token_too(db, lighttpd):
    """A login's bucket follows the plan's key rate as a key does."""
    name = new_plan(33, 330)
    _, token = add_user(lighttpd, lighttpd.signup()["token"], "member",
                        email=unique_email("plan"))
    org_id = lighttpd.get("/v1/me", token=token).json["org_id"]
    assert run("org", "set-plan", org_id, name).returncode == 0
    seen = {}

    def check():
        seen.clear()
        seen.update(policy(lighttpd.get("/v1/me", token=token)))
        return seen == {"cred": 33, "org": 330}
    assert eventually(check), seen


# --- an operator change racing an API change ----------------------------------

def waiting_for_a_lock(db, role, application=None):
    """Whether a backend of role (and application_name) waits for a
    lock.  pg_locks, not pg_stat_activity's wait_event: the owner role may
    not read another role's wait events."""
    return query(db, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity "
                 "a ON a.pid = l.pid WHERE NOT l.granted AND a.usename = %s "
                 "AND (%s::text IS NULL OR a.application_name = %s)",
                 role, application, application)[0][0] > 0


def app_transaction(org_id):
    """A runtime-role connection in a transaction of org_id, live mode:
    what latchkeyd holds while it judges a key's limit."""
    conn = connect(os.environ["LK_APP_ROLE"], autocommit=False)
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('latchkey.org_id', %s, true), "
                    "set_config('latchkey.mode', 'live', true)", (org_id,))
    return conn


@pytest.mark.parametrize("command", ["org set-plan", "plan set"])
def test_latchkeyctl_waits_for_a_limit_being_judged_then_lowers_it(
        db, lighttpd, command):
    plan = new_plan(60, 1000)
    small = new_plan(10, 1000)
    s = lighttpd.signup()
    org_id = s["org"]["id"]
    assert run("org", "set-plan", org_id, plan).returncode == 0
    k = make_key(lighttpd, s["token"])
    args = ["org", "set-plan", org_id, small] if command == "org set-plan" \
        else ["plan", "set", plan, "--key-rate", "10"]
    app = app_transaction(org_id)
    proc = None
    try:
        with app.cursor() as cur:
            # As handlers/keys.c does before it reads the cap.
            cur.execute("SELECT 1 FROM latchkey.orgs WHERE id = %s "
                        "FOR SHARE", (org_id,))
            proc = subprocess.Popen(
                [built("latchkeyctl"), "--database-url", owner_url()] + args,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=clean_env())
            assert eventually(lambda: waiting_for_a_lock(
                db, os.environ["LK_OWNER_ROLE"], "latchkeyctl")), \
                "latchkeyctl did not wait for the org"
            # Judged against the plan still in force: 50 is within 60.
            cur.execute("UPDATE latchkey.api_keys SET "
                        "rate_limit_per_min = 50 WHERE id = %s", (k["id"],))
        app.commit()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "lowered 1 key limit" in out, out
    finally:
        app.rollback()
        app.close()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
    assert query(db, "SELECT rate_limit_per_min FROM latchkey.api_keys "
                 "WHERE id = %s", k["id"]) == [(10,)]


def test_a_limit_asked_while_latchkeyctl_moves_the_org_is_judged_after(
        db, lighttpd):
    small = new_plan(10, 1000)
    s = lighttpd.signup()
    org_id = s["org"]["id"]
    k = make_key(lighttpd, s["token"])
    op = connect(autocommit=False)
    answer = []
    thread = threading.Thread(target=lambda: answer.append(lighttpd.patch(
        "/v1/api-keys/" + k["id"], {"rate_limit_per_min": 50},
        token=s["token"])))
    try:
        with op.cursor() as cur:
            # What op_org_find() and org set-plan do, held open.
            cur.execute("SELECT 1 FROM latchkey.orgs WHERE id = %s "
                        "FOR NO KEY UPDATE", (org_id,))
            cur.execute("UPDATE latchkey.orgs SET plan_id = %s "
                        "WHERE id = %s", (small, org_id))
            thread.start()
            assert eventually(lambda: waiting_for_a_lock(
                db, os.environ["LK_APP_ROLE"])), \
                "the PATCH did not wait for the org"
        op.commit()
        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        op.rollback()
        op.close()
        if thread.ident is not None:
            thread.join(timeout=60)
    r = answer[0]
    assert r.status == 422, r
    assert r.code == "rate_limit_too_high"
    assert "50 is above 10" in r.json["error"]["message"]
    assert query(db, "SELECT rate_limit_per_min FROM latchkey.api_keys "
                 "WHERE id = %s", k["id"]) == [(None,)]
