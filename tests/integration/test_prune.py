"""latchkeyctl prune: request-history partitions, their hourly rollups,
rate-limit state and sessions."""
import datetime
import os
import re
import secrets
import tempfile
import uuid

import psycopg2
import pytest

from helpers import connect
from helpers import ctl as run_ctl
from helpers import query


def ctl(*args, **kw):
    """latchkeyctl, its exit status for the test to judge."""
    return run_ctl(*args, check=False, **kw)

# Month names as request_log_ensure_partitions() makes them: UTC months.
MONTH_NAMES = (
    "SELECT 'request_log_' || to_char(date_trunc('month', "
    "now() AT TIME ZONE 'UTC') + make_interval(months => m), "
    "'\"y\"YYYY\"m\"MM') FROM generate_series(%s, %s) AS m ORDER BY m")


def partitions(db):
    return {r[0] for r in query(
        db, "SELECT c.relname FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'latchkey.request_log'::regclass")}


def month_names(db, first, last):
    """Partition names of the months first..last from now (0: this one)."""
    return [r[0] for r in query(db, MONTH_NAMES, first, last)]


def old_partition_with_a_row(db):
    """Creates the partition of two years ago and puts one row in it."""
    query(db, "SELECT latchkey.request_log_ensure_partitions("
          "now() - interval '2 years', 1)")
    name = month_names(db, -24, -24)[0]
    row_id = str(uuid.uuid4())
    query(db, "INSERT INTO latchkey.request_log (id, request_id, method, "
          "path, status, duration_us, created_at) "
          "VALUES (%s, %s, 'GET', '/v1/me', 200, 1000, "
          "(date_trunc('month', (now() - interval '2 years') "
          "AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC')",
          row_id, "prune-" + secrets.token_hex(4))
    where = query(db, "SELECT tableoid::regclass::text "
                  "FROM latchkey.request_log WHERE id = %s", row_id)
    assert where == [("latchkey." + name,)]
    return name, row_id


def test_old_partitions_go_and_coming_months_are_created(db):
    name, row_id = old_partition_with_a_row(db)
    r = ctl("prune", "--older-than", "90d")
    assert r.returncode == 0, r.stderr
    assert "dropped latchkey.%s\n" % name in r.stdout
    assert "older than 90 days" in r.stdout
    after = partitions(db)
    assert name not in after
    assert query(db, "SELECT count(*) FROM latchkey.request_log "
                 "WHERE id = %s", row_id) == [(0,)]
    # This month and the three after it; the default partition stays.
    assert set(month_names(db, 0, 3)) <= after
    assert "request_log_default" in after

    # Nothing left to do, and that is a success.
    r = ctl("prune", "--older-than", "90d")
    assert r.returncode == 0, r.stderr
    assert "created 0 partitions" in r.stdout
    assert "dropped 0 partitions" in r.stdout
    assert "deleted 0 hourly rollup rows of history no longer kept\n" \
        in r.stdout
    assert partitions(db) == after


def test_months_ahead_sets_how_far_partitions_are_created(db):
    r = ctl("prune", "--months-ahead", "5")
    assert r.returncode == 0, r.stderr
    assert set(month_names(db, 0, 5)) <= partitions(db)


def test_the_retention_comes_from_the_config_file(db):
    name, row_id = old_partition_with_a_row(db)
    r = ctl("prune", config="database_url = dbname=unused\n"
            "jwt_secret = %s\n"
            "request_log_retention_days = 3650\n" % secrets.token_hex(32))
    assert r.returncode == 0, r.stderr
    assert "older than 3650 days" in r.stdout
    assert name in partitions(db)
    # Without --older-than or a config: 90 days.
    r = ctl("prune")
    assert r.returncode == 0, r.stderr
    assert "older than 90 days" in r.stdout
    assert name not in partitions(db)


def test_full_rate_limit_buckets_are_forgotten(db):
    full, busy = "prune-full-" + secrets.token_hex(4), \
        "prune-busy-" + secrets.token_hex(4)
    query(db, "INSERT INTO latchkey.rate_state (bucket, tat_ms) VALUES "
          "(%s, extract(epoch FROM now()) * 1000 - 60000), "
          "(%s, extract(epoch FROM now()) * 1000 + 3600000)", full, busy)
    try:
        r = ctl("prune")
        assert r.returncode == 0, r.stderr
        assert "full rate-limit bucket" in r.stdout
        left = query(db, "SELECT bucket FROM latchkey.rate_state "
                     "WHERE bucket IN (%s, %s)", full, busy)
        assert left == [(busy,)]
    finally:
        query(db, "DELETE FROM latchkey.rate_state WHERE bucket = %s", busy)


