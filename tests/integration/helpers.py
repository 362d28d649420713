"""Every helper the integration tests share, in one place.

The harness (tests/harness/stack.sh) starts PostgreSQL, latchkeyd,
lighttpd, Apache and a demo upstream and writes their coordinates into
the environment; the tests talk to them over HTTP (Client), look into the
database as the owner role (query, history_rows), run latchkeyctl (ctl)
and, for the resilience tests, stop and start parts of the stack
(harness, latchkeyd_stopped, workers).  Fixtures live in conftest.py;
test modules import what they use from here and never from each other.

Rules these helpers keep for every test: waiting is polling with a
deadline (eventually), never a fixed sleep, and nothing asserts how long
something took; every process a helper starts is stopped before it
returns or when its `with` block ends.
"""
import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib

import psycopg2
import pytest

# --- the stack's coordinates -------------------------------------------------

LIGHTTPD = os.environ.get("LK_URL")
APACHE = os.environ.get("LK_APACHE_URL")
SERVERS = ([("lighttpd", LIGHTTPD)] if LIGHTTPD else []) + \
    ([("apache", APACHE)] if APACHE else [])

HARNESS = os.environ.get("LK_HARNESS")
STATE = os.environ.get("LK_STATE_DIR")
HITS = os.environ.get("LK_DEMO_HITS")
SERVICE_KEY = os.environ.get("LK_SERVICE_KEY")

JSON = "application/json; charset=utf-8"
# Passwords the suite uses; the end-of-session scan looks for each.
PASSWORD = "correct horse"
MEMBER_PASSWORD = "member pass"

needs_harness = pytest.mark.skipif(not HARNESS or not STATE,
                                   reason="needs the harness")
needs_upstream = pytest.mark.skipif(not HITS, reason="needs the harness's "
                                    "demo upstream (run through "
                                    "script/test)")
needs_service_key = pytest.mark.skipif(not SERVICE_KEY,
                                       reason="no LK_SERVICE_KEY in the "
                                       "stack")


def stack_setting(name, default=None):
    """A setting of the stack's latchkey.conf (LK_CONFIG) as a string;
    default when the file leaves it out (None: that is an error)."""
    with open(os.environ["LK_CONFIG"]) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == name:
                return v.strip()
    if default is None:
        raise AssertionError("no %s in the stack's config" % name)
    return default


# --- waiting -----------------------------------------------------------------

def eventually(fn, seconds=10.0, step=0.05):
    """Calls fn until it returns a true value or `seconds` have passed,
    and returns its last value (false when the deadline passed).

    The suite's only way to wait: for the request-history writer's batch,
    a NOTIFY reaching every worker, a cache entry expiring, a process
    being replaced.  The only time.sleep of the integration tests."""
    deadline = time.monotonic() + seconds
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def eventually_status(fn, status, seconds=10.0):
    """Calls fn (it makes a request) until the answer has `status`;
    returns that answer, or the last one when the deadline passed, so
    that the caller's assert_error shows what came instead."""
    last = []

    def attempt():
        last[:] = [fn()]
        return last[0].status == status
    eventually(attempt, seconds)
    return last[0]


# --- HTTP --------------------------------------------------------------------

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


def random_loopback():
    """An address of 127/8 (all of it is local), so that per-address
    limits such as login throttling never mix tests."""
    return "127.%d.%d.%d" % (secrets.randbelow(254) + 1,
                             secrets.randbelow(256),
                             secrets.randbelow(254) + 1)


class Client:
    """A tiny HTTP client bound to one web server's base URL, calling
    from a loopback address of its own."""

    def __init__(self, name, base, source=None):
        self.name = name
        self.base = base
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.prefix = u.path.rstrip("/")
        self.source = source or random_loopback()

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

    def signup(self, org_name=None, email=None, password=PASSWORD):
        """A new org through POST /v1/auth/signup: its JSON (org, user,
        token, api_key: a test-mode key holding *) plus "password"."""
        r = self.post("/v1/auth/signup", {
            "org_name": org_name or "org " + secrets.token_hex(4),
            "email": email or unique_email(), "password": password})
        assert r.status == 201, r
        r.json["password"] = password
        return r.json


