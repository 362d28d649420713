"""test_rls.py: row-level security is the tenancy boundary; prove it.

Runs against the real PostgreSQL of the test stack.  The owner role creates
two orgs, A and B, with one user each; then the runtime role must see
nothing without an org, only A's rows with A set, must not touch B's rows,
must not keep the setting past its transaction, and must hold no privilege
beyond what the migrations grant.  Tables are enumerated from the catalog,
so a table added by a later migration is covered without editing this file.

Environment (written by the harness; the module is skipped without it):
PGHOST, PGPORT, PGDATABASE, LK_OWNER_ROLE, LK_APP_ROLE; optionally
LK_BUILD_DIR (where latchkeyctl is) and LK_SQL_DIR (the migrations).

Run: /usr/bin/python3 -m pytest tests/integration/test_rls.py
"""

import os
import pathlib
import secrets

import psycopg2
import pytest
from psycopg2 import sql

from helpers import connect, ctl

REQUIRED = ("PGHOST", "PGPORT", "PGDATABASE", "LK_OWNER_ROLE", "LK_APP_ROLE")
_missing = [v for v in REQUIRED if not os.environ.get(v)]
if _missing:
    pytest.skip("test stack environment not set: " + ", ".join(_missing),
                allow_module_level=True)

OWNER = os.environ["LK_OWNER_ROLE"]
APP = os.environ["LK_APP_ROLE"]
SCHEMA = "latchkey"
# Looks like bcrypt to users_password_hash_check; matches no password.
FAKE_HASH = "$2b$04$" + "x" * 53
RLS_VIOLATION = "row-level security"
PERMISSION_DENIED = "permission denied"
REPO = pathlib.Path(__file__).resolve().parents[2]


def table_ident(name):
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMA),
                                   sql.Identifier(name))


def probe(cur, stmt, params=None):
    """Runs stmt inside a savepoint; returns the error it raised, or None
    (then also its row count).  The transaction stays usable."""
    cur.execute("SAVEPOINT probe")
    try:
        cur.execute(stmt, params)
    except psycopg2.Error as e:
        cur.execute("ROLLBACK TO SAVEPOINT probe")
        return e, None
    count = cur.rowcount
    cur.execute("RELEASE SAVEPOINT probe")
    return None, count


def set_org(cur, org_id):
    # As latchkeyd does (db_begin): the org and a mode, here live, the
    # mode in which org-wide rows may be written (sql/021).
    cur.execute("SELECT set_config('latchkey.org_id', %s, true), "
                "set_config('latchkey.mode', 'live', true)", (org_id,))


@pytest.fixture(scope="module")
def owner():
    conn = connect(OWNER, autocommit=True)
    yield conn
    conn.close()


@pytest.fixture
def app():
    """A runtime-role connection; whatever a test leaves open is rolled
    back."""
    conn = connect(APP, autocommit=False)
    yield conn
    conn.rollback()
    conn.close()


@pytest.fixture(scope="module")
def tenants(owner, request):
    """Orgs A and B with one user each, created as the owner role."""
    tag = secrets.token_hex(6)
    made = {}
    cur = owner.cursor()

    def cleanup():
        ids = [made[k] for k in ("a_org", "b_org") if k in made]
        if ids:
            # Users (and any other org-owned rows) go with ON DELETE CASCADE.
            owner.cursor().execute(
                "DELETE FROM latchkey.orgs WHERE id = ANY(%s::uuid[])",
                (ids,))

    request.addfinalizer(cleanup)
    for side in ("a", "b"):
        cur.execute("INSERT INTO latchkey.orgs (name) VALUES (%s) "
                    "RETURNING id::text", ("rls test %s %s" % (side, tag),))
        made[side + "_org"] = cur.fetchone()[0]
        email = "rls-%s-%s@%s.example.test" % (side, tag, side)
        cur.execute("INSERT INTO latchkey.users "
                    "(org_id, email, password_hash, role) "
                    "VALUES (%s, %s, %s, 'owner') RETURNING id::text",
                    (made[side + "_org"], email, FAKE_HASH))
        made[side + "_user"] = cur.fetchone()[0]
        made[side + "_email"] = email
    made["tag"] = tag
    return made


@pytest.fixture(scope="module")
def tables(owner):
    """Every ordinary or partitioned table of the schema, from the
    catalog, with its RLS flags and whether it is org-owned."""
    cur = owner.cursor()
    cur.execute("""
        SELECT c.relname, c.relkind, c.relrowsecurity,
            c.relforcerowsecurity, c.relispartition,
            c.relname = 'orgs' OR EXISTS (
                SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = 'org_id'
                    AND a.attnum > 0 AND NOT a.attisdropped) AS org_owned,
            pg_catalog.has_table_privilege(%s, c.oid, 'SELECT') AS can_read,
            pg_catalog.has_table_privilege(%s, c.oid,
                'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') AS can_touch,
            pg_catalog.pg_get_userbyid(c.relowner) AS owner
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
        ORDER BY c.relname""", (APP, APP, SCHEMA))
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    names = {r["relname"] for r in rows}
    # Guard against a vacuous pass on an unmigrated database.
    assert {"orgs", "users", "plans", "permissions"} <= names, names
    return rows


