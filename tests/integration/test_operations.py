"""The procedures of docs/deploy.md ("Rotating secrets", "Backups",
"Upgrades"), followed step by step as an operator would: private
latchkeyd "hosts" whose config file is edited and reloaded with SIGHUP
(what `systemctl reload latchkeyd` sends), and the stack's database.
"""
import base64
import hashlib
import hmac
import os
import secrets
import signal
import subprocess

import pytest

from helpers import (PASSWORD, connect, eventually, eventually_status,
                     query, stack_setting, unique_email)
from private_daemon import Daemon, random_address

RELOAD_SECONDS = 20
PG_BIN = "/usr/lib/postgresql/15/bin"
PG_SUPERUSER = "postgres"   # the harness's cluster superuser


def config_path(d):
    return os.path.join(d.dir.name, "latchkey.conf")


def reload(d, **changes):
    """Edits d's config file (a value None removes the key) and sends
    SIGHUP; returns once the master has reloaded.  Requests may still
    reach a worker of the old config for a moment after: callers poll."""
    with open(config_path(d)) as f:
        lines = [line.partition("=") for line in f if "=" in line]
    conf = {k.strip(): v.strip() for k, _, v in lines}
    for k, v in changes.items():
        if v is None:
            conf.pop(k, None)
        else:
            conf[k] = v
    with open(config_path(d), "w") as f:
        for k, v in conf.items():
            f.write("%s = %s\n" % (k, v))
    with open(d.log.name) as f:
        before = f.read().count("reloaded")
    d.proc.send_signal(signal.SIGHUP)

    def reloaded():
        with open(d.log.name) as f:
            return f.read().count("reloaded") > before
    assert eventually(reloaded, RELOAD_SECONDS), "no reload"


