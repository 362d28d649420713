"""The daemon under stress: database outages, dying workers, signals.

Each test disturbs the shared stack, so each is marked disruptive (run
after the other tests, see conftest.py) and takes the restores_stack
fixture, which brings PostgreSQL, latchkeyd, its workers and writer back
and waits for /health through every web server, also when the test
fails.
"""
import os
import signal
import socket

import pytest

from helpers import (FCGI_BEGIN, FCGI_PARAMS, FCGI_STDIN, assert_error,
                     children, dead, eventually, eventually_status,
                     fcgi_params, fcgi_record, harness, history_rows,
                     kill_all, log_count, master_pid, needs_harness, workers)

pytestmark = [needs_harness, pytest.mark.disruptive,
              pytest.mark.usefixtures("restores_stack")]


def test_a_database_outage_is_503_then_recovers_without_restart(lighttpd):
    s = lighttpd.signup()
    before = master_pid()
    harness("pg-stop")
    try:
        r = lighttpd.get("/health")
        assert_error(r, 503, "database_unavailable")
        assert (r.json["status"], r.json["database"]) == ("unavailable",
                                                          "unavailable")
        r = lighttpd.get("/v1/me", token=s["token"])
        assert_error(r, 503, "database_unavailable")
        r = lighttpd.post("/v1/auth/login", {"email": s["user"]["email"],
                                             "password": s["password"]})
        assert_error(r, 503, "database_unavailable")
        assert master_pid() == before
    finally:
        harness("pg-start")
    r = eventually_status(lambda: lighttpd.get("/health"), 200, 20)
    assert r.status == 200, r
    # Every worker reconnects by itself; several calls reach them all.
    for _ in range(10):
        r = eventually_status(lambda: lighttpd.get("/v1/me",
                                                   token=s["token"]), 200, 20)
        assert r.status == 200, r
    assert master_pid() == before


def test_a_killed_worker_is_replaced(lighttpd):
    master = master_pid()
    before = workers(master)
    assert before, "latchkeyd has no workers"
    os.kill(before[0], signal.SIGKILL)
    after = eventually(lambda: (lambda w: w if len(w) == len(before) and
                                before[0] not in w else None)(
                                    workers(master)), 20)
    assert after, "worker was not respawned"
    for _ in range(2 * len(after)):
        assert lighttpd.get("/health").status == 200


def test_a_worker_killed_right_after_answering_loses_no_history(lighttpd,
                                                              db):
    s = lighttpd.signup()
    master = master_pid()
    rids = ["kill-%d-%s" % (i, s["org"]["id"][:8]) for i in range(5)]
    for r_id in rids:
        r = lighttpd.get("/v1/me", token=s["token"],
                         headers={"X-Request-Id": r_id})
        assert r.status == 200, r
        # The caller has its answer: kill every worker at once, before
        # the writer's batch interval could have passed.
        kill_all(workers(master))
    assert children(master, "lk-writer"), "the writer must survive"
    rows = history_rows(db, rids, "status")
    assert sorted(rows) == sorted((r_id, 200) for r_id in rids), \
        "history rows were lost"


def test_sighup_replaces_every_worker_without_downtime(lighttpd):
    master = master_pid()
    before = set(workers(master))
    assert before
    os.kill(master, signal.SIGHUP)
    # Requests keep being answered while the workers are replaced.
    for _ in range(20):
        assert lighttpd.get("/health").status == 200
    after = eventually(lambda: (lambda w: w if w and not w & before
                                else None)(set(workers(master))), 20)
    assert after, "the old workers are still there"
    assert master_pid() == master
    assert lighttpd.get("/health").status == 200


def accepted_by_a_worker(sock, master):
    """The connection of sock has been accept()ed by one of master's
    workers: the server side of it (found by its ports in
    /proc/net/tcp) is an open descriptor of a worker."""
    local_port = sock.getsockname()[1]
    server_port = sock.getpeername()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == server_port and \
                    int(remote.split(":")[1], 16) == local_port:
                inode = fields[9]
    if inode in (None, "0"):
        return False
    for pid in workers(master):
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == \
                        "socket:[%s]" % inode:
                    return True
            except OSError:
                continue
    return False


def test_sigterm_lets_a_request_in_flight_finish(lighttpd):
    """Speaks FastCGI to latchkeyd directly: the request's body is only
    half sent when the master is told to stop; the worker still answers
    it whole, then everything exits."""
    body = b'{"email":"nobody@example.test","password":"wrong password"}'
    params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/v1/auth/login",
              "CONTENT_TYPE": "application/json",
              "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.9.9.9",
              "FCGI_ROLE": "RESPONDER"}
    log = os.environ["LK_LATCHKEYD_LOG"]
    stopping = "stopping: waiting up to"
    master = master_pid()
    sock = socket.create_connection(("127.0.0.1",
                                     int(os.environ["LK_FCGI_PORT"])), 10)
    try:
        sock.sendall(fcgi_record(FCGI_BEGIN, b"\0\1\0\0\0\0\0\0") +
                     fcgi_record(FCGI_PARAMS, fcgi_params(params)) +
                     fcgi_record(FCGI_PARAMS, b"") +
                     fcgi_record(FCGI_STDIN, body[:10]))
        # A worker has taken the request and blocks reading the body.
        assert eventually(lambda: accepted_by_a_worker(sock, master)), \
            "no worker accepted the connection"
        seen = log_count(log, stopping)
        os.kill(master, signal.SIGTERM)
        assert eventually(lambda: log_count(log, stopping) > seen), \
            "the master did not take the SIGTERM"
        # Still alive: it waits for the request in flight.
        assert os.path.exists("/proc/%d" % master)
        sock.sendall(fcgi_record(FCGI_STDIN, body[10:]) +
                     fcgi_record(FCGI_STDIN, b""))
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
    assert eventually(lambda: dead(master), 15), "the master did not stop"