def rls_tables(tables):
    return [t for t in tables if t["relrowsecurity"]]


# (a) No org set: nothing visible, and every org-owned table forces RLS.

def test_org_owned_tables_enable_and_force_row_level_security(tables):
    bad = []
    for t in tables:
        if not t["org_owned"]:
            continue
        if t["relrowsecurity"] and t["relforcerowsecurity"]:
            continue
        # A partition the runtime role cannot reach directly is guarded by
        # its parent's policies, which apply when queried through it.
        if t["relispartition"] and not t["can_touch"]:
            continue
        bad.append("%s (enable=%s, force=%s)" % (
            t["relname"], t["relrowsecurity"], t["relforcerowsecurity"]))
    assert not bad, "org-owned tables without ENABLE+FORCE RLS: %s" % bad


def test_app_sees_no_rows_of_any_rls_table_without_an_org(
        owner, app, tenants, tables):
    ocur, cur = owner.cursor(), app.cursor()
    checked = []
    for t in rls_tables(tables):
        if not t["can_read"]:
            continue        # no SELECT grant: nothing to see either
        q = sql.SQL("SELECT count(*) FROM {}").format(
            table_ident(t["relname"]))
        cur.execute(q)
        assert cur.fetchone()[0] == 0, "%s leaks rows with no org set" % (
            t["relname"],)
        ocur.execute(q)
        checked.append((t["relname"], ocur.fetchone()[0]))
    app.rollback()
    seen = dict(checked)
    # The test rows exist, the owner sees them, the app did not.
    assert seen.get("orgs", 0) >= 2 and seen.get("users", 0) >= 2, seen


def test_an_empty_org_setting_means_no_org(app, tenants, tables):
    cur = app.cursor()
    set_org(cur, "")
    for t in rls_tables(tables):
        if t["can_read"]:
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(
                table_ident(t["relname"])))
            assert cur.fetchone()[0] == 0, t["relname"]


def test_a_malformed_org_setting_fails_closed(app, tenants):
    cur = app.cursor()
    set_org(cur, "not-a-uuid")
    with pytest.raises(psycopg2.errors.InvalidTextRepresentation):
        cur.execute("SELECT count(*) FROM latchkey.users")


# (b) Org A set: A's rows only; B's rows cannot be changed or created.

def test_with_org_a_set_the_app_sees_only_a(app, tenants, tables):
    cur = app.cursor()
    set_org(cur, tenants["a_org"])
    cur.execute("SELECT id::text FROM latchkey.orgs")
    assert [r[0] for r in cur.fetchall()] == [tenants["a_org"]]
    cur.execute("SELECT id::text, org_id::text FROM latchkey.users")
    users = cur.fetchall()
    assert (tenants["a_user"], tenants["a_org"]) in users
    assert all(org == tenants["a_org"] for _, org in users), users
    # Every other readable org-owned table holds A's rows only.
    for t in rls_tables(tables):
        if t["relname"] == "orgs" or not (t["org_owned"] and t["can_read"]):
            continue
        cur.execute(sql.SQL(
            "SELECT count(*) FROM {} WHERE org_id IS DISTINCT FROM %s::uuid"
        ).format(table_ident(t["relname"])), (tenants["a_org"],))
        assert cur.fetchone()[0] == 0, t["relname"]


def test_with_org_a_set_b_rows_cannot_be_changed(owner, app, tenants):
    cur = app.cursor()
    set_org(cur, tenants["a_org"])
    writes = [
        ("UPDATE latchkey.users SET role = 'viewer' WHERE id = %s",
         tenants["b_user"]),
        ("UPDATE latchkey.users SET token_version = token_version + 1 "
         "WHERE org_id = %s", tenants["b_org"]),
        ("DELETE FROM latchkey.users WHERE id = %s", tenants["b_user"]),
        ("UPDATE latchkey.orgs SET name = 'taken' WHERE id = %s",
         tenants["b_org"]),
    ]
    for stmt, arg in writes:
        err, count = probe(cur, stmt, (arg,))
        assert err is None, "%s: %s" % (stmt, err)
        assert count == 0, "%s affected %s rows" % (stmt, count)
    app.commit()
    ocur = owner.cursor()
    ocur.execute("SELECT role, token_version FROM latchkey.users "
                 "WHERE id = %s", (tenants["b_user"],))
    assert ocur.fetchone() == ("owner", 1)
    ocur.execute("SELECT name FROM latchkey.orgs WHERE id = %s",
                 (tenants["b_org"],))
    assert ocur.fetchone()[0].startswith("rls test b ")


