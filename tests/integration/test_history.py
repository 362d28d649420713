"""The request history: every answered request, redacted, queryable."""
import secrets

from helpers import (assert_error, history_row, history_rows, make_key, query,
                     unique_email)
from private_daemon import Daemon, random_address


def rid():
    return "t-" + secrets.token_hex(8)


COLUMNS = {
    "org_id": "org_id::text", "mode": "mode", "kind": "credential_kind",
    "cred": "credential_id::text", "user": "user_id::text",
    "method": "method", "path": "path", "query": "query",
    "status": "status", "error_code": "error_code",
    "duration_us": "duration_us", "req": "request_body",
    "resp": "response_body", "client_ip": "client_ip", "id": "id::text",
}


def wait_row(db, request_id):
    """The one history row of request_id, as {short name: value}."""
    row = history_row(db, request_id, ", ".join(COLUMNS.values()))
    return dict(zip(COLUMNS, row))


def test_a_key_request_is_recorded_with_its_identity(client, db):
    s = client.signup()
    key = s["api_key"]
    r_id = rid()
    r = client.get("/v1/me?x=1", token=key["key"],
                   headers={"X-Request-Id": r_id})
    assert r.status == 200
    row = wait_row(db, r_id)
    assert row["org_id"] == s["org"]["id"] and row["mode"] == "test"
    assert row["kind"] == "api_key" and row["cred"] == key["id"]
    assert row["user"] == s["user"]["id"]
    assert (row["method"], row["path"], row["query"], row["status"]) == (
        "GET", "/v1/me", "x=1", 200)
    assert row["duration_us"] > 0
    assert row["client_ip"] == client.source
    assert key["id"] in row["resp"]


def test_secrets_are_redacted_before_they_are_written(client, db):
    email = unique_email()
    r_id = rid()
    r = client.post("/v1/auth/signup", {"org_name": "r", "email": email,
                                        "password": "correct horse"},
                    headers={"X-Request-Id": r_id})
    assert r.status == 201
    row = wait_row(db, r_id)
    assert "correct horse" not in row["req"] and "[REDACTED]" in row["req"]
    assert r.json["token"] not in row["resp"]
    assert r.json["api_key"]["key"] not in row["resp"]
    assert email in row["req"]
    # Credentials in the query string are redacted too.
    r_id = rid()
    client.get("/v1/me?token=%s&a=b" % r.json["token"],
               headers={"X-Request-Id": r_id})
    row = wait_row(db, r_id)
    assert row["query"] == "token=[REDACTED]&a=b"
    r_id = rid()
    client.get("/v1/me?accesskey=" + r.json["api_key"]["key"],
               headers={"X-Request-Id": r_id})
    row = wait_row(db, r_id)
    assert r.json["api_key"]["key"] not in row["query"]


def test_a_request_refused_before_the_org_is_known_has_no_org(client, db):
    r_id = rid()
    r = client.get("/v1/me", token="lk_live_bogus",
                   headers={"X-Request-Id": r_id})
    assert r.status == 401
    row = wait_row(db, r_id)
    assert row["org_id"] is None and row["status"] == 401
    assert row["error_code"] == "malformed_api_key"
    r_id = rid()
    client.get("/nowhere", headers={"X-Request-Id": r_id})
    assert wait_row(db, r_id)["status"] == 404


def test_bodies_are_truncated(client, db):
    s = client.signup()
    r_id = rid()
    big = "d" * 20000
    r = client.post("/v1/api-keys", {"name": "x", "permissions": [],
                                     "detail": big}, token=s["token"],
                    headers={"X-Request-Id": r_id})
    assert_error(r, 422, "validation_failed")
    row = wait_row(db, r_id)
    assert len(row["req"]) < 8192 + 64 and row["req"].endswith(
        "[TRUNCATED]")


def list_requests(client, token, qs="", **kw):
    r = client.get("/v1/requests" + qs, token=token, **kw)
    assert r.status == 200, r
    return r.json


def test_the_history_is_listed_newest_first_with_filters(client, db):
    s = client.signup()
    key = make_key(client, s["token"], ["*"], name="h")
    ids = []
    for path in ["/v1/me", "/v1/users", "/v1/api-keys/" +
                 "00000000-0000-4000-8000-000000000000"]:
        r_id = rid()
        client.get(path, token=key["key"], headers={"X-Request-Id": r_id})
        ids.append(r_id)
    wait_row(db, ids[-1])
    data = list_requests(client, key["key"])["data"]
    got = [d["request_id"] for d in data if d["request_id"] in ids]
    assert got == list(reversed(ids))
    assert all("request_body" not in d for d in data)
    nf = list_requests(client, key["key"], "?status=404")["data"]
    assert [d["request_id"] for d in nf] == [ids[2]]
    assert nf[0]["error_code"] == "not_found"
    assert [d["request_id"] for d in list_requests(
        client, key["key"], "?status=4xx")["data"]] == [ids[2]]
    assert ids[1] in [d["request_id"] for d in list_requests(
        client, key["key"], "?path=/v1/users")["data"]]
    assert list_requests(client, key["key"], "?method=DELETE")["data"] == []
    by_key = list_requests(client, key["key"], "?api_key_id=" + key["id"])
    assert {d["credential"]["id"] for d in by_key["data"]} == {key["id"]}
    assert list_requests(client, key["key"],
                         "?since=2099-01-01T00:00:00Z")["data"] == []
    page = list_requests(client, key["key"], "?limit=1")
    assert len(page["data"]) == 1 and page["has_more"]
    nxt = list_requests(client, key["key"], "?limit=1&cursor=" +
                        page["next_cursor"])
    assert nxt["data"][0]["created_at"] <= page["data"][0]["created_at"]
    assert nxt["data"][0]["id"] != page["data"][0]["id"]
    one = client.get("/v1/requests/" + nf[0]["id"], token=key["key"])
    assert one.status == 200 and "response_body" in one.json, one
    assert "not_found" in one.json["response_body"]