def raw_http(client, data):
    """Sends exactly these bytes to client's web server (http.client
    refuses malformed or non-ASCII requests) and reads the answer to its
    end; returns (status, {lower-case header: value}, body), the body
    de-chunked."""
    s = socket.create_connection((client.host, client.port), timeout=30,
                                 source_address=(client.source, 0))
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        # Each recv is bounded by the socket's timeout; the server closes.
        for chunk in iter(lambda: s.recv(65536), b""):
            chunks.append(chunk)
    finally:
        s.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if sep:
            headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    return status, headers, body


def dechunk(body):
    out = b""
    while body:
        size, _, body = body.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out += body[:n]
        body = body[n + 2:]
    return out


def assert_error(r, status, code):
    """r is latchkey's JSON error: exactly this status and code, a
    message, and the request id of the X-Request-Id header."""
    assert r.status == status, r
    assert r.code == code, r
    assert r.header("Content-Type").startswith("application/json"), r.headers
    assert r.json["error"]["request_id"] == r.header("X-Request-Id")
    assert r.json["error"]["message"]


# --- orgs, users, keys, directs ----------------------------------------------

def unique_email(tag="user"):
    return "%s-%s@example.test" % (tag, secrets.token_hex(6))


def login(client, email, password=MEMBER_PASSWORD):
    """A login token for email (POST /v1/auth/login must answer 200)."""
    r = client.post("/v1/auth/login", {"email": email, "password": password})
    assert r.status == 200, r
    return r.json["token"]


def add_user(client, token, role, password=MEMBER_PASSWORD, email=None):
    """A user of the caller's org with role, and a login token for it:
    (user JSON, token)."""
    email = email or unique_email(role)
    r = client.post("/v1/users", {"email": email, "password": password,
                                  "role": role}, token=token)
    assert r.status == 201, r
    return r.json, login(client, email, password)


def make_key(client, cred=None, perms=("*",), headers=None, **fields):
    """An API key made by cred (a token or key) or by headers (a service
    key's): perms as its permissions (None: the field left out, so the
    creator's own), any other field (mode, name, expires_in...) as
    given.  Returns the created key's JSON, secret included."""
    body = {"name": "k-" + secrets.token_hex(3)}
    if perms is not None:
        body["permissions"] = list(perms)
    body.update(fields)
    r = client.post("/v1/api-keys", body, token=cred, headers=headers)
    assert r.status == 201, r
    return r.json


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(n, width):
    """n in base 62, width digits (the key checksum's alphabet)."""
    out = ""
    for _ in range(width):
        out = B62[n % 62] + out
        n //= 62
    return out


def well_formed_key(mode="live", prefix="lk"):
    """A key with a valid checksum that latchkey never issued."""
    body = "%s_%s_%s" % (prefix, mode,
                         "".join(secrets.choice(B62) for _ in range(22)))
    return body + b62(zlib.crc32(body.encode()), 6)


def me(client, key, how="bearer"):
    """GET /v1/me with key as a bearer token, an X-API-Key header or the
    accesskey parameter."""
    if how == "bearer":
        return client.get("/v1/me", token=key)
    if how == "header":
        return client.get("/v1/me", headers={"X-API-Key": key})
    return client.get("/v1/me?accesskey=" + key)


def make_direct(client, cred=None, rtype="call", rid=None, headers=None):
    """A direct hash for (rtype, rid) made by cred (or headers): the
    created direct's JSON, direct_hash included."""
    r = client.post("/v1/directs", {
        "resource_type": rtype,
        "resource_id": rid or "r-" + secrets.token_hex(4)},
        token=cred, headers=headers)
    assert r.status == 201, r
    return r.json


def boot(client, direct):
    """POST /v1/auth/boot with a direct's direct_hash; the response."""
    return client.post("/v1/auth/boot",
                       {"direct_hash": direct["direct_hash"]})


def service_headers(org_id=None, mode=None, how="header"):
    """The stack's service key (X-Internal-Key or a bearer token), with
    the org and mode it acts for."""
    h = {}
    if how == "header":
        h["X-Internal-Key"] = SERVICE_KEY
    else:
        h["Authorization"] = "Bearer " + SERVICE_KEY
    if org_id:
        h["X-Org-Id"] = org_id
    if mode:
        h["X-Latchkey-Mode"] = mode
    return h


