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


def workers(master):
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                         text=True).stdout.split()
    return sorted(int(p) for p in out)


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