def test_with_org_a_set_rows_of_b_cannot_be_created(app, tenants):
    cur = app.cursor()
    set_org(cur, tenants["a_org"])
    attempts = [
        ("INSERT INTO latchkey.users (org_id, email, password_hash, role) "
         "VALUES (%s, %s, %s, 'owner')",
         (tenants["b_org"], "rls-new-%s@b.example.test" % tenants["tag"],
          FAKE_HASH)),
        # Moving A's own user into B is a write into B as well.
        ("UPDATE latchkey.users SET org_id = %s WHERE id = %s",
         (tenants["b_org"], tenants["a_user"])),
        ("INSERT INTO latchkey.orgs (id, name) VALUES (%s, 'rls intruder')",
         (tenants["b_org"],)),
    ]
    for stmt, params in attempts:
        err, _ = probe(cur, stmt, params)
        assert isinstance(err, psycopg2.errors.InsufficientPrivilege), (
            "%s: %r" % (stmt, err))
        assert RLS_VIOLATION in str(err), str(err)


# (c) The setting is transaction-local.

def test_the_org_setting_does_not_leak_into_the_next_transaction(
        app, tenants):
    cur = app.cursor()
    for end in (app.commit, app.rollback):
        set_org(cur, tenants["a_org"])
        cur.execute("SELECT count(*) FROM latchkey.users")
        assert cur.fetchone()[0] == 1       # A's one user
        end()
        # Back to the session's value: the empty string, no org.
        cur.execute("SELECT current_setting('latchkey.org_id', true)")
        assert cur.fetchone()[0] == ""
        cur.execute("SELECT (SELECT count(*) FROM latchkey.users), "
                    "(SELECT count(*) FROM latchkey.orgs)")
        assert cur.fetchone() == (0, 0)
        app.rollback()


def test_a_local_setting_outside_a_transaction_lasts_one_statement(tenants):
    conn = connect(APP, autocommit=True)
    try:
        cur = conn.cursor()
        set_org(cur, tenants["a_org"])
        cur.execute("SELECT count(*) FROM latchkey.users")
        assert cur.fetchone()[0] == 0
    finally:
        conn.close()


# (d) The runtime role owns nothing and holds only its grants.

def test_app_role_cannot_bypass_rls_or_inherit_the_owner(owner):
    cur = owner.cursor()
    cur.execute("SELECT rolsuper, rolbypassrls FROM pg_catalog.pg_roles "
                "WHERE rolname = %s", (APP,))
    assert cur.fetchone() == (False, False)
    cur.execute("SELECT pg_catalog.pg_has_role(%s, %s, 'MEMBER')",
                (APP, OWNER))
    assert cur.fetchone()[0] is False


def test_app_role_owns_no_object_of_the_schema(owner, tables):
    assert not [t["relname"] for t in tables if t["owner"] == APP]
    cur = owner.cursor()
    cur.execute("""
        SELECT c.relname FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relowner = %s::regrole
        UNION ALL
        SELECT p.proname FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %s AND p.proowner = %s::regrole
        UNION ALL
        SELECT n.nspname FROM pg_catalog.pg_namespace n
        WHERE n.nspname = %s AND n.nspowner = %s::regrole""",
                (SCHEMA, APP, SCHEMA, APP, SCHEMA, APP))
    assert cur.fetchall() == []


def test_app_role_may_not_truncate_anything(owner):
    # TRUNCATE skips row-level security, so no grant of it may exist.
    cur = owner.cursor()
    cur.execute("""
        SELECT c.relname FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
            AND pg_catalog.has_table_privilege(%s, c.oid, 'TRUNCATE')""",
                (SCHEMA, APP))
    assert cur.fetchall() == []