def test_bad_history_filters_are_400(client):
    s = client.signup()
    for qs, code in [("?status=99", "invalid_parameter"),
                     ("?status=6xx", "invalid_parameter"),
                     ("?method=get", "invalid_parameter"),
                     ("?path=v1", "invalid_parameter"),
                     ("?api_key_id=nope", "invalid_parameter"),
                     ("?since=yesterday", "invalid_parameter"),
                     ("?limit=1000", "invalid_limit")]:
        assert_error(client.get("/v1/requests" + qs, token=s["token"]), 400,
                     code)


def test_history_needs_requests_read(client):
    s = client.signup()
    k = make_key(client, s["token"], ["keys.read"], name="x")
    assert_error(client.get("/v1/requests", token=k["key"]), 403,
                 "permission_denied")


def test_a_test_key_sees_only_test_history(client, db):
    s = client.signup()
    live = make_key(client, s["token"], ["*"], name="l")
    test = s["api_key"]
    live_rid, test_rid = rid(), rid()
    client.get("/v1/me", token=live["key"],
               headers={"X-Request-Id": live_rid})
    client.get("/v1/me", token=test["key"],
               headers={"X-Request-Id": test_rid})
    live_row = wait_row(db, live_rid)
    wait_row(db, test_rid)
    seen = [d["request_id"] for d in list_requests(
        client, test["key"])["data"]]
    assert test_rid in seen and live_rid not in seen
    seen = [d["request_id"] for d in list_requests(
        client, live["key"])["data"]]
    assert live_rid in seen and test_rid not in seen
    assert_error(client.get("/v1/requests/" + live_row["id"],
                            token=test["key"]), 404, "not_found")


def test_another_orgs_history_is_invisible(client, db):
    a = client.signup()
    b = client.signup()
    r_id = rid()
    client.get("/v1/me", token=b["token"], headers={"X-Request-Id": r_id})
    row = wait_row(db, r_id)
    assert_error(client.get("/v1/requests/" + row["id"], token=a["token"]),
                 404, "not_found")
    assert r_id not in [d["request_id"] for d in list_requests(
        client, a["token"])["data"]]


# --- the client address ------------------------------------------------------

def test_the_history_records_the_client_address_the_throttles_count(db):
    """Behind a trusted proxy the client is the X-Forwarded-For address,
    as for the throttles; from any other peer the header is anyone's
    word and the peer's own address is recorded."""
    proxy = "10.%d.%d.%d" % tuple(1 + secrets.randbelow(254)
                                  for _ in range(3))
    peer = random_address()
    tag = secrets.token_hex(4)
    via_proxy, forged, plain = ("xff-%s-%s" % (tag, w)
                                for w in ("proxy", "forged", "plain"))
    with Daemon({"trusted_proxies": "10.0.0.0/8"}) as d:
        for rid, remote, xff in ((via_proxy, proxy, "203.0.113.7"),
                                 (forged, peer, "203.0.113.7"),
                                 (plain, peer, None)):
            headers = {"X-Request-Id": rid}
            if xff:
                headers["X-Forwarded-For"] = xff
            r = d.request("GET", "/health", remote=remote, headers=headers)
            assert r.status == 200, r
        rows = dict(history_rows(db, [via_proxy, forged, plain],
                                 "client_ip"))
    assert rows == {via_proxy: "203.0.113.7", forged: peer, plain: peer}


def test_the_audit_trail_records_the_client_address_the_throttles_count(db):
    proxy = "10.%d.%d.%d" % tuple(1 + secrets.randbelow(254)
                                  for _ in range(3))
    client, peer = random_address(), random_address()
    with Daemon({"trusted_proxies": "10.0.0.0/8"}) as d:
        r = d.request("POST", "/v1/auth/signup", {
            "org_name": "proxied", "email": unique_email("xff"),
            "password": "correct horse"}, remote=proxy,
            headers={"X-Forwarded-For": client})
        assert r.status == 201, r
        org = r.json["org"]["id"]
        r = d.request("POST", "/v1/auth/signup", {
            "org_name": "forged", "email": unique_email("xff"),
            "password": "correct horse"}, remote=peer,
            headers={"X-Forwarded-For": client})
        assert r.status == 201, r
        forged = r.json["org"]["id"]
    assert query(db, "SELECT client_ip FROM latchkey.audit_events WHERE "
                 "org_id = %s AND action = 'org.created'", org) == [(client,)]
    assert query(db, "SELECT client_ip FROM latchkey.audit_events WHERE "
                 "org_id = %s AND action = 'org.created'", forged) == [(peer,)]
