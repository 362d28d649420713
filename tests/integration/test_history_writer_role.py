"""test_history_writer_role.py: the request-history writer's role,
latchkey_writer, may insert history and nothing else.

It bypasses row-level security (PostgreSQL refuses COPY FROM into a table
with row-level security to a role subject to it), so what it may do must be
exactly: INSERT into request_log (by COPY too), EXECUTE append_events() for
the audit events the writer carries and the two request_rollup_add*()
functions that count its rows in the hourly rollups (045), USAGE on the
schema, TEMPORARY on the database.  It reads no row, changes no row, and calls no other SECURITY
DEFINER function.  Tables and functions are enumerated from the catalog, so
ones added by later migrations are covered too.

Environment (written by the harness; the module is skipped without it):
PGHOST, PGPORT, PGDATABASE, LK_OWNER_ROLE, LK_WRITER_ROLE.
"""

import datetime
import io
import os
import secrets
import uuid

import psycopg2
import pytest
from psycopg2 import sql

from helpers import (connect, ctl, eventually, history_rows, log_count,
                     run_built)

REQUIRED = ("PGHOST", "PGPORT", "PGDATABASE", "LK_OWNER_ROLE",
            "LK_WRITER_ROLE")
_missing = [v for v in REQUIRED if not os.environ.get(v)]
if _missing:
    pytest.skip("test stack environment not set: " + ", ".join(_missing),
                allow_module_level=True)

WRITER = os.environ["LK_WRITER_ROLE"]
PERMISSION_DENIED = "42501"
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE",
                    "REFERENCES", "TRIGGER")


@pytest.fixture(scope="module")
def owner():
    conn = connect(autocommit=True)
    yield conn
    conn.close()


@pytest.fixture
def writer():
    conn = connect(WRITER, autocommit=True)
    yield conn
    conn.close()


def refused(conn, stmt, params=None):
    """The SQLSTATE stmt fails with as the writer (None: it succeeded)."""
    with conn.cursor() as cur:
        try:
            cur.execute(stmt, params)
        except psycopg2.Error as e:
            return e.pgcode
    return None


def test_writer_role_bypasses_rls_and_holds_no_other_power(owner):
    with owner.cursor() as cur:
        cur.execute("SELECT rolsuper, rolbypassrls, rolcreatedb, "
                    "rolcreaterole, rolinherit, rolcanlogin, rolreplication "
                    "FROM pg_catalog.pg_roles WHERE rolname = %s", (WRITER,))
        assert cur.fetchall() == [(False, True, False, False, False, True,
                                   False)]
        cur.execute("SELECT r.rolname FROM pg_catalog.pg_auth_members m "
                    "JOIN pg_catalog.pg_roles r ON r.oid = m.roleid "
                    "JOIN pg_catalog.pg_roles u ON u.oid = m.member "
                    "WHERE u.rolname = %s", (WRITER,))
        assert cur.fetchall() == []


def test_writer_role_may_only_insert_into_request_log(owner):
    with owner.cursor() as cur:
        cur.execute("""
            SELECT c.relname, p.priv
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN unnest(%s::text[]) AS p(priv)
            WHERE n.nspname = 'latchkey' AND c.relkind IN ('r', 'p', 'v',
                'm', 'f', 'S')
              AND pg_catalog.has_table_privilege(%s, c.oid, p.priv)
            ORDER BY 1, 2""", (list(TABLE_PRIVILEGES), WRITER))
        assert cur.fetchall() == [("request_log", "INSERT")]


def test_writer_role_may_call_no_definer_function_but_its_own(owner):
    with owner.cursor() as cur:
        cur.execute("""
            SELECT p.proname FROM pg_catalog.pg_proc p
            JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'latchkey' AND p.prosecdef
              AND pg_catalog.has_function_privilege(%s, p.oid, 'EXECUTE')
            ORDER BY 1""", (WRITER,))
        assert cur.fetchall() == [("append_events",),
                                  ("request_rollup_add",),
                                  ("request_rollup_add_replayed",)]


@pytest.mark.parametrize("stmt", [
    "SELECT count(*) FROM latchkey.request_log",
    "SELECT count(*) FROM latchkey.api_keys",
    "SELECT count(*) FROM latchkey.orgs",
    "SELECT count(*) FROM latchkey.users",
    "SELECT count(*) FROM latchkey.audit_events",
    "SELECT count(*) FROM latchkey.request_rollup",
    "DELETE FROM latchkey.request_rollup",
    "SELECT latchkey.request_rollup_rebuild('-infinity', 'infinity')",
    "UPDATE latchkey.request_log SET status = 500",
    "DELETE FROM latchkey.request_log",
    "TRUNCATE latchkey.request_log",
    "INSERT INTO latchkey.audit_events (action, actor_kind) "
    "VALUES ('x.y', 'none')",
    "SELECT latchkey.append_requests('[]')",
    "SELECT latchkey.api_key_identity('\\x00'::bytea)",
])
def test_writer_role_is_refused_anything_but_inserting_history(writer,
                                                               stmt):
    assert refused(writer, stmt) == PERMISSION_DENIED


