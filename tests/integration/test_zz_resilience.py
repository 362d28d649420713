"""The daemon under stress: database outages, dying workers.

These run last (file name) because they disturb the shared stack; each
restores what it broke, also when it fails.
"""
import os
import signal
import subprocess
import time

import pytest

from test_http_core import assert_error

HARNESS = os.environ.get("LK_HARNESS")
STATE = os.environ.get("LK_STATE_DIR")

pytestmark = pytest.mark.skipif(not HARNESS or not STATE,
                                reason="needs the harness")


def master_pid():
    with open(os.environ["LK_LATCHKEYD_PID_FILE"]) as f:
        return int(f.read().strip())


def children(master, name):
    """The children of latchkeyd's master named name (lk-worker or
    lk-writer, set with prctl)."""
    out = subprocess.run(["pgrep", "-P", str(master), "-x", name],
                         capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in out)


def workers(master):
    return children(master, "lk-worker")


def dead(pid):
    """Gone or a zombie: SIGKILL is delivered asynchronously, and a worker
    still blocked in accept() could take one more connection with it."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def kill_all(pids):
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: all(dead(p) for p in pids), step=0.005)


def wait_for(pred, seconds=20.0, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


def harness(cmd):
    subprocess.run([HARNESS, cmd, STATE], check=True,
                   stdout=subprocess.DEVNULL, timeout=120)


def test_a_database_outage_is_503_then_recovers_without_restart(lighttpd):
    s = lighttpd.signup()
    before = master_pid()
    harness("pg-stop")
    try:
        r = lighttpd.get("/health")
        assert r.status == 503, r
        assert r.json["database"] == "unavailable"
        r = lighttpd.get("/v1/me", token=s["token"])
        assert_error(r, 503, "database_unavailable")
        r = lighttpd.post("/v1/auth/login", {"email": s["user"]["email"],
                                             "password": s["password"]})
        assert_error(r, 503, "database_unavailable")
        assert master_pid() == before
    finally:
        harness("pg-start")
    assert wait_for(lambda: lighttpd.get("/health").status == 200)
    # Every worker reconnects by itself; several calls reach them all.
    for _ in range(10):
        r = wait_for(lambda: lighttpd.get("/v1/me", token=s["token"])
                     .status == 200)
        assert r
    assert master_pid() == before


def test_a_killed_worker_is_replaced(lighttpd):
    master = master_pid()
    before = workers(master)
    assert before, "latchkeyd has no workers"
    os.kill(before[0], signal.SIGKILL)
    after = wait_for(lambda: (lambda w: w if len(w) == len(before) and
                              before[0] not in w else None)(workers(master)))
    assert after, "worker was not respawned"
    assert before[0] not in after
    for _ in range(2 * len(after)):
        assert lighttpd.get("/health").status == 200


def test_a_worker_killed_right_after_answering_loses_no_history(lighttpd,
                                                              db):
    from conftest import query
    s = lighttpd.signup()
    master = master_pid()
    rids = ["kill-%d-%s" % (i, s["org"]["id"][:8]) for i in range(5)]
    for r_id in rids:
        r = lighttpd.get("/v1/me", token=s["token"],
                         headers={"X-Request-Id": r_id})
        assert r.status == 200
        # The caller has its answer: kill every worker at once, before
        # the writer's batch interval could have passed.
        kill_all(workers(master))
    assert children(master, "lk-writer"), "the writer must survive"
    found = wait_for(lambda: query(
        db, "SELECT count(*) FROM latchkey.request_log WHERE "
        "request_id = ANY(%s)", rids)[0][0] == len(rids))
    assert found, "history rows were lost"
    assert wait_for(lambda: len(workers(master)) > 0)
    assert wait_for(lambda: lighttpd.get("/health").status == 200)


def test_sighup_replaces_every_worker_without_downtime(lighttpd):
    master = master_pid()
    before = set(workers(master))
    assert before
    os.kill(master, signal.SIGHUP)
    # Requests keep being answered while the workers are replaced.
    for _ in range(20):
        assert lighttpd.get("/health").status == 200
    after = wait_for(lambda: (lambda w: w if w and not w & before else None)(
        set(workers(master))))
    assert after, "the old workers are still there"
    assert master_pid() == master
    assert lighttpd.get("/health").status == 200


def fcgi_record(kind, content, request_id=1):
    """One FastCGI record (version 1), padded to 8 bytes."""
    import struct
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), pad,
                       0) + content + b"\0" * pad


def fcgi_params(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += bytes([n]) if n < 128 else (n | 0x80000000).to_bytes(
                4, "big")
        out += k + v
    return out


def test_sigterm_lets_a_request_in_flight_finish(lighttpd):
    """Speaks FastCGI to latchkeyd directly: the request's body is only
    half sent when the master is told to stop; the worker still answers
    it whole, then everything exits."""
    import socket
    body = b'{"email":"nobody@example.test","password":"wrong password"}'
    params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/v1/auth/login",
              "CONTENT_TYPE": "application/json",
              "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.9.9.9",
              "FCGI_ROLE": "RESPONDER"}
    master = master_pid()
    sock = socket.create_connection(("127.0.0.1",
                                     int(os.environ["LK_FCGI_PORT"])), 10)
    try:
        sock.sendall(fcgi_record(1, b"\0\1\0\0\0\0\0\0") +   # BEGIN, responder
                     fcgi_record(4, fcgi_params(params)) +
                     fcgi_record(4, b"") +
                     fcgi_record(5, body[:10]))
        # Let a worker take the request and block reading the body.
        time.sleep(0.3)
        os.kill(master, signal.SIGTERM)
        time.sleep(0.5)
        # Still alive: it waits for the request in flight.
        assert os.path.exists("/proc/%d" % master)
        sock.sendall(fcgi_record(5, body[10:]) + fcgi_record(5, b""))
        reply = b""
        while b"\x03\x00\x01" not in reply:       # FCGI_END_REQUEST
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        assert b"Status: 401" in reply, reply[:300]
        assert b"invalid_credentials" in reply
    finally:
        sock.close()
        try:
            assert wait_for(lambda: not os.path.exists("/proc/%d/status"
                                                       % master) or
                            "zombie" in open("/proc/%d/status" % master)
                            .read(), seconds=15), "the master did not stop"
        finally:
            harness("latchkeyd-start")
    assert wait_for(lambda: lighttpd.get("/health").status == 200)