def lift_limits(db, org_id):
    """Puts the org on a plan whose limits no test reaches, for tests
    that make hundreds of calls (the auth cache keeps the old limits for
    up to a second: wait for X-RateLimit-Limit to change if it matters).
    """
    query(db, "INSERT INTO latchkey.plans (id, name, key_rate_per_min, "
          "org_rate_per_min) VALUES ('unlimited_tests', 'Tests without "
          "limits', 1000000000, 1000000000) ON CONFLICT (id) DO NOTHING")
    query(db, "UPDATE latchkey.orgs SET plan_id = 'unlimited_tests' "
          "WHERE id = %s", org_id)


# --- the database ------------------------------------------------------------

def connect(user=None, autocommit=True):
    """A new connection to the stack's database as user (default: the
    owner role); the caller closes it."""
    conn = psycopg2.connect(
        host=os.environ["PGHOST"], port=os.environ["PGPORT"],
        dbname=os.environ.get("PGDATABASE", "latchkey"),
        user=user or os.environ.get("LK_OWNER_ROLE", "latchkey_owner"),
        application_name="latchkey-tests")
    conn.autocommit = autocommit
    return conn


def query(db, sql, *args):
    """Runs sql with args as its parameters; the rows, if any."""
    with db.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def history_rows(db, request_ids, columns="status", seconds=20.0):
    """The request-history rows of request_ids, once every one is there
    (the writer batches) or the deadline passed: a list of tuples, each
    request_id followed by `columns` (SQL written in the test, never
    input).  The caller asserts on what is missing."""
    ids = list(request_ids)
    sql = ("SELECT request_id, %s FROM latchkey.request_log "
           "WHERE request_id = ANY(%%s)" % columns)

    def fetch():
        rows = []
        for i in range(0, len(ids), 5000):
            rows += query(db, sql, ids[i:i + 5000])
        return rows
    found = []

    def complete():
        found[:] = fetch()
        return {r[0] for r in found} >= set(ids)
    eventually(complete, seconds)
    return found


def history_row(db, request_id, columns="status", seconds=20.0):
    """The one request-history row of request_id: a tuple of columns."""
    rows = history_rows(db, [request_id], columns, seconds)
    assert len(rows) == 1, (request_id, rows)
    return rows[0][1:]


# --- latchkeyctl and the built programs --------------------------------------

def built(program):
    """The path of a program of the build tree (LK_BUILD_DIR)."""
    build = os.environ.get("LK_BUILD_DIR")
    if not build:
        pytest.skip("needs LK_BUILD_DIR")
    for rel in (program, "src/ctl/" + program, "src/daemon/" + program):
        path = os.path.join(build, rel)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise AssertionError("no %s in %s" % (program, build))


def clean_env():
    """The environment without the settings latchkey reads from it, so a
    config file alone decides."""
    return {k: v for k, v in os.environ.items()
            if k not in ("LK_JWT_SECRET", "LK_JWT_SECRET_PREVIOUS",
                         "LK_DATABASE_URL", "LK_HISTORY_DATABASE_URL",
                         "LK_OWNER_DATABASE_URL")}


def owner_url():
    return "host=%s port=%s dbname=%s user=%s" % (
        os.environ["PGHOST"], os.environ["PGPORT"],
        os.environ.get("PGDATABASE", "latchkey"),
        os.environ.get("LK_OWNER_ROLE", "latchkey_owner"))


