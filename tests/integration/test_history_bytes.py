"""Hostile bytes: refused on the way in, recorded as text, never costing
a neighbour its history row.

Bodies that are not UTF-8 text (or hold NUL, \\u0000 or an unpaired
surrogate) get 400 invalid_json before any database call.  Whatever
bytes a request carries in its path, query, User-Agent or body, its
history row is written, marked sanitized, with each bad byte shown as
\\xHH; the rows of the requests around it are written too.
"""
import os
import secrets
import threading

from helpers import (assert_error, eventually, history_rows, lift_limits,
                     log_count, query, raw_http, unique_email)

HOSTILE_BODIES = [
    b'{"email":"\xff\xfe","password":"correct horse","org_name":"x"}',
    b'{"email":"a\\u0000b@example.test","password":"correct horse",'
    b'"org_name":"x"}',
    b'{"em\\u0000ail":"a@example.test","password":"correct horse",'
    b'"org_name":"x"}',
    b'{"email":"\\ud800@example.test","password":"correct horse",'
    b'"org_name":"x"}',
    b'{"email":"\\udc00@example.test","password":"correct horse",'
    b'"org_name":"x"}',
    b'{"email":"\xed\xa0\x80@example.test","password":"correct horse",'
    b'"org_name":"x"}',
    b'{"email":"\xc0\xaf@example.test","password":"correct horse",'
    b'"org_name":"x"}',
    b'{"email":"a@example.test","password":"correct\x00horse",'
    b'"org_name":"x"}',
]


def raw_request(client, method, target, headers=(), body=None):
    """Sends exactly these bytes (http.client refuses non-ASCII request
    lines); returns (status, X-Request-Id, body) of the answer."""
    lines = [method.encode() + b" " + client.prefix.encode() + target +
             b" HTTP/1.1", b"Host: " + client.host.encode(),
             b"Connection: close"]
    lines += list(headers)
    if body is not None:
        lines += [b"Content-Type: application/json",
                  b"Content-Length: %d" % len(body)]
    status, got, reply = raw_http(client, b"\r\n".join(lines) +
                                  b"\r\n\r\n" + (body or b""))
    return status, got.get("x-request-id"), reply


def test_a_body_that_is_not_text_is_400_before_any_database_call(client,
                                                                 db):
    for body in HOSTILE_BODIES:
        name = "bytes-" + secrets.token_hex(6)
        raw = body.replace(b'"org_name":"x"',
                           b'"org_name":"' + name.encode() + b'"')
        r = client.request("POST", "/v1/auth/signup", raw=raw)
        assert_error(r, 400, "invalid_json")
        assert "UTF-8" in r.json["error"]["message"]
        assert query(db, "SELECT count(*) FROM latchkey.orgs WHERE "
                     "name = %s", name)[0][0] == 0, body
    # Valid escapes of the same characters are fine.
    email = unique_email()
    r = client.post("/v1/auth/signup", {
        "org_name": "caf\u00e9 \U0001F600", "email": email,
        "password": "correct horse"})
    assert r.status == 201, r


def test_every_json_body_route_refuses_bytes_that_are_not_text(client):
    s = client.signup()
    for path in ["/v1/auth/login", "/v1/api-keys", "/v1/users",
                 "/v1/auth/boot"]:
        r = client.request("POST", path, token=s["token"],
                           raw=b'{"name":"\\u0000"}')
        assert_error(r, 400, "invalid_json")
    r = client.request("PATCH", "/v1/users/" + s["user"]["id"],
                       token=s["token"], raw=b'{"role":"\xff"}')
    assert_error(r, 400, "invalid_json")


def test_a_query_parameter_that_is_not_text_is_400(client):
    s = client.signup()
    # (%00 and %FF never get here through lighttpd: it refuses them.)
    for qs in ["?path=%C3", "?method=%ED%A0%80", "?path=%E2%82",
               "?path=/v1%F4%90%80%80"]:
        r = client.get("/v1/requests" + qs, token=s["token"])
        assert_error(r, 400, "invalid_parameter"), qs


def wait_rows(db, rids):
    """{request id: (sanitized, path, query, user_agent, request_body,
    status)} of the rows of rids, once all are there or the deadline
    passed."""
    rows = history_rows(db, rids, "sanitized, path, query, user_agent, "
                        "request_body, status")
    return {r[0]: r[1:] for r in rows}