def test_writer_role_copies_history_rows_in(owner, writer):
    row_id = str(uuid.uuid4())
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    data = "\t".join([row_id, "writer-role-test", "GET", "/v1/me", "200",
                      "5", now]) + "\n"
    with writer.cursor() as cur:
        cur.copy_expert(
            "COPY latchkey.request_log (id, request_id, method, path, "
            "status, duration_us, created_at) FROM STDIN",
            io.StringIO(data))
        assert cur.rowcount == 1
    try:
        with owner.cursor() as cur:
            cur.execute("SELECT request_id, status, query, role, "
                        "credential_kind, sanitized FROM latchkey.request_log "
                        "WHERE id = %s", (row_id,))
            assert cur.fetchall() == [("writer-role-test", 200, "",
                                       "responder", "none", False)]
    finally:
        with owner.cursor() as cur:
            cur.execute("DELETE FROM latchkey.request_log WHERE id = %s",
                        (row_id,))


# --- the runtime role writes no history ---------------------------------------

OLD_HISTORY_FUNCTIONS = ("latchkey.append_requests(jsonb)",
                         "latchkey.append_requests_replay(jsonb)")


@pytest.fixture
def app():
    conn = connect(os.environ.get("LK_APP_ROLE", "latchkey_app"),
                   autocommit=True)
    yield conn
    conn.close()


@pytest.mark.parametrize("fn", OLD_HISTORY_FUNCTIONS)
def test_the_runtime_role_cannot_execute_the_old_history_functions(
        owner, app, fn):
    """latchkeyd's writer COPYs as latchkey_writer since 029; the old
    definer functions insert history past row-level security, so an
    injection into the runtime role could forge rows with them (055)."""
    role = os.environ.get("LK_APP_ROLE", "latchkey_app")
    with owner.cursor() as cur:
        cur.execute("SELECT pg_catalog.has_function_privilege(%s, %s, "
                    "'EXECUTE')", (role, fn))
        assert cur.fetchall() == [(False,)]
    row = ('[{"id": "%s", "request_id": "forged", "method": "GET", '
           '"path": "/", "status": 200, "duration_us": 1}]' % uuid.uuid4())
    assert refused(app, "SELECT " + fn.replace("(jsonb)", "(%s::jsonb)"),
                   (row,)) == PERMISSION_DENIED
    with owner.cursor() as cur:
        cur.execute("SELECT count(*) FROM latchkey.request_log WHERE "
                    "request_id = 'forged'")
        assert cur.fetchall() == [(0,)]


# --- latchkeyd needs the writer's connection ---------------------------------

CONFIG_WITHOUT_WRITER = ("database_url = dbname=unused\n"
                         "listen = 127.0.0.1:1\n"
                         "jwt_secret = %s\n" % ("5f" + "0123456789abcdef" * 4))
NOT_SET = ("history_database_url is not set (config file or "
           "LK_HISTORY_DATABASE_URL)")


def test_latchkeyd_refuses_to_start_without_history_database_url():
    r = run_built("latchkeyd", [], CONFIG_WITHOUT_WRITER)
    assert r.returncode == 1, r
    assert NOT_SET in r.stderr, r.stderr


def test_check_config_refuses_a_config_without_history_database_url():
    r = ctl("check-config", check=False, database=False,
            config=CONFIG_WITHOUT_WRITER)
    assert r.returncode == 1, r
    assert NOT_SET in r.stderr, r.stderr
    r = ctl("check-config", database=False, config=CONFIG_WITHOUT_WRITER +
            "history_database_url = dbname=unused user=latchkey_writer\n")
    assert r.returncode == 0, r
    assert r.stdout.endswith(": ok\n"), r.stdout


# --- a refused role is not bad data ---------------------------------------------

def test_rows_the_writer_role_may_not_insert_wait_for_the_grant(client, db):
    """With INSERT revoked, the writer's COPY is refused (42501): the rows
    are neither written nor set aside as bad data; once the grant is
    back, every one is written, once."""
    log = os.environ.get("LK_LATCHKEYD_LOG")
    if not log:
        pytest.skip("needs the harness (LK_LATCHKEYD_LOG)")
    tag = secrets.token_hex(4)
    ids = ["grant-%s-%d" % (tag, i) for i in range(3)]
    denied = log_count(log, "permission denied for table request_log")
    aside = log_count(log, "set aside")
    with db.cursor() as cur:
        cur.execute(sql.SQL("REVOKE INSERT ON latchkey.request_log FROM {}")
                    .format(sql.Identifier(WRITER)))
    try:
        for rid in ids:
            r = client.get("/health", headers={"X-Request-Id": rid})
            assert r.status == 200, r
        assert eventually(lambda: log_count(
            log, "permission denied for table request_log") > denied, 20)
        with db.cursor() as cur:
            cur.execute("SELECT count(*) FROM latchkey.request_log "
                        "WHERE request_id = ANY(%s)", (ids,))
            assert cur.fetchall() == [(0,)]
    finally:
        with db.cursor() as cur:
            cur.execute(sql.SQL("GRANT INSERT ON latchkey.request_log TO {}")
                        .format(sql.Identifier(WRITER)))
    rows = history_rows(db, ids, "status", seconds=30)
    assert sorted(rows) == sorted((rid, 200) for rid in ids)
    assert log_count(log, "set aside") == aside