@pytest.mark.parametrize("duration",
                         ["abc", "0d", "-5d", "90", "23h", "3651d", "5D"])
def test_an_invalid_duration_is_a_usage_error(duration):
    r = ctl("prune", "--older-than", duration)
    assert r.returncode == 2, r
    assert "--older-than" in r.stderr and "'%s'" % duration in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("months", ["0", "25", "x"])
def test_an_invalid_months_ahead_is_a_usage_error(months):
    r = ctl("prune", "--months-ahead", months)
    assert r.returncode == 2, r
    assert "--months-ahead" in r.stderr


def test_a_bad_config_file_fails_before_touching_the_database():
    r = ctl("-c", os.path.join(tempfile.gettempdir(), "nonexistent-" +
                               secrets.token_hex(4) + ".conf"), "prune")
    assert r.returncode == 1, r
    assert "prune" in r.stderr and r.stdout == ""


def a_user(db, updated_days_ago=0):
    """An org and a user of it, made as the owner role: the user's id."""
    org = query(db, "INSERT INTO latchkey.orgs (name) VALUES "
                "('prune sessions') RETURNING id")[0][0]
    return query(db, "INSERT INTO latchkey.users (org_id, email, "
                 "password_hash, role, token_version, updated_at) "
                 "VALUES (%s, %s, '$2b$04$' || repeat('x', 53), 'owner', "
                 "2, now() - make_interval(days => %s)) RETURNING id",
                 org, "prune-%s@example.test" % secrets.token_hex(6),
                 updated_days_ago)[0][0]


def a_session(db, user, expires_days, token_version=2):
    """A session of user expiring expires_days from now (negative: in
    the past), signed in at token_version: its id."""
    return query(db, "INSERT INTO latchkey.sessions (org_id, user_id, "
                 "secret_hash, token_version, expires_at) SELECT org_id, "
                 "id, %s, %s, now() + make_interval(days => %s) "
                 "FROM latchkey.users WHERE id = %s RETURNING id",
                 secrets.token_bytes(32), token_version, expires_days,
                 user)[0][0]


def test_sessions_dead_for_longer_than_a_week_are_deleted(db):
    settled = a_user(db, updated_days_ago=8)
    recent = a_user(db, updated_days_ago=1)
    gone = {
        "expired 8 days ago": a_session(db, settled, -8),
        "revoked, user changed 8 days ago": a_session(db, settled, 1, 1),
    }
    kept = {
        "live": a_session(db, settled, 1),
        "expired 6 days ago": a_session(db, settled, -6),
        "revoked, user changed yesterday": a_session(db, recent, 1, 1),
        "live, user changed yesterday": a_session(db, recent, 1),
    }
    r = ctl("prune")
    assert r.returncode == 0, r.stderr
    assert "expired or revoked more than 7 days ago" in r.stdout
    left = {row[0] for row in query(
        db, "SELECT id FROM latchkey.sessions WHERE user_id IN (%s, %s)",
        settled, recent)}
    assert left == set(kept.values()), (gone, kept)


# --- the hourly rollups (sql/051) ------------------------------------------

ROLLED = re.compile(r"^deleted (\d+) hourly rollup rows? of history no "
                    r"longer kept$", re.M)
# One org's history in request_log, its rollups as the writer would have
# made them (045), and those rollups read back.
HISTORY = """
    INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
        credential_kind, credential_id, method, path, status,
        duration_us, created_at)
    SELECT gen_random_uuid(), 'prune-rollup-' || t.n, %s, 'test',
        'api_key', %s, 'GET', '/v1/me', t.status, 100, t.at
    FROM unnest(%s::timestamptz[], %s::smallint[])
        WITH ORDINALITY AS t(at, status, n)"""
