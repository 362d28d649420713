"""test_history_cost.py: the cost of reading the history does not grow
with it (issue 14).

GET /v1/requests's first page, for every filter and the usual pairs, and
GET /v1/usage read request_log by an index, never sequentially, on a
table with enough rows and fresh statistics for the planner to mean it
(ANALYZE, not enable_seqscan = off); and /v1/usage counts whole hours
from the hourly rollups that the history writer keeps with its rows
(sql/045), exactly.

A path prefix has no index of its own (see requests.c): its cases here
show that it reads the time index; test_history_scan.py shows that the
read is bounded (PAGE_SCAN_ROWS rows per page).

The EXPLAINed statements restate requests.c's requests_list and
usage.c's usage_counts (their WHERE, ORDER BY and LIMIT, with the values
a custom plan sees); keep them in step.

Environment (written by the harness; the module is skipped without it):
PGHOST, PGPORT, PGDATABASE, LK_OWNER_ROLE, LK_APP_ROLE.
"""

import datetime
import json
import os
import uuid

import pytest

from helpers import connect, eventually, history_rows, query

REQUIRED = ("PGHOST", "PGPORT", "PGDATABASE", "LK_OWNER_ROLE", "LK_APP_ROLE")
_missing = [v for v in REQUIRED if not os.environ.get(v)]
if _missing:
    pytest.skip("test stack environment not set: " + ", ".join(_missing),
                allow_module_level=True)

APP = os.environ["LK_APP_ROLE"]
ROWS = 40000            # the big org's, over BIG_DAYS
OTHER_ROWS = 20000      # spread over 40 other orgs
BIG_DAYS = 40
KEYS = 50
PAGE = 51               # a page of 50 and the row that says has_more

ORDER = """
 CASE WHEN %(klass)s::integer IS NOT NULL THEN status_class END DESC,
 CASE WHEN %(klass)s::integer IS NULL AND %(method)s::text IS NOT NULL
   THEN method END DESC, created_at DESC, id DESC"""

LIST = """
SELECT id, edge, hit FROM (
 SELECT id, created_at, status_class, method,
  row_number() OVER (ORDER BY """ + ORDER + """) = %(scan)s::bigint AS edge,
  ((%(status)s::smallint IS NULL OR status = %(status)s) AND
   (%(klass)s::integer IS NULL OR %(method)s::text IS NULL OR
    method = %(method)s) AND
   (%(path)s::text IS NULL OR left(path, length(%(path)s)) = %(path)s) AND
   ((%(klass)s::integer IS NULL AND %(method)s::text IS NULL) OR
    %(key)s::uuid IS NULL OR credential_id = %(key)s)) AS hit
 FROM latchkey.request_log WHERE
 (%(klass)s::integer IS NULL OR
   (status_class >= %(klass)s AND status_class <= %(klass)s)) AND
 (%(klass)s::integer IS NOT NULL OR %(method)s::text IS NULL OR
   (method >= %(method)s AND method <= %(method)s)) AND
 (%(klass)s::integer IS NOT NULL OR %(method)s::text IS NOT NULL OR
   %(key)s::uuid IS NULL OR credential_id = %(key)s) AND
 (%(since)s::timestamptz IS NULL OR created_at >= %(since)s) AND
 (%(until)s::timestamptz IS NULL OR created_at < %(until)s) AND
 (NULL::bigint IS NULL)
 ORDER BY """ + ORDER + """ LIMIT %(scan)s) w
WHERE hit OR edge ORDER BY """ + ORDER + """ LIMIT %(limit)s
"""
SCAN = 10000            # PAGE_SCAN_ROWS (src/daemon/app.h)


def usage_sql(group):
    def bucket(ts):
        return ("CASE %(group)s "
                "WHEN 'day' THEN to_char(" + ts + " AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD') "
                "WHEN 'key' THEN coalesce(credential_id::text, "
                "credential_kind) ELSE status::text END")
    return (
        "SELECT bucket, sum(n)::bigint FROM ("
        "SELECT " + bucket("hour") + " AS bucket, requests AS n "
        "FROM latchkey.request_rollup "
        "WHERE hour >= to_timestamp(%(lo)s::bigint) "
        "AND hour < to_timestamp(%(hi)s::bigint) "
        "UNION ALL SELECT " + bucket("created_at") + ", 1 "
        "FROM latchkey.request_log "
        "WHERE created_at >= to_timestamp(%(since)s::bigint) "
        "AND created_at < to_timestamp(least(%(lo)s::bigint, "
        "%(until)s::bigint)) "
        "UNION ALL SELECT " + bucket("created_at") + ", 1 "
        "FROM latchkey.request_log "
        "WHERE created_at >= to_timestamp(greatest(%(hi)s::bigint, "
        "%(lo)s::bigint)) AND created_at < to_timestamp(%(until)s::bigint)"
        ") t GROUP BY 1 ORDER BY 1")