def signs_with(token, secret):
    """Whether token's HS256 signature is made with secret."""
    head, payload, sig = token.split(".")
    mac = hmac.new(secret.encode(), ("%s.%s" % (head, payload)).encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == sig


def signup(d):
    email = unique_email("ops")
    r = d.request("POST", "/v1/auth/signup", {
        "org_name": "ops", "email": email, "password": PASSWORD},
        remote=random_address())
    assert r.status == 201, r
    return email, r.json


def login(d, email):
    r = d.request("POST", "/v1/auth/login",
                  {"email": email, "password": PASSWORD},
                  remote=random_address())
    assert r.status == 200, r
    return r.json["token"]


def me(d, token):
    return d.request("GET", "/v1/me",
                     headers={"Authorization": "Bearer " + token})


def login_signed_with(d, email, secret):
    """A login token from d signed with secret, once d's workers use it."""
    tokens = []

    def attempt():
        tokens[:] = [login(d, email)]
        return signs_with(tokens[0], secret)
    assert eventually(attempt, RELOAD_SECONDS), "still signing otherwise"
    return tokens[0]


def test_jwt_secret_rotation_across_two_hosts_refuses_no_valid_token():
    old, new = stack_setting("jwt_secret"), secrets.token_hex(32)
    with Daemon({}) as a, Daemon({}) as b:
        email, _ = signup(a)
        t_old = login_signed_with(a, email, old)

        # 1. Every host learns the new secret as the previous one:
        # still signing with the old, already accepting the new.
        reload(a, jwt_secret_previous=new)
        reload(b, jwt_secret_previous=new)
        # 2. Host by host, the new secret signs and the old one verifies.
        reload(a, jwt_secret=new, jwt_secret_previous=old)
        t_new = login_signed_with(a, email, new)
        assert not signs_with(t_new, old)
        # b, not switched yet, accepts a's new tokens already.
        r = eventually_status(lambda: me(b, t_new), 200, RELOAD_SECONDS)
        assert r.status == 200, r
        reload(b, jwt_secret=new, jwt_secret_previous=old)
        login_signed_with(b, email, new)
        for host in (a, b):
            for t in (t_old, t_new):
                r = me(host, t)
                assert r.status == 200, r
        # 3. After jwt_ttl, the old secret goes: its tokens are refused.
        for host in (a, b):
            reload(host, jwt_secret_previous=None)
            r = eventually_status(lambda: me(host, t_old), 401,
                                  RELOAD_SECONDS)
            assert (r.status, r.code) == (401, "invalid_token"), r
            assert me(host, t_new).status == 200


def test_a_service_key_is_rotated_by_listing_both_then_the_new_one():
    old_key, new_key = "svc-" + secrets.token_hex(24), \
        "svc-" + secrets.token_hex(24)
    old_hash, new_hash = (hashlib.sha256(k.encode()).hexdigest()
                          for k in (old_key, new_key))

    def as_service(d, key, org):
        return d.request("GET", "/v1/me", headers={
            "X-Internal-Key": key, "X-Org-Id": org})

    with Daemon({"service_keys": old_hash}) as d:
        _, s = signup(d)
        org = s["org"]["id"]
        assert as_service(d, old_key, org).status == 200
        r = as_service(d, new_key, org)
        assert (r.status, r.code) == (401, "invalid_service_key"), r

        reload(d, service_keys="%s,%s" % (old_hash, new_hash))
        r = eventually_status(lambda: as_service(d, new_key, org), 200,
                              RELOAD_SECONDS)
        assert r.status == 200, r
        assert as_service(d, old_key, org).status == 200

        reload(d, service_keys=new_hash)
        r = eventually_status(lambda: as_service(d, old_key, org), 401,
                              RELOAD_SECONDS)
        assert (r.status, r.code) == (401, "invalid_service_key"), r
        assert as_service(d, new_key, org).status == 200


@pytest.fixture
def su():
    """A superuser connection: it reads other roles' activity."""
    conn = connect(PG_SUPERUSER)
    yield conn
    conn.close()


def test_a_reload_reconnects_with_the_new_connection_strings(su):
    # What a database password change needs: new connection strings
    # (here a new application_name) taken up by a reload, no restart.
    before, after = ("lk-ops-" + secrets.token_hex(4) for _ in range(2))
    urls = {k: stack_setting(k) for k in ("database_url",
                                          "history_database_url")}

    def named(name):
        return {k: "%s application_name=%s-%s" % (v, name, k[:4])
                for k, v in urls.items()}

    def names_are(want, gone):
        # A worker connects at its first request.
        assert d.request("GET", "/health").status == 200
        names = {r[0] for r in query(
            su, "SELECT application_name FROM pg_stat_activity "
            "WHERE application_name LIKE %s", "lk-ops-%")}
        return names >= want and not any(n.startswith(gone) for n in names)

    with Daemon(named(before)) as d:
        assert d.request("GET", "/health").status == 200
        assert eventually(lambda: names_are(
            {before + "-data", before + "-hist"}, after), RELOAD_SECONDS)
        reload(d, **named(after))
        assert eventually(lambda: names_are(
            {after + "-data", after + "-hist"}, before), RELOAD_SECONDS)
        assert d.request("GET", "/health").status == 200


def pg_tool(tool, *args):
    return subprocess.run(
        [os.path.join(PG_BIN, tool), "-h", os.environ["PGHOST"],
         "-p", os.environ["PGPORT"]] + list(args),
        capture_output=True, text=True, timeout=300)


def pg_dump(user, *args):
    return pg_tool("pg_dump", "-U", user, "-d",
                   os.environ.get("PGDATABASE", "latchkey"), *args)


needs_pg_dump = pytest.mark.skipif(
    not os.path.exists(os.path.join(PG_BIN, "pg_dump")),
    reason="needs PostgreSQL 15's pg_dump")


@needs_pg_dump
def test_the_owner_role_cannot_dump_past_row_level_security():
    # So the backup runs as the superuser: the owner's dump is refused
    # rather than missing rows.
    r = pg_dump(os.environ.get("LK_OWNER_ROLE", "latchkey_owner"),
                "--data-only", "-t", "latchkey.orgs", "-f", os.devnull)
    assert r.returncode != 0
    assert "row-level security" in r.stderr, r.stderr


@needs_pg_dump
def test_the_nightly_dump_keeps_the_state_and_the_writers_grant(tmp_path):
    out = str(tmp_path / "state.dump")
    r = pg_dump(PG_SUPERUSER, "-Fc", "--create",
                "--exclude-table-data=latchkey.rate_state",
                "--exclude-table-data=latchkey.request_log*", "-f", out)
    assert r.returncode == 0, r.stderr
    r = pg_tool("pg_restore", "-l", out)
    assert r.returncode == 0, r.stderr
    data = {line.split()[-2] for line in r.stdout.splitlines()
            if " TABLE DATA latchkey " in line}
    assert {"orgs", "users", "api_keys", "directs", "routes",
            "audit_events", "sessions", "schema_migrations"} <= data, data
    assert not any(t.startswith("request_log") or t == "rate_state"
                   for t in data), data
    # The writer's TEMPORARY on the database (sql/029) is restored only
    # by pg_restore --create.
    for create, want in ((["--create"], True), ([], False)):
        script = pg_tool("pg_restore", "-f", "-", "--schema-only",
                         *create, out)
        assert script.returncode == 0, script.stderr
        grant = "GRANT TEMPORARY ON DATABASE %s TO latchkey_writer;" % (
            os.environ.get("PGDATABASE", "latchkey"))
        assert (grant in script.stdout) == want, create


def test_migration_030_blocks_history_writes_and_reads_while_it_runs():
    # docs/deploy.md, "Upgrades": what 030 locks.  Run again inside a
    # transaction that is rolled back, and read the locks it holds.
    sql = open(os.path.join(os.path.dirname(__file__), "..", "..", "sql",
                            "030_replace_request_log_indexes.sql")).read()
    conn = connect(autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout TO '10s'")
            cur.execute(sql)
            cur.execute(
                "SELECT DISTINCT l.mode FROM pg_locks l "
                "WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' "
                "AND l.relation = 'latchkey.request_log'::regclass")
            modes = {r[0] for r in cur.fetchall()}
    finally:
        conn.rollback()
        conn.close()
    # CREATE INDEX holds SHARE (no history writes) to the commit; DROP
    # INDEX takes ACCESS EXCLUSIVE (no reads either), before the second
    # index is built in the same transaction.
    assert {"ShareLock", "AccessExclusiveLock"} <= modes, modes