def run_built(program, args, config=None):
    """Runs a built program with args, plus `-c FILE` when config (the
    text of a config file, removed afterwards) is given; returns the
    CompletedProcess.  For programs that exit by themselves."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        if config is not None:
            f.write(config)
            f.flush()
            args = list(args) + ["-c", f.name]
        return subprocess.run([built(program)] + list(args),
                              capture_output=True, text=True, timeout=120,
                              env=clean_env())


def ctl(*args, check=True, database=True, config=None):
    """The one way to run latchkeyctl: args as the owner role against
    the stack's database (database=False: no --database-url, e.g. for
    check-config), with `-c FILE` holding config when it is given.
    Returns the CompletedProcess; with check, exit status 0 is
    asserted."""
    url = ["--database-url", owner_url()] if database else []
    r = run_built("latchkeyctl", url + list(args), config)
    if check:
        assert r.returncode == 0, r.stderr
    return r


# --- the demo upstream behind the authorizer ---------------------------------

def hits():
    """Requests the demo upstream has answered so far."""
    try:
        with open(HITS, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def reached(r):
    """The response came from the upstream (not latchkey, not the web
    server), for an allowed request."""
    return r.status == 200 and r.json is not None and "identity" in r.json


def assert_path_refused(client, r, before):
    """A path the web server's guard refuses (lighttpd: 400; Apache, in
    its access phase: 403), as JSON malformed_path, and the upstream was
    not contacted (before: hits() before the request)."""
    assert r.status == (403 if client.name == "apache" else 400), r
    assert r.code == "malformed_path", r
    assert r.header("Content-Type") == JSON, r.headers
    assert hits() == before, "the upstream was reached"


def assert_denied(r, status, code, before):
    """A denial made by latchkey, passed on as JSON, and the upstream was
    not contacted (before: hits() before the request)."""
    assert_error(r, status, code)
    assert r.header("Content-Type") == JSON, r.headers
    assert hits() == before, "the upstream was reached"


# --- the stack's processes ---------------------------------------------------

def harness(cmd):
    """tests/harness/stack.sh CMD on the running stack (pg-stop,
    pg-start, latchkeyd-stop, latchkeyd-start: the starts wait until
    latchkeyd answers through both web servers)."""
    subprocess.run([HARNESS, cmd, STATE], check=True, capture_output=True,
                   timeout=180)


def master_pid():
    with open(os.environ["LK_LATCHKEYD_PID_FILE"]) as f:
        return int(f.read().strip())


def children(master, name):
    """The children of latchkeyd's master named name (lk-worker or
    lk-writer, set with prctl), sorted."""
    out = subprocess.run(["pgrep", "-P", str(master), "-x", name],
                         capture_output=True, text=True,
                         timeout=30).stdout.split()
    return sorted(int(p) for p in out)


def workers(master):
    return children(master, "lk-worker")


def dead(pid):
    """Gone or a zombie: SIGKILL is delivered asynchronously, and a
    worker still blocked in accept() could take one more connection."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def kill_all(pids):
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert eventually(lambda: all(dead(p) for p in pids), step=0.005)


def stack_healthy(seconds=60.0):
    """latchkeyd answers /health with 200 through every web server and
    runs its configured number of workers and one writer."""
    want = int(os.environ.get("LK_WORKERS", "0") or 0)
    fronts = [Client(name, base) for name, base in SERVERS]

    def healthy():
        try:
            master = master_pid()
        except (OSError, ValueError):
            return False
        if want and len(workers(master)) != want:
            return False
        if len(children(master, "lk-writer")) != 1:
            return False
        return all(c.get("/health").status == 200 for c in fronts)
    return eventually(healthy, seconds, step=0.1)


@contextlib.contextmanager
def latchkeyd_stopped():
    """latchkeyd stopped for the `with` block, started again afterwards
    whatever happens, and healthy before the block is left."""
    harness("latchkeyd-stop")
    try:
        yield
    finally:
        harness("latchkeyd-start")
        assert stack_healthy(), "latchkeyd did not come back"


def log_count(path, text):
    """How many times text occurs in a log file so far."""
    with open(path, errors="replace") as f:
        return f.read().count(text)


# --- FastCGI, spoken directly to a latchkeyd ---------------------------------

FCGI_BEGIN, FCGI_END, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6


def fcgi_record(kind, content, request_id=1):
    """One FastCGI record (version 1), padded to 8 bytes."""
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), pad,
                       0) + content + b"\0" * pad


def fcgi_params(values):
    """FastCGI name-value pairs of a dict."""
    out = b""
    for k, v in values.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += bytes([n]) if n < 128 else (n | 0x80000000).to_bytes(
                4, "big")
        out += k + v
    return out