def test_hostile_requests_cost_their_neighbours_nothing(client, db):
    """100 ordinary requests, 25 hostile ones in between: 125 rows."""
    s = client.signup()
    key = s["api_key"]["key"]
    # No request is refused for its rate: every answer is known.
    lift_limits(db, s["org"]["id"])
    assert eventually(lambda: client.get("/v1/me", token=key).header(
        "X-RateLimit-Limit") == "1000000000"), "the limits were not lifted"
    tag = secrets.token_hex(4)
    ordinary, hostile = [], {}
    kinds = [
        # (method, target, headers, body, the status answered)
        ("GET", b"/v1/me", [b"X-API-Key: " + key.encode(),
                            b"User-Agent: bad\xff\xfeagent"], None, 200),
        ("POST", b"/v1/auth/signup", [], HOSTILE_BODIES[0], 400),
        ("POST", b"/v1/auth/login", [],
         b'{"email":"a\x00b@example.test","password":"correct horse"}',
         400),
        ("POST", b"/v1/api-keys", [b"X-API-Key: " + key.encode()],
         b'{"name":"\x00\xc3"}', 400),
    ]
    if client.name != "lighttpd":
        # lighttpd answers 400 itself to raw bytes in the request line;
        # Apache hands them on.
        kinds += [
            ("GET", b"/v1/me?x=\xff\xfe", [b"X-API-Key: " +
                                          key.encode()], None, 200),
            ("GET", b"/v1/me?y=%00&z=\xc3", [b"X-API-Key: " +
                                            key.encode()], None, 200),
        ]
    n = 0
    for i in range(125):
        rid = "bytes-%s-%03d" % (tag, i)
        if i % 5 == 2:
            method, target, headers, body, want = kinds[n % len(kinds)]
            n += 1
            status, got, _ = raw_request(
                client, method, target,
                headers + [b"X-Request-Id: " + rid.encode()], body)
            assert got == rid
            assert status == want, (target, status)
            hostile[rid] = (target, body)
        else:
            r = client.get("/v1/me", token=key,
                           headers={"X-Request-Id": rid})
            assert r.status == 200, r
            ordinary.append(rid)
    assert len(hostile) == 25 and len(ordinary) == 100
    rows = wait_rows(db, ordinary + list(hostile))
    assert len(rows) == 125, "lost %d rows" % (125 - len(rows))
    for rid in ordinary:
        assert rows[rid][0] is False, rid
    for rid, (target, body) in hostile.items():
        sanitized, path, qs, ua, req_body, status = rows[rid]
        assert sanitized is True, (rid, target)
        text = " ".join(str(v) for v in (path, qs, ua, req_body))
        assert "\\x" in text, (rid, text)
        assert "\x00" not in text
    # The history API shows the flag, and the bytes as \xHH.
    one = [r for r, (t, b) in hostile.items() if t == b"/v1/me"]
    listed = client.get("/v1/requests?limit=100", token=s["token"],
                        headers={"X-Latchkey-Mode": "test"}).json
    entry = [d for d in listed["data"] if d["request_id"] == one[-1]][0]
    assert entry["sanitized"] is True
    assert entry["user_agent"] == "bad\\xFF\\xFEagent"
    detail = client.get("/v1/requests/" + entry["id"], token=s["token"],
                        headers={"X-Latchkey-Mode": "test"})
    assert detail.status == 200, detail
    assert detail.json["sanitized"] is True
    plain = [d for d in listed["data"] if d["request_id"] == ordinary[-1]]
    assert plain and plain[0]["sanitized"] is False


def test_an_error_message_quoting_bad_bytes_is_text(client, db):
    rid = "bytes-" + secrets.token_hex(6)
    status, got, reply = raw_request(client, "GET", b"/nowhere\xff",
                                     [b"X-Request-Id: " + rid.encode()])
    if client.name == "lighttpd":
        # lighttpd refuses raw bytes in the request line itself: the
        # request never reaches latchkey.
        assert status == 400 and got is None
        return
    assert status == 404
    assert b"\xff" not in reply
    rows = wait_rows(db, [rid])
    assert rows[rid][0] is True and rows[rid][1] == "/nowhere\\xFF"


def test_a_row_the_database_refuses_costs_only_itself(lighttpd, db):
    """The writer bisects a refused batch: the other rows of the batch
    are written, the refused one is set aside and logged by request id."""
    tag = secrets.token_hex(4)
    poison = "poison-" + tag
    query(db, "ALTER TABLE latchkey.request_log ADD CONSTRAINT "
          "request_log_test_poison CHECK (request_id <> %s)", poison)
    try:
        rids = ["batch-%s-%02d" % (tag, i) for i in range(40)]
        threads = []
        # Concurrent requests land in one batch of the writer.
        for r_id in rids[:20] + [poison] + rids[20:]:
            t = threading.Thread(target=lighttpd.get, args=("/health",),
                                 kwargs={"headers": {"X-Request-Id": r_id}})
            t.start()
            threads.append(t)
        for t in threads:
            t.join(30)
        rows = wait_rows(db, rids)
        assert len(rows) == len(rids), "lost %d rows" % (
            len(rids) - len(rows))
        log = os.environ["LK_LATCHKEYD_LOG"]
        assert eventually(lambda: log_count(log, "request %s" % poison) and
                          log_count(log, "set aside")), \
            "the refused row was not logged"
    finally:
        query(db, "ALTER TABLE latchkey.request_log DROP CONSTRAINT "
              "request_log_test_poison")
    assert query(db, "SELECT count(*) FROM latchkey.request_log WHERE "
                 "request_id = %s", poison)[0][0] == 0