ROLL_UP = """
    INSERT INTO latchkey.request_rollup (org_id, mode, hour,
        credential_kind, credential_id, status, requests, duration_us)
    SELECT org_id, mode,
        date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
        credential_kind, credential_id, status, count(*), sum(duration_us)
    FROM latchkey.request_log
    WHERE org_id = %s AND created_at >= %s AND created_at < %s
    GROUP BY 1, 2, 3, 4, 5, 6"""
ROLLUPS = """
    SELECT hour, credential_id::text, status, requests, duration_us
    FROM latchkey.request_rollup
    WHERE org_id = %s AND hour >= %s AND hour < %s ORDER BY 1, 2, 3"""


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def usage(client, key, since, until, group):
    r = client.get("/v1/usage?group_by=%s&since=%s&until=%s" % (
        group, rfc3339(since), rfc3339(until)),
        headers={"X-API-Key": key["key"]})
    assert r.status == 200, r
    return r.json["data"]


def test_rollups_go_with_their_month_and_the_kept_months_count_as_before(
        client, db):
    s = client.signup()
    org, key = s["org"]["id"], s["api_key"]
    # kept: the UTC month three months ago, where the retention bound
    # falls (on its 16th); gone: the month before it, wholly older.
    gone, kept, kept_end, hours = query(db, """
        SELECT m - interval '1 month', m, m + interval '1 month',
            floor(extract(epoch FROM now() - (m + interval '15 days'))
                / 3600)::integer
        FROM (SELECT (date_trunc('month', now() AT TIME ZONE 'UTC')
            - interval '3 months') AT TIME ZONE 'UTC' AS m) AS b""")[0]
    query(db, "SELECT latchkey.request_log_ensure_partitions(%s, 2)", gone)
    gone_name, kept_name = month_names(db, -4, -3)
    assert {gone_name, kept_name} <= partitions(db)
    day = datetime.timedelta(days=1)
    at = [gone + day * 2, gone + day * 2, gone + day * 20,
          kept + day * 1, kept + day * 1, kept + day * 9, kept + day * 14,
          kept + day * 20]
    status = [200, 404, 200, 200, 429, 200, 404, 200]
    try:
        query(db, HISTORY, org, key["id"], at, status)
        query(db, ROLL_UP, org, gone, kept_end)
        gone_rollups = query(db, ROLLUPS, org, gone, kept)
        kept_rollups = query(db, ROLLUPS, org, kept, kept_end)
        assert len(gone_rollups) == 3 and len(kept_rollups) == 5, (
            gone_rollups, kept_rollups)
        # The kept window: the kept month up to the bound, where the
        # rows of days 1, 9 and 14 are; the one of day 20 is after it.
        window = (kept, kept + day * 15)
        want = {
            "status": [{"status": "200", "count": 2},
                       {"status": "404", "count": 1},
                       {"status": "429", "count": 1}],
            "key": [{"key": key["id"], "count": 4}],
        }
        for group, data in want.items():
            assert usage(client, key, *window, group) == data
        assert usage(client, key, gone, kept, "key") == \
            [{"key": key["id"], "count": 3}]

        r = ctl("prune", "--older-than", "%dh" % hours)
        assert r.returncode == 0, r.stderr
        assert "dropped latchkey.%s\n" % gone_name in r.stdout
        deleted = ROLLED.findall(r.stdout)
        assert len(deleted) == 1 and int(deleted[0]) >= 3, r.stdout

        # The month's partition and its rollups are gone...
        after = partitions(db)
        assert gone_name not in after and kept_name in after
        assert query(db, ROLLUPS, org, gone, kept) == []
        assert usage(client, key, gone, kept, "key") == []
        # ...and the kept month's, older than the bound too, are not.
        assert query(db, ROLLUPS, org, kept, kept_end) == kept_rollups
        assert query(db, "SELECT count(*) FROM latchkey.request_log "
                     "WHERE org_id = %s AND created_at >= %s "
                     "AND created_at < %s", org, kept, kept_end) == [(5,)]
        for group, data in want.items():
            assert usage(client, key, *window, group) == data
    finally:
        query(db, "DELETE FROM latchkey.request_log WHERE org_id = %s "
              "AND created_at < %s", org, kept_end)
        query(db, "DELETE FROM latchkey.request_rollup WHERE org_id = %s "
              "AND hour < %s", org, kept_end)


