"""Fixtures and the run order of the integration suite.

The harness (tests/harness/stack.sh) starts PostgreSQL, latchkeyd,
lighttpd and Apache and writes their coordinates into the environment;
these tests talk to them over HTTP exactly as a client would, and look
into the database as the owner role to check what was (not) stored.
Shared helpers (the client, assert_error, eventually, ctl, make_key...)
are in helpers.py; this file holds the fixtures and the order.

Why pytest rather than Criterion + libcurl: the integration tests are about
HTTP exchanges and database state, and read best as short scripts; Python's
standard library speaks HTTP and Debian ships psycopg2.  The C code is unit
tested with Criterion.

Order.  No test depends on the file it is in or on the files' order.  Two
markers move tests to the end of the run, whatever selected or reordered
them:
- `disruptive`: the test stops or kills part of the shared stack
  (PostgreSQL, latchkeyd, its workers).  Each takes the `restores_stack`
  fixture, which leaves the stack as healthy as it found it, also on
  failure, so these could run anywhere; running them after the others
  keeps one failed restoration from failing unrelated tests.
- `after_all`: the test judges what every other test left behind (the
  scan for secrets stored in clear), so it must come last.
The reordering is done in pytest_collection_modifyitems, as the last
implementation of that hook (trylast), so a plugin that shuffles or
selects items runs first; unlike a session-finish hook or a session
fixture's finalizer, the scan stays an ordinary test that is reported,
counted and selectable with -k.
"""
import os
import secrets

import pytest

from helpers import (HITS, LIGHTTPD, SERVERS, Client, connect, eventually,
                     harness, make_key, query, reached, stack_healthy)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "disruptive: stops or kills part of the shared stack; "
        "runs after the other tests and restores the stack")
    config.addinivalue_line(
        "markers", "after_all: judges what all other tests left behind; "
        "runs last")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        if item.get_closest_marker("after_all"):
            return 2
        if item.get_closest_marker("disruptive"):
            return 1
        return 0
    # sort is stable: within a rank the collected order stays.
    items.sort(key=rank)


@pytest.fixture(params=SERVERS or [("none", None)],
                ids=[s[0] for s in SERVERS] or ["none"])
def client(request):
    """A client for each web server: every test using it runs twice."""
    name, base = request.param
    if base is None:
        pytest.skip("no web server: run through script/test")
    return Client(name, base)


@pytest.fixture
def lighttpd():
    """A client of lighttpd only, for tests about latchkeyd itself."""
    if not LIGHTTPD:
        pytest.skip("no web server: run through script/test")
    return Client("lighttpd", LIGHTTPD)


@pytest.fixture
def db():
    """The database as the owner role, for checking what is stored.

    One connection per test: the resilience tests restart PostgreSQL.
    """
    conn = connect()
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def module_db():
    """The owner-role connection of a module's shared fixtures."""
    conn = connect()
    yield conn
    conn.close()


@pytest.fixture
def restores_stack():
    """For a test that stops or kills part of the stack: afterwards,
    also when the test failed, PostgreSQL and latchkeyd run again, every
    worker and the writer are there and /health answers 200 through
    every web server."""
    if not os.environ.get("LK_HARNESS") or \
            not os.environ.get("LK_STATE_DIR"):
        pytest.skip("needs the harness")
    yield
    harness("pg-start")
    harness("latchkeyd-start")
    assert stack_healthy(), "the stack did not recover"


@pytest.fixture
def org(client):
    """A new org (client.signup()) plus demo_key: a live key holding
    demo.read, the permission of the harness's GET /demo/* route."""
    s = client.signup()
    s["demo_key"] = make_key(client, s["token"], ["demo.read"], name="demo")
    return s


@pytest.fixture
def public_route(db, client):
    """A public route under /demo/ for one test (routes are shared),
    in effect on every worker before the test starts."""
    if not HITS:
        pytest.skip("needs the harness's demo upstream")
    prefix = "/demo/pub" + secrets.token_hex(4)
    query(db, "INSERT INTO latchkey.routes (method, pattern, public) "
          "VALUES ('GET', %s, true)", prefix + "/*")
    try:
        # Every worker reloads the routes on a change notification.
        assert eventually(lambda: reached(client.get(prefix + "/a"))), \
            "the public route did not take effect"
        yield prefix
    finally:
        query(db, "DELETE FROM latchkey.routes WHERE pattern = %s",
              prefix + "/*")