def test_app_role_cannot_delete_orgs_or_write_the_catalogs(app, tenants):
    cur = app.cursor()
    set_org(cur, tenants["a_org"])
    denied = [
        ("DELETE FROM latchkey.orgs WHERE id = %s", (tenants["a_org"],)),
        ("INSERT INTO latchkey.plans (id, name, key_rate_per_min, "
         "org_rate_per_min) VALUES ('rls_free', 'Free', 1, 1)", None),
        ("UPDATE latchkey.plans SET key_rate_per_min = 1000000", None),
        ("DELETE FROM latchkey.plans", None),
        ("INSERT INTO latchkey.permissions (name) VALUES ('rls.test')", None),
        ("UPDATE latchkey.permissions SET description = 'x'", None),
        ("DELETE FROM latchkey.permissions", None),
        ("INSERT INTO latchkey.role_permissions (role, pattern) "
         "VALUES ('viewer', '*')", None),
        ("DELETE FROM latchkey.role_permissions", None),
        ("SELECT count(*) FROM latchkey.schema_migrations", None),
    ]
    for stmt, params in denied:
        err, _ = probe(cur, stmt, params)
        assert isinstance(err, psycopg2.errors.InsufficientPrivilege), (
            "%s: %r" % (stmt, err))
        assert PERMISSION_DENIED in str(err), str(err)
    # A's own org survived the attempt.
    cur.execute("SELECT count(*) FROM latchkey.orgs")
    assert cur.fetchone()[0] == 1


# (e) The pre-org look-up finds an email in any case, and nothing else.

def test_user_for_login_ignores_the_case_of_the_email(app, tenants):
    cur = app.cursor()
    email = tenants["a_email"]
    for variant in (email, email.upper(), email.lower(), email.swapcase(),
                    email[0].upper() + email[1:]):
        cur.execute("SELECT user_id::text, org_id::text, role, "
                    "password_hash, org_active "
                    "FROM latchkey.user_for_login(%s)", (variant,))
        rows = cur.fetchall()
        assert rows == [(tenants["a_user"], tenants["a_org"], "owner",
                         FAKE_HASH, True)], variant


def test_user_for_login_returns_nothing_for_an_unknown_email(app, tenants):
    cur = app.cursor()
    for email in ("nobody-%s@example.test" % tenants["tag"], "",
                  tenants["a_email"] + ".", "%", "rls-%"):
        cur.execute("SELECT * FROM latchkey.user_for_login(%s)", (email,))
        assert cur.fetchall() == [], email


def test_user_for_login_does_not_open_the_tables(app, tenants):
    cur = app.cursor()
    cur.execute("SELECT * FROM latchkey.user_for_login(%s)",
                (tenants["b_email"],))
    assert len(cur.fetchall()) == 1
    # The definer's rights ended with the call.
    cur.execute("SELECT count(*) FROM latchkey.users")
    assert cur.fetchone()[0] == 0


# (f) Migrations are idempotent.

def test_rerunning_migrate_is_a_no_op(owner):
    sql_dir = os.environ.get("LK_SQL_DIR") or str(REPO / "sql")
    cur = owner.cursor()
    query = ("SELECT version, name, applied_at "
             "FROM latchkey.schema_migrations ORDER BY version")
    cur.execute(query)
    before = cur.fetchall()
    assert before, "no migrations recorded"
    out = ctl("migrate", "--dir", sql_dir)
    assert "up to date" in out.stdout, out.stdout
    assert "applied " not in out.stdout, out.stdout
    cur.execute(query)
    assert cur.fetchall() == before


# The runtime role may execute exactly these functions of the schema: the
# ones latchkeyd's workers call, and the policies' helpers.  A definer
# function past this list would be a way around row-level security for an
# SQL injection into the runtime role (055, 056): adding one to the grants
# means adding it here, on purpose.
APP_FUNCTIONS = {
    "latchkey.current_org_id()",
    "latchkey.current_mode()",
    "latchkey.user_for_login(text)",
    "latchkey.api_key_identity(bytea)",
    "latchkey.org_state(uuid)",
    "latchkey.session_identity(bytea)",
    "latchkey.org_routes_count()",
    "latchkey.rate_take(text,integer,integer)",
    "latchkey.rate_take_login(text,integer,text)",
    "latchkey.rate_spend(text,integer,integer,integer,text,integer,"
    "integer,integer,integer)",
    "latchkey.direct_identity(bytea,uuid)",
    "latchkey.user_for_token(uuid,uuid)",
    "latchkey.org_routes_all(integer)",
    # Invoker's rights: runs under the caller's row-level security.
    "latchkey.api_key_ancestors(uuid,integer)",
    # Trigger functions (invoker's rights, callable only as triggers).
    "latchkey.api_keys_check_rate_limit()",
    "latchkey.notify_auth_change()",
}


def test_app_role_executes_only_the_functions_workers_call(owner):
    cur = owner.cursor()
    cur.execute("""
        SELECT p.oid::regprocedure::text, p.prosecdef
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %s
            AND pg_catalog.has_function_privilege(%s, p.oid, 'EXECUTE')""",
                (SCHEMA, APP))
    got = {name.replace(" ", ""): definer for name, definer in cur.fetchall()}
    want = {f.replace(" ", "") for f in APP_FUNCTIONS}
    assert set(got) == want, "extra: %s; missing: %s" % (
        sorted((f, got[f]) for f in set(got) - want), sorted(want - set(got)))
