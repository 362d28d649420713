"""test_history_scan.py: a page of GET /v1/requests examines at most
PAGE_SCAN_ROWS rows of the history (issue 14, "Cost that does not grow").

A filter that no index serves (a path prefix, a user, an exact status
among its class's rows) is checked on a window of at most SCAN rows of
the steering index; when the window ends before the page is full, the
page ends there: fewer rows than the limit, even none, with has_more
true and a next_cursor that continues the scan.  Following the cursors
finds every matching row once, in order.
"""
import datetime

from helpers import assert_error, make_key, query

SCAN = 10000            # PAGE_SCAN_ROWS (src/daemon/app.h)


def fill(db, org, mode, n, start, path="/v1/fill", status=200,
         method="GET", tag="fill"):
    """n rows of org's mode, one a second going back from start, newest
    first; returns the timestamp after the oldest."""
    query(db, """
        INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
            credential_kind, method, path, status, duration_us,
            created_at)
        SELECT gen_random_uuid(), %s || '-' || g, %s, %s, 'none', %s, %s,
            %s, 10, %s - g * interval '1 second'
        FROM generate_series(1, %s) g""",
          tag, org, mode, method, path, status, start, n)
    return start - datetime.timedelta(seconds=n + 1)


def pages(client, key, qs, most=20):
    """The pages of ?qs, following next_cursor (at most `most`)."""
    out, cursor = [], None
    for _ in range(most):
        url = "/v1/requests?" + qs + ("&cursor=" + cursor if cursor else "")
        r = client.get(url, headers={"X-API-Key": key})
        assert r.status == 200, r
        out.append(r.json)
        cursor = r.json["next_cursor"]
        if not r.json["has_more"]:
            assert cursor is None
            return out
        assert cursor
    raise AssertionError("more than %d pages" % most)


def cleanup(db, org):
    query(db, "DELETE FROM latchkey.request_log WHERE org_id = %s", org)


def test_a_filter_matching_nothing_recent_ends_its_page_at_the_bound(
        client, db):
    s = client.signup()
    org, key = s["org"]["id"], s["api_key"]["key"]
    start = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(hours=1)
    try:
        older = fill(db, org, "test", SCAN + 500, start)
        fill(db, org, "test", 1, older, path="/v1/needle", tag="needle")
        got = pages(client, key, "path=/v1/needle")
        # The first window (SCAN rows, newest) holds no match: an empty
        # page that says there is more, and where to go on from.
        assert got[0]["data"] == [] and got[0]["has_more"] is True
        assert got[0]["next_cursor"]
        # The next one reaches the needle and the end of the history.
        found = [r for p in got for r in p["data"]]
        assert [r["path"] for r in found] == ["/v1/needle"]
        assert found[0]["request_id"] == "needle-1"
        assert len(got) == 2
    finally:
        cleanup(db, org)


def test_an_exact_status_among_its_class_is_bounded_too(client, db):
    s = client.signup()
    org, key = s["org"]["id"], s["api_key"]["key"]
    start = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(hours=1)
    try:
        older = fill(db, org, "test", SCAN + 10, start, status=401)
        fill(db, org, "test", 3, older, status=404, tag="nf")
        got = pages(client, key, "status=404&limit=2")
        assert got[0]["data"] == [] and got[0]["has_more"] is True
        found = [r["request_id"] for p in got for r in p["data"]]
        assert found == ["nf-1", "nf-2", "nf-3"]
        # limit=2: the second page is full (has_more by count), the
        # third holds the last one.
        assert [len(p["data"]) for p in got] == [0, 2, 1]
    finally:
        cleanup(db, org)


def test_following_the_cursors_finds_every_match_once_in_order(client, db):
    s = client.signup()
    org, key = s["org"]["id"], s["api_key"]["key"]
    start = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(hours=2)
    try:
        # 25 000 rows, one in 2 500 a POST /v1/users (10 of them), over
        # three windows.
        query(db, """
            INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
                credential_kind, method, path, status, duration_us,
                created_at)
            SELECT gen_random_uuid(), 'walk-' || g, %s, 'test', 'none',
                CASE WHEN g %% 2500 = 0 THEN 'POST' ELSE 'GET' END,
                CASE WHEN g %% 2500 = 0 THEN '/v1/users' ELSE '/v1/walk' END,
                200, 10, %s - g * interval '10 milliseconds'
            FROM generate_series(1, 25000) g""", org, start)
        got = pages(client, key, "path=/v1/users&limit=3")
        found = [r["request_id"] for p in got for r in p["data"]]
        assert found == ["walk-%d" % (2500 * i) for i in range(1, 11)]
        assert all(len(p["data"]) <= 3 for p in got)
        # Under a steering filter (the method's index) the path is
        # checked on the window's rows the same way.
        got = pages(client, key, "method=POST&path=/v1/users&limit=4")
        assert [r["request_id"] for p in got for r in p["data"]] == found
    finally:
        cleanup(db, org)


def test_a_full_page_inside_the_bound_is_an_ordinary_page(client, db):
    s = client.signup()
    org, key = s["org"]["id"], s["api_key"]["key"]
    start = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(hours=1)
    try:
        fill(db, org, "test", 120, start)
        r = client.get("/v1/requests?path=/v1/fill&limit=50",
                       headers={"X-API-Key": key})
        assert r.status == 200
        assert len(r.json["data"]) == 50 and r.json["has_more"] is True
        assert r.json["data"][-1]["request_id"] == "fill-50"
        r2 = client.get("/v1/requests?path=/v1/fill&limit=50&cursor=" +
                        r.json["next_cursor"], headers={"X-API-Key": key})
        assert r2.json["data"][0]["request_id"] == "fill-51"
    finally:
        cleanup(db, org)


def test_another_orgs_key_as_a_filter_answers_an_empty_page(client, db):
    a, b = client.signup(), client.signup()
    start = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(hours=1)
    try:
        fill(db, b["org"]["id"], "test", 50, start)
        query(db, "UPDATE latchkey.request_log SET credential_kind = "
              "'api_key', credential_id = %s WHERE org_id = %s",
              b["api_key"]["id"], b["org"]["id"])
        # B sees its key's rows; A, filtering by B's key, sees nothing
        # and its query never walks B's rows.
        r = client.get("/v1/requests?api_key_id=" + b["api_key"]["id"],
                       headers={"X-API-Key": b["api_key"]["key"]})
        assert r.status == 200 and len(r.json["data"]) == 50
        r = client.get("/v1/requests?api_key_id=" + b["api_key"]["id"],
                       headers={"X-API-Key": a["api_key"]["key"]})
        assert r.status == 200
        assert r.json == {"data": [], "has_more": False,
                          "next_cursor": None}
        # A key of one's own org in the other mode: no rows either.
        live = make_key(client, a["token"], mode="live")
        r = client.get("/v1/requests?api_key_id=" + live["id"],
                       headers={"X-API-Key": a["api_key"]["key"]})
        assert r.json["data"] == [] and r.json["has_more"] is False
    finally:
        cleanup(db, b["org"]["id"])


def test_a_cursor_of_the_scan_edge_is_validated_as_any_cursor(client):
    s = client.signup()
    r = client.get("/v1/requests?path=/x&cursor=12.not-a-uuid",
                   headers={"X-API-Key": s["api_key"]["key"]})
    assert_error(r, 400, "invalid_cursor")