@pytest.fixture(scope="module")
def volume():
    """A big org (ROWS live rows: all 2xx, nearly all GET /v1/me, 1 in
    500 a POST /v1/api-keys, KEYS keys) among other orgs, its rollups,
    and fresh statistics; removed afterwards."""
    owner = connect(autocommit=True)
    org = str(uuid.uuid4())
    others = [str(uuid.uuid4()) for _ in range(40)]
    keys = [str(uuid.uuid4()) for _ in range(KEYS)]
    try:
        query(owner, """
            INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
                credential_kind, credential_id, method, path, status,
                duration_us, created_at)
            SELECT gen_random_uuid(), 'cost-' || g, %s, 'live', 'api_key',
                (%s::uuid[])[1 + g %% %s],
                CASE WHEN g %% 500 = 0 THEN 'POST' ELSE 'GET' END,
                CASE WHEN g %% 500 = 0 THEN '/v1/api-keys' ELSE '/v1/me' END,
                CASE WHEN g %% 7 = 0 THEN 201 ELSE 200 END, 100 + g %% 50,
                now() - interval '1 hour'
                    - (g * %s::double precision / %s) * interval '1 day'
            FROM generate_series(1, %s) g""",
              org, keys, KEYS, BIG_DAYS, ROWS, ROWS)
        query(owner, """
            INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
                method, path, status, duration_us, created_at)
            SELECT gen_random_uuid(), 'cost-o' || g,
                (%s::uuid[])[1 + g %% 40], 'live', 'GET', '/v1/me',
                CASE WHEN g %% 3 = 0 THEN 404 ELSE 200 END, 100,
                now() - (g * 20.0 / %s) * interval '1 day'
            FROM generate_series(1, %s) g""",
              others, OTHER_ROWS, OTHER_ROWS)
        query(owner, """
            INSERT INTO latchkey.request_rollup (org_id, mode, hour,
                credential_kind, credential_id, status, requests,
                duration_us)
            SELECT org_id, mode,
                date_trunc('hour', created_at AT TIME ZONE 'UTC')
                    AT TIME ZONE 'UTC',
                credential_kind, credential_id, status, count(*),
                sum(duration_us)
            FROM latchkey.request_log WHERE org_id = %s
            GROUP BY 1, 2, 3, 4, 5, 6""", org)
        query(owner, "ANALYZE latchkey.request_log")
        query(owner, "ANALYZE latchkey.request_rollup")
        yield {"org": org, "keys": keys}
    finally:
        query(owner, "DELETE FROM latchkey.request_log "
              "WHERE org_id = ANY(%s::uuid[])", [org] + others)
        query(owner, "DELETE FROM latchkey.request_rollup WHERE org_id = %s",
              org)
        owner.close()


def plan(org, sql, params, mode="live"):
    """The JSON plan of sql as the runtime role in org's mode."""
    app = connect(APP, autocommit=False)
    try:
        with app.cursor() as cur:
            cur.execute("SELECT set_config('latchkey.org_id', %s, true), "
                        "set_config('latchkey.mode', %s, true)", (org, mode))
            cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            doc = cur.fetchone()[0]
        app.rollback()
        return doc if isinstance(doc, list) else json.loads(doc)
    finally:
        app.close()


def scans(node):
    """(node type, relation, index, index condition) of every node of a
    plan tree."""
    yield (node["Node Type"], node.get("Relation Name"),
           node.get("Index Name"), node.get("Index Cond", ""))
    for child in node.get("Plans", []):
        yield from scans(child)


def sorts(node):
    """The Sort nodes of a plan tree (as plan nodes)."""
    if node["Node Type"] == "Sort":
        yield node
    for child in node.get("Plans", []):
        yield from sorts(child)