def test_rollups_stay_while_any_partition_may_hold_their_history(db):
    """Called with a bound later than the history it keeps, the function
    still keeps the rollups of every hour a partition left may hold."""
    org, cred = str(uuid.uuid4()), str(uuid.uuid4())
    # Years ago: 5, a rollup whose history is gone; 4, a row in the
    # default partition (its month has none); 3, a row in its month's.
    orphan, in_default, in_month = [r[0] for r in query(db, """
        SELECT (date_trunc('month', now() AT TIME ZONE 'UTC')
            - make_interval(years => y) + interval '1 day 3 hours')
            AT TIME ZONE 'UTC'
        FROM unnest(ARRAY[5, 4, 3]) WITH ORDINALITY AS t(y, n)
        ORDER BY n""")]
    query(db, "SELECT latchkey.request_log_ensure_partitions(%s, 1)",
          in_month)
    month = month_names(db, -36, -36)[0]
    try:
        query(db, HISTORY, org, cred, [in_default, in_month], [200, 200])
        assert query(db, "SELECT tableoid::regclass::text "
                     "FROM latchkey.request_log WHERE org_id = %s "
                     "ORDER BY created_at", org) == [
            ("latchkey.request_log_default",), ("latchkey." + month,)]
        query(db, ROLL_UP, org, in_default, in_month +
              datetime.timedelta(hours=1))
        query(db, "INSERT INTO latchkey.request_rollup (org_id, mode, "
              "hour, credential_kind, credential_id, status, requests, "
              "duration_us) VALUES (%s, 'test', %s, 'api_key', %s, 200, "
              "1, 100)", org, orphan, cred)

        def hours():
            return [r[0] for r in query(
                db, "SELECT hour FROM latchkey.request_rollup "
                "WHERE org_id = %s ORDER BY hour", org)]
        assert hours() == [orphan, in_default, in_month]
        n = query(db, "SELECT latchkey.request_rollup_prune(now())")[0][0]
        assert n >= 1 and hours() == [in_default, in_month]
        # Once the default partition's row is gone, so is its rollup.
        query(db, "DELETE FROM latchkey.request_log_default "
              "WHERE org_id = %s", org)
        n = query(db, "SELECT latchkey.request_rollup_prune(now())")[0][0]
        assert n >= 1 and hours() == [in_month]
        # Its month's partition keeps it even when empty: only dropping
        # the partition says its history is gone.
        query(db, "DELETE FROM latchkey.request_log WHERE org_id = %s", org)
        query(db, "SELECT latchkey.request_rollup_prune(now())")
        assert hours() == [in_month]
        # And a bound at the hour keeps it whatever the partitions.
        assert query(db, "SELECT latchkey.request_log_drop_partitions(%s)",
                     in_month + datetime.timedelta(days=40)) == [(month,)]
        assert query(db, "SELECT latchkey.request_rollup_prune(%s)",
                     in_month) == [(0,)]
        assert hours() == [in_month]
        query(db, "SELECT latchkey.request_rollup_prune(%s)",
              in_month + datetime.timedelta(hours=1))
        assert hours() == []
    finally:
        query(db, "DELETE FROM latchkey.request_log WHERE org_id = %s", org)
        query(db, "DELETE FROM latchkey.request_rollup WHERE org_id = %s",
              org)
        query(db, "SELECT latchkey.request_log_drop_partitions(%s)",
              in_month + datetime.timedelta(days=40))


@pytest.mark.parametrize("role", ["LK_APP_ROLE", "LK_WRITER_ROLE"])
def test_neither_the_runtime_nor_the_writer_role_may_prune_rollups(db, role):
    name = os.environ.get(role)
    if not name:
        pytest.skip("needs " + role)
    fn = "latchkey.request_rollup_prune(timestamptz)"
    assert query(db, "SELECT has_function_privilege(%s, %s, 'EXECUTE')",
                 name, fn) == [(False,)]
    before = query(db, "SELECT count(*) FROM latchkey.request_rollup")
    conn = connect(name)
    try:
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("SELECT latchkey.request_rollup_prune("
                            "now() - interval '3650 days')")
        assert e.value.pgcode == "42501", e.value
        assert "request_rollup_prune" in str(e.value)
    finally:
        conn.close()
    assert query(db, "SELECT count(*) FROM latchkey.request_rollup") == before
