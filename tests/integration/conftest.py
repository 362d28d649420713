"""Shared fixtures of the integration suite.

The harness (tests/harness/stack.sh) starts PostgreSQL, latchkeyd, lighttpd
and Apache and writes their coordinates into the environment; these tests
talk to them over HTTP exactly as a client would, and look into the
database as the owner role to check what was (not) stored.

Why pytest rather than Criterion + libcurl: the integration tests are about
HTTP exchanges and database state, and read best as short scripts; Python's
standard library speaks HTTP and Debian ships psycopg2.  The C code is unit
tested with Criterion.
"""
import http.client
import json
import os
import secrets
import subprocess
import urllib.parse

import psycopg2
import pytest

LIGHTTPD = os.environ.get("LK_URL")
APACHE = os.environ.get("LK_APACHE_URL")

SERVERS = ([("lighttpd", LIGHTTPD)] if LIGHTTPD else []) + \
    ([("apache", APACHE)] if APACHE else [])


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def code(self):
        """The error code of an error response."""
        return (self.json or {}).get("error", {}).get("code")

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:300])


class Client:
    """A tiny HTTP client bound to one web server's base URL."""

    def __init__(self, name, base, source=None):
        self.name = name
        self.base = base
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.prefix = u.path.rstrip("/")
        # Each client calls from its own loopback address (all of
        # 127/8 is local), so per-address limits such as login
        # throttling never mix tests.
        self.source = source or "127.%d.%d.%d" % (
            secrets.randbelow(254) + 1, secrets.randbelow(256),
            secrets.randbelow(254) + 1)

    def request(self, method, path, body=None, headers=None, token=None,
                raw=None, content_type="application/json"):
        h = dict(headers or {})
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type is not None:
            h.setdefault("Content-Type", content_type)
        if token is not None:
            h["Authorization"] = "Bearer " + token
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30,
                                          source_address=(self.source, 0))
        try:
            conn.request(method, self.prefix + path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read().decode())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def signup(self, org_name=None, email=None, password="correct horse"):
        email = email or unique_email()
        r = self.post("/v1/auth/signup", {
            "org_name": org_name or "org " + secrets.token_hex(4),
            "email": email, "password": password})
        assert r.status == 201, r
        r.json["password"] = password
        return r.json


def eventually(fn, seconds=3.0, step=0.02):
    """Polls fn until it returns a true value or seconds pass (bounded).

    For changes made behind latchkey's back (SQL in a test): each host
    caches identities for up to a second, and the NOTIFY that empties the
    cache arrives asynchronously."""
    import time
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def unique_email(tag="user"):
    return "%s-%s@example.test" % (tag, secrets.token_hex(6))


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
    if not LIGHTTPD:
        pytest.skip("no web server: run through script/test")
    return Client("lighttpd", LIGHTTPD)


@pytest.fixture
def db():
    """The database as the owner role, for checking what is stored.

    One connection per test: the resilience tests restart PostgreSQL.
    """
    conn = psycopg2.connect(
        host=os.environ["PGHOST"], port=os.environ["PGPORT"],
        dbname=os.environ.get("PGDATABASE", "latchkey"),
        user=os.environ.get("LK_OWNER_ROLE", "latchkey_owner"))
    conn.autocommit = True
    yield conn
    conn.close()


def query(db, sql, *args):
    with db.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def ctl(*args, check=True):
    """Runs latchkeyctl as the owner role against the stack's database."""
    build = os.environ.get("LK_BUILD_DIR")
    if not build:
        pytest.skip("needs LK_BUILD_DIR")
    url = "host=%s port=%s dbname=%s user=%s" % (
        os.environ["PGHOST"], os.environ["PGPORT"],
        os.environ.get("PGDATABASE", "latchkey"),
        os.environ.get("LK_OWNER_ROLE", "latchkey_owner"))
    r = subprocess.run([os.path.join(build, "latchkeyctl"), "--database-url",
                        url] + list(args), capture_output=True, text=True,
                       timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r