def empty_relations():
    """Partitions with no rows (ANALYZEd): the months made ahead, which
    any plan may read sequentially, since there is nothing to read."""
    owner = connect(autocommit=True)
    try:
        return {r[0] for r in query(
            owner, "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'latchkey' AND c.reltuples = 0")}
    finally:
        owner.close()


def assert_no_sequential_history_read(doc, what):
    nodes = list(scans(doc[0]["Plan"]))
    empty = empty_relations()
    seq = [n for n in nodes if n[0] == "Seq Scan" and
           (n[1] or "").startswith("request_log") and n[1] not in empty]
    assert not seq, "%s reads the history sequentially: %s" % (what, nodes)
    assert any(n[2] for n in nodes), "%s uses no index: %s" % (what, nodes)
    return nodes


FILTERS = {
    "none": {},
    "status 4xx (none there)": {"klass": 4},
    "status 2xx": {"klass": 2},
    "status 404 (none there)": {"status": 404, "klass": 4},
    "status 201": {"status": 201, "klass": 2},
    "method POST (rare)": {"method": "POST"},
    "method DELETE (none)": {"method": "DELETE"},
    "method GET": {"method": "GET"},
    "path /v1/api (rare)": {"path": "/v1/api"},
    "path /v1/m (common)": {"path": "/v1/m"},
    "key": {"key": "KEY"},
    "since": {"since": "SINCE"},
    "since and until": {"since": "SINCE", "until": "UNTIL"},
    "4xx and POST": {"klass": 4, "method": "POST"},
    "4xx and key": {"klass": 4, "key": "KEY"},
    "POST and path": {"method": "POST", "path": "/v1/api"},
    "key and since": {"key": "KEY", "since": "SINCE"},
    "5xx, PUT, path and until": {"klass": 5, "method": "PUT",
                                 "path": "/v1/x", "until": "UNTIL"},
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_the_first_page_of_each_request_filter_reads_no_history_sequentially(
        volume, name):
    now = datetime.datetime.now(datetime.timezone.utc)
    params = {k: None for k in ("status", "klass", "method", "path", "key",
                                "since", "until")}
    params["limit"] = PAGE
    params["scan"] = SCAN
    for k, v in FILTERS[name].items():
        params[k] = {"KEY": volume["keys"][3],
                     "SINCE": now - datetime.timedelta(days=10),
                     "UNTIL": now - datetime.timedelta(days=5)}.get(v, v)
    plan_doc = plan(volume["org"], LIST, params)
    nodes = assert_no_sequential_history_read(plan_doc, name)
    # Rows come in the index's order: nothing sorts the org's rows (a
    # sort reads all its input before the first row).  A sort of the
    # rows of a steering filter's index range only (the planner's choice
    # when it expects few, as for a method that has none) is fine; an
    # incremental sort (a key's rows by id within one created_at)
    # streams.
    empty = empty_relations()
    for node in sorts(plan_doc[0]["Plan"]):
        under = [n for n in scans(node) if n[1] and n[1] not in empty]
        assert under and all(
            ("status_class" in n[3] and "klass" in FILTERS[name]) or
            ("method" in n[3] and "method" in FILTERS[name])
            for n in under), (name, nodes)


def test_a_class_with_no_rows_is_answered_from_its_own_index(volume):
    params = {k: None for k in ("status", "method", "path", "key", "since",
                                "until")}
    params.update(klass=4, limit=PAGE, scan=SCAN)
    nodes = assert_no_sequential_history_read(
        plan(volume["org"], LIST, params), "status 4xx")
    empty = empty_relations()
    used = [n for n in nodes if n[2] and n[1] not in empty]
    # The partitions holding the org's rows, by the class index (046),
    # the class in the index condition (under row-level security only
    # leakproof conditions may be: a filter would read every row).
    assert used and all("status_class" in n[2] and "status_class" in n[3]
                        for n in used), nodes


def test_a_method_with_no_rows_is_answered_from_its_own_index(volume):
    params = {k: None for k in ("status", "klass", "path", "key", "since",
                                "until")}
    params.update(method="DELETE", limit=PAGE, scan=SCAN)
    nodes = assert_no_sequential_history_read(
        plan(volume["org"], LIST, params), "method DELETE")
    empty = empty_relations()
    used = [n for n in nodes if n[2] and n[1] not in empty]
    assert used and all("method" in n[2] and "method" in n[3]
                        for n in used), nodes


@pytest.mark.parametrize("group", ["day", "key", "status"])
def test_usage_over_30_days_reads_no_history_sequentially(volume, group):
    until = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    since = until - 30 * 86400
    params = {"group": group, "since": since, "until": until,
              "lo": since - since % 3600 + 3600, "hi": until - until % 3600}
    nodes = assert_no_sequential_history_read(
        plan(volume["org"], usage_sql(group), params), "usage " + group)
    assert any(n[1] == "request_rollup" for n in nodes), nodes


# --- the rollups ---------------------------------------------------------


def test_the_writer_counts_its_rows_in_the_rollups(client, db):
    s = client.signup()
    key = s["api_key"]
    ids = []
    for path in ["/v1/me", "/v1/me", "/v1/nothing/here", "/v1/me"]:
        r = client.get(path, headers={"X-API-Key": key["key"]})
        ids.append(r.header("X-Request-Id"))
    history_rows(db, ids)
    want = query(db, """
        SELECT credential_kind, credential_id::text, status, count(*),
            sum(duration_us)
        FROM latchkey.request_log WHERE org_id = %s AND mode = 'test'
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""", s["org"]["id"])
    assert (key["id"], 200, 3) in [(w[1], w[2], w[3]) for w in want]
    assert sum(w[3] for w in want) >= 3

    def rolled():
        return query(db, """
            SELECT credential_kind, credential_id::text, status,
                sum(requests), sum(duration_us)
            FROM latchkey.request_rollup WHERE org_id = %s AND mode = 'test'
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""", s["org"]["id"]) == want
    # The rollups commit with the rows: no waiting should be needed, but
    # the signup's own rows may still be on their way.
    assert eventually(rolled), query(
        db, "SELECT * FROM latchkey.request_rollup WHERE org_id = %s",
        s["org"]["id"])


def test_usage_counts_whole_hours_from_the_rollups_exactly(client, db):
    s = client.signup()
    org, key = s["org"]["id"], s["api_key"]
    hour = datetime.datetime.now(datetime.timezone.utc).replace(
        minute=0, second=0, microsecond=0)
    base = hour - datetime.timedelta(hours=6)
    # Rows at :10 and :50 of six past hours, statuses 200 and 429.
    query(db, """
        INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
            credential_kind, credential_id, method, path, status,
            duration_us, created_at)
        SELECT gen_random_uuid(), 'hours-' || h || '-' || m, %s, 'test',
            'api_key', %s, 'GET', '/v1/me',
            CASE WHEN m = 50 THEN 429 ELSE 200 END, 10,
            %s + h * interval '1 hour' + m * interval '1 minute'
        FROM generate_series(0, 5) h, (VALUES (10), (50)) v(m)""",
          org, key["id"], base)
    query(db, "SELECT latchkey.request_rollup_rebuild(%s, %s)", base,
          base + datetime.timedelta(hours=6))
    since = base + datetime.timedelta(minutes=30)      # from h0:50
    until = base + datetime.timedelta(hours=5, minutes=20)  # to h5:10
    qs = "?group_by=status&since=%s&until=%s" % (
        since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        until.strftime("%Y-%m-%dT%H:%M:%SZ"))
    r = client.get("/v1/usage" + qs, headers={"X-API-Key": key["key"]})
    assert r.status == 200, r
    # h0:50, h1..h4 whole, h5:10: 429 x5, 200 x5.
    assert r.json["data"] == [{"status": "200", "count": 5},
                              {"status": "429", "count": 5}]
    # The whole hours come from the rollups: a count added there shows.
    query(db, "UPDATE latchkey.request_rollup SET requests = requests + 100 "
          "WHERE org_id = %s AND hour = %s AND status = 200", org,
          base + datetime.timedelta(hours=2))
    r = client.get("/v1/usage" + qs, headers={"X-API-Key": key["key"]})
    assert r.json["data"] == [{"status": "200", "count": 105},
                              {"status": "429", "count": 5}]
    r = client.get("/v1/usage?group_by=key&since=%s&until=%s" % (
        since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        until.strftime("%Y-%m-%dT%H:%M:%SZ")),
        headers={"X-API-Key": key["key"]})
    assert r.json["data"] == [{"key": key["id"], "count": 110}]


# --- the audit trail (GET /v1/activity) -------------------------------------

EVENTS = 30000          # the big org's, nearly all live logins

ACTIVITY = """
SELECT id FROM latchkey.audit_events WHERE %(mode_cond)s
 (%(action)s::text IS NULL OR action = %(action)s) AND
 (NULL::bigint IS NULL)
 ORDER BY created_at DESC, id DESC LIMIT 51
"""


@pytest.fixture(scope="module")
def trail():
    """An org whose trail is EVENTS live login events, one in 1 000 an
    api_key.created in test mode, among other orgs'; removed
    afterwards."""
    owner = connect(autocommit=True)
    org = str(uuid.uuid4())
    others = [str(uuid.uuid4()) for _ in range(20)]
    try:
        for o in [org] + others:
            query(owner, "INSERT INTO latchkey.orgs (id, name) "
                  "VALUES (%s, 'trail')", o)
        query(owner, """
            INSERT INTO latchkey.audit_events (org_id, mode, action,
                actor_kind, created_at)
            SELECT %s, CASE WHEN g %% 1000 = 0 THEN 'test' ELSE 'live' END,
                CASE WHEN g %% 1000 = 0 THEN 'api_key.created'
                    ELSE 'login.succeeded' END, 'user',
                now() - g * interval '1 minute'
            FROM generate_series(1, %s) g""", org, EVENTS)
        query(owner, """
            INSERT INTO latchkey.audit_events (org_id, mode, action,
                actor_kind, created_at)
            SELECT (%s::uuid[])[1 + g %% 20], 'live', 'api_key.revoked',
                'user', now() - g * interval '1 minute'
            FROM generate_series(1, 20000) g""", others)
        query(owner, "ANALYZE latchkey.audit_events")
        yield org
    finally:
        query(owner, "DELETE FROM latchkey.orgs WHERE id = ANY(%s::uuid[])",
              [org] + others)
        owner.close()


TEST_INDEXES = ("audit_events_org_test_idx",
                "audit_events_org_test_action_idx")


@pytest.mark.parametrize("mode,action,indexes", [
    # A rare action of the org (common in other orgs): its index.
    ("live", "api_key.created", ("audit_events_org_action_idx",)),
    ("live", "api_key.revoked", ("audit_events_org_action_idx",)),
    # A test caller's events, with and without an action: a partial
    # index of test events (both hold them all, by org).
    ("test", None, TEST_INDEXES),
    ("test", "login.succeeded", ("audit_events_org_test_action_idx",)),
])
def test_the_activity_filters_read_their_own_index(trail, mode, action,
                                                    indexes):
    """activity.c's statements (live: no mode condition; test: mode =
    'test' in the statement), restated.  The events read are those of
    the filter only (an index range holding exactly them), so that the
    planner may sort them when it expects few."""
    sql = ACTIVITY % {"mode_cond": "mode = 'test' AND " if mode == "test"
                      else "", "action": "%(action)s"}
    doc = plan(trail, sql, {"action": action}, mode=mode)
    nodes = list(scans(doc[0]["Plan"]))
    assert not [n for n in nodes if n[0] == "Seq Scan"], nodes
    used = [n for n in nodes if n[2]]
    assert used and all(n[2] in indexes for n in used), nodes
    assert all("org_id" in n[3] and (action is None or "action" in n[3])
               for n in used), nodes


def test_a_test_caller_reads_only_test_events_by_the_api(client, db):
    s = client.signup()
    org = s["org"]["id"]
    query(db, """
        INSERT INTO latchkey.audit_events (org_id, mode, action,
            actor_kind, created_at)
        SELECT %s, CASE WHEN g %% 100 = 0 THEN 'test' ELSE 'live' END,
            'login.succeeded', 'user', now() - g * interval '1 second'
        FROM generate_series(1, 500) g""", org)
    r = client.get("/v1/activity?action=login.succeeded&limit=100",
                   headers={"X-API-Key": s["api_key"]["key"]})
    assert r.status == 200, r
    assert len(r.json["data"]) == 5
    assert {e["mode"] for e in r.json["data"]} == {"test"}
    r = client.get("/v1/activity?action=login.succeeded&limit=100",
                   token=s["token"])
    assert r.status == 200 and len(r.json["data"]) == 100
    assert r.json["has_more"] is True
