"""No answered request loses its history row when a process dies.

Under served load (several concurrent clients on one org whose limits are
lifted, a few thousand GET /v1/me), kill -9 the request-history writer,
or one worker, and find the row of every request that was answered 2xx
or 4xx.  It kills latchkeyd's children, so it is marked disruptive (runs
after the other tests, see conftest.py); the master replaces them, and
the restores_stack fixture waits for that, also when a test fails.
"""
import http.client
import os
import secrets
import signal
import threading

import pytest

from helpers import (children, eventually, history_rows, lift_limits,
                     master_pid, needs_harness, query, workers)

pytestmark = [needs_harness, pytest.mark.disruptive,
              pytest.mark.usefixtures("restores_stack")]

CLIENTS = 8
BEFORE_KILL = 1500      # answers before the kill
AFTER_KILL = 1500       # answers after it
LOAD_SECONDS = 60       # bound on the whole load


class Load:
    """CLIENTS threads calling GET /v1/me over keep-alive connections,
    each request with its own X-Request-Id; remembers every answer."""

    def __init__(self, client, key):
        self.client, self.key = client, key
        self.tag = secrets.token_hex(4)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answered = {}      # request id -> status (2xx/4xx)
        self.other = 0          # 5xx or no answer
        self.threads = [threading.Thread(target=self.run, args=(i,))
                        for i in range(CLIENTS)]

    def run(self, n):
        conn = None
        i = 0
        while not self.stop.is_set():
            rid = "dur-%s-%d-%d" % (self.tag, n, i)
            i += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        self.client.host, self.client.port, timeout=30,
                        source_address=(self.client.source, 0))
                conn.request("GET", self.client.prefix + "/v1/me",
                             headers={"X-API-Key": self.key,
                                      "X-Request-Id": rid})
                r = conn.getresponse()
                r.read()
                got = r.getheader("X-Request-Id")
                with self.lock:
                    if r.status < 500 and got == rid:
                        self.answered[rid] = r.status
                    else:
                        self.other += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.other += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def count(self):
        with self.lock:
            return len(self.answered)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)


def missing_rows(db, rids, seconds):
    """The request ids of rids without a history row after waiting."""
    rows = history_rows(db, rids, "status", seconds)
    return set(rids) - {r[0] for r in rows}


def run_and_kill(client, db, pick):
    s = client.signup()
    lift_limits(db, s["org"]["id"])
    key = s["api_key"]["key"]
    # The auth cache keeps the old limits for up to a second.
    assert eventually(lambda: client.get("/v1/me", token=key).header(
        "X-RateLimit-Limit") == "1000000000"), "the limits were not lifted"
    master = master_pid()
    victim = None
    with Load(client, key) as load:
        assert eventually(lambda: load.count() >= BEFORE_KILL,
                          LOAD_SECONDS, step=0.01), (load.count(), load.other)
        victim = pick(master)
        os.kill(victim, signal.SIGKILL)
        at_kill = load.count()
        assert eventually(lambda: load.count() >= at_kill + AFTER_KILL,
                          LOAD_SECONDS, step=0.01), (load.count(), load.other)
    answered = dict(load.answered)
    assert len(answered) >= BEFORE_KILL + AFTER_KILL, (
        len(answered), load.other)
    # Served, not refused: the limits are lifted.
    served = sum(1 for st in answered.values() if st == 200)
    assert served == len(answered), (served, len(answered))
    print("%d answered (%d other) around the kill" % (len(answered),
                                                      load.other))
    # Every answered request's row, however long the replay takes.
    missing = missing_rows(db, answered, 60)
    assert not missing, "%d of %d answered requests have no row, e.g. %s" % (
        len(missing), len(answered), sorted(missing)[:5])
    # Each row once: a replayed batch is not written twice.
    dup = query(db, "SELECT count(*) - count(DISTINCT request_id) FROM "
                "latchkey.request_log WHERE request_id LIKE %s",
                "dur-%s-%%" % load.tag)[0][0]
    assert dup == 0
    return master, victim


def test_killing_the_writer_under_load_loses_no_answered_request(lighttpd,
                                                                  db):
    def writer(master):
        w = children(master, "lk-writer")
        assert len(w) == 1, w
        return w[0]
    master, victim = run_and_kill(lighttpd, db, writer)
    assert eventually(lambda: (lambda w: w and victim not in w)(
        children(master, "lk-writer")), 20)


def test_killing_a_worker_under_load_loses_no_answered_request(lighttpd,
                                                                db):
    def worker(master):
        w = workers(master)
        assert w
        return w[0]
    master, victim = run_and_kill(lighttpd, db, worker)
    assert eventually(lambda: (lambda w: len(w) > 0 and victim not in w)(
        workers(master)), 20)
