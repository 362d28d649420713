"""latchkeyctl prune: request-history partitions and rate-limit state."""
import os
import secrets
import tempfile
import uuid

import pytest

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
