"""Many hosts, one database: two latchkeyd hosts behind one PgBouncer.

The fixture builds what docs/deploy.md describes, on loopback ports of
its own, next to the shared stack's PostgreSQL: a PgBouncer 1.18 in
transaction mode (run as the unprivileged postgres user, like
PostgreSQL), two latchkeyd hosts (separate masters and configs, each
with database_url through PgBouncer, database_prepare = off and a direct
listen_database_url), and one lighttpd that balances over both.  That
lighttpd also serves each host alone on a port of its own, so a test can
act through A and look through B.  Every process the fixture starts is
stopped when the module ends, also on failure; the failover test kills
host A's master and the fixture starts a new host A for whatever runs
after it.

No test sleeps: waiting is `eventually` (polling with a deadline).  Two
checks are bounded in time because the requirement is: a revocation
reaches the other host within a second, and the limit admits, over the
span the burst took by the server's clock (history rows' created_at),
what GCRA admits (the limit as a burst plus one token per 60/limit s).
"""
import collections
import http.client
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading

import pytest

from helpers import (Client, assert_error, built, children, connect, dead,
                     eventually, history_rows, lift_limits, make_key,
                     needs_harness, query, stack_setting)
from private_daemon import Daemon, free_port

pytestmark = [needs_harness]

PGBOUNCER = "/usr/sbin/pgbouncer"
LIGHTTPD = "/usr/sbin/lighttpd"
PG_OS_USER = "postgres"
PG_SUPERUSER = "postgres"   # the harness's cluster superuser
WORKERS = 2                 # per host
POOL_SIZE = 3               # server connections for 2 x (2 + 1) clients
START_SECONDS = 60
STOP_SECONDS = 20

REVOCATION_SECONDS = 1.0    # DESIGN.md: revocation within a second
LIMIT = 600                 # per minute
BURST = 900                 # requests, more than LIMIT
TOLERANCE = 0.02            # DESIGN.md: limits exact to 2 %
CLIENTS = 6                 # concurrent callers of the load tests
PER_HOST = 60               # history test: requests through each host alone
AFTER_FAILOVER = 300        # answers counted once host A is gone
LOAD_SECONDS = 120          # bound on the failover test's load


def host_settings(name, pgb_port, direct_url):
    """latchkeyd settings of host `name`: through PgBouncer (the runtime
    role and the history writer's), statements unprepared, LISTEN on a direct session; application names tell the
    hosts' sessions apart in pg_stat_activity."""
    return {
        "workers": str(WORKERS),
        "database_url": "host=127.0.0.1 port=%d dbname=%s user=%s "
                        "application_name=lk-%s" % (
                            pgb_port, os.environ.get("PGDATABASE",
                                                     "latchkey"),
                            os.environ.get("LK_APP_ROLE", "latchkey_app"),
                            name),
        "history_database_url": "host=127.0.0.1 port=%d dbname=%s "
                                "user=%s application_name=lk-%s-writer" % (
                                    pgb_port, os.environ.get("PGDATABASE",
                                                             "latchkey"),
                                    os.environ.get("LK_WRITER_ROLE",
                                                   "latchkey_writer"),
                                    name),
        "database_prepare": "off",
        "listen_database_url": direct_url + " application_name=lk-%s-"
                                            "listen" % name,
    }


def own(path):
    """Gives path to the postgres user when running as root."""
    if os.geteuid() == 0:
        shutil.chown(path, PG_OS_USER, PG_OS_USER)


class PgBouncer:
    """PgBouncer in transaction mode on a free loopback port, as the
    postgres OS user (it refuses root), in front of the stack's
    PostgreSQL (unix socket, trust, as the harness set it up)."""

    def __init__(self, root):
        self.dir = os.path.join(root, "pgbouncer")
        self.port = free_port()
        self.proc = None

    def start(self):
        os.mkdir(self.dir, 0o700)
        own(self.dir)
        app = os.environ.get("LK_APP_ROLE", "latchkey_app")
        db = os.environ.get("PGDATABASE", "latchkey")
        ini = os.path.join(self.dir, "pgbouncer.ini")
        users = os.path.join(self.dir, "userlist.txt")
        with open(users, "w") as f:
            f.write('"%s" ""\n"%s" ""\n' % (
                app, os.environ.get("LK_WRITER_ROLE", "latchkey_writer")))
        with open(ini, "w") as f:
            f.write("\n".join([
                "[databases]",
                "%s = host=%s port=%s dbname=%s" % (
                    db, os.environ["PGHOST"], os.environ["PGPORT"], db),
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                "listen_port = %d" % self.port,
                "unix_socket_dir =",
                "pool_mode = transaction",
                # Server connections in turn rather than the last used:
                # consecutive transactions of one client land on
                # different ones, so state kept across them shows.
                "server_round_robin = 1",
                "default_pool_size = %d" % POOL_SIZE,
                "max_client_conn = 100",
                # The stack's PostgreSQL trusts its unix socket; PgBouncer
                # only checks that the user is listed.
                "auth_type = trust",
                "auth_file = %s" % users,
                "logfile = %s" % os.path.join(self.dir, "pgbouncer.log"),
                "",
            ]))
        for path in (ini, users):
            own(path)
        # As root, as the postgres user (PgBouncer refuses root); else as
        # whoever runs the suite, as the harness does with PostgreSQL.
        who = {"user": PG_OS_USER, "group": PG_OS_USER} \
            if os.geteuid() == 0 else {}
        self.proc = subprocess.Popen(
            [PGBOUNCER, ini], cwd="/", stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, **who)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)    # immediate shutdown
            try:
                self.proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_SECONDS)
        self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "pgbouncer.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""


class Balancer:
    """One lighttpd: port `both` balances over the two hosts; ports `a`
    and `b` reach one host each.  /server-counters (mod_status) says how
    many requests each backend of `both` took."""

    def __init__(self, root):
        self.dir = os.path.join(root, "lighttpd")
        self.both, self.a, self.b = free_port(), free_port(), free_port()
        self.proc = None

    @staticmethod
    def backend(name, port):
        # disable-time: after a refused connection, leave that backend out
        # for a second (the others take its requests); as in
        # lighttpd-conf/latchkey.conf.
        return ('"%s" => ("host" => "127.0.0.1", "port" => %d, '
                '"check-local" => "disable", "fix-root-scriptname" => '
                '"enable", "disable-time" => 1, "connect-timeout" => 5, '
                '"read-timeout" => 30)' % (name, port))

    def start(self, port_a, port_b):
        os.makedirs(os.path.join(self.dir, "www"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        a, b = self.backend("a", port_a), self.backend("b", port_b)
        conf = os.path.join(self.dir, "lighttpd.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                'server.modules = ("mod_status", "mod_fastcgi")',
                'server.bind = "127.0.0.1"',
                "server.port = %d" % self.both,
                'server.errorlog = "%s/error.log"' % self.dir,
                'server.document-root = "%s/www"' % self.dir,
                'server.upload-dirs = ("%s/tmp")' % self.dir,
                'status.statistics-url = "/server-counters"',
                'fastcgi.balance = "round-robin"',
                'fastcgi.server = ("/" => (%s, %s))' % (a, b),
                '$SERVER["socket"] == "127.0.0.1:%d" {' % self.a,
                '    status.statistics-url = ""',
                '    fastcgi.server = ("/" => (%s))' % a,
                "}",
                '$SERVER["socket"] == "127.0.0.1:%d" {' % self.b,
                '    status.statistics-url = ""',
                '    fastcgi.server = ("/" => (%s))' % b,
                "}",
                "",
            ]))
        subprocess.run([LIGHTTPD, "-tt", "-f", conf], check=True,
                       capture_output=True, timeout=60)
        self.log = open(os.path.join(self.dir, "stderr.log"), "w")
        self.proc = subprocess.Popen([LIGHTTPD, "-D", "-f", conf],
                                     stdout=self.log, stderr=self.log)

    def counters(self):
        """{backend name: requests lighttpd handed it} on port `both`."""
        conn = http.client.HTTPConnection("127.0.0.1", self.both,
                                          timeout=30)
        try:
            conn.request("GET", "/server-counters")
            body = conn.getresponse().read().decode()
        finally:
            conn.close()
        out = {}
        for line in body.splitlines():
            k, _, v = line.partition(":")
            # gw.backend.<name>.<process>.connected: N (lighttpd 1.4.69)
            parts = k.strip().split(".")
            if len(parts) == 5 and parts[:2] == ["gw", "backend"] \
                    and parts[4] == "connected":
                out[parts[2]] = out.get(parts[2], 0) + int(v)
        return out

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_SECONDS)
        self.proc = None
        if getattr(self, "log", None) is not None:
            self.log.close()


class Host(Daemon):
    """A private latchkeyd (private_daemon.Daemon) that remembers its
    master's children, so that none outlives the test even when the
    master was killed."""

    def __init__(self, name, settings):
        super().__init__(settings)
        self.name = name
        self.pids = set()

    def __enter__(self):
        super().__enter__()
        try:
            self.remember_children()
        except BaseException:
            self.stop()
            raise
        return self

    def remember_children(self):
        def all_there():
            kids = children(self.proc.pid, "lk-worker")
            writer = children(self.proc.pid, "lk-writer")
            self.pids |= set(kids) | set(writer)
            return len(kids) == WORKERS and len(writer) == 1
        assert eventually(all_there, START_SECONDS), \
            "host %s: workers or writer missing" % self.name

    def stop(self):
        try:
            super().stop()
        finally:
            for pid in self.pids:
                if not dead(pid):
                    os.kill(pid, signal.SIGKILL)
            self.pids = set()


class Cluster:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="lk-many-hosts-")
        os.chmod(self.root, 0o755)      # the postgres user enters it
        self.pgbouncer = PgBouncer(self.root)
        self.lb = Balancer(self.root)
        self.direct_url = stack_setting("database_url")
        self.hosts = {}

    def start_host(self, name):
        host = Host(name, host_settings(name, self.pgbouncer.port,
                                        self.direct_url))
        # Daemon picks a free port; a new host A keeps the old one, which
        # is what lighttpd was told.
        if name in self.ports:
            host.port = self.ports[name]
        host.__enter__()
        self.ports[name] = host.port
        self.hosts[name] = host
        return host

    def start(self):
        built("latchkeyd")
        for program in (PGBOUNCER, LIGHTTPD):
            if not os.access(program, os.X_OK):
                pytest.fail("%s is missing (script/bootstrap installs it)"
                            % program)
        self.ports = {}
        self.pgbouncer.start()
        self.start_host("a")
        self.start_host("b")
        self.lb.start(self.ports["a"], self.ports["b"])
        self.both = Client("both", "http://127.0.0.1:%d" % self.lb.both)
        self.a = Client("a", "http://127.0.0.1:%d" % self.lb.a)
        self.b = Client("b", "http://127.0.0.1:%d" % self.lb.b)
        for c in (self.both, self.a, self.b):
            assert eventually(lambda c=c: self.healthy(c), START_SECONDS), \
                "%s: not healthy; pgbouncer log:\n%s" % (
                    c.name, self.pgbouncer.log())

    @staticmethod
    def healthy(client):
        try:
            return client.get("/health").status == 200
        except OSError:
            return False

    def ensure_host_a(self):
        """Host A running again (after the failover test killed it)."""
        a = self.hosts.get("a")
        if a is not None and a.proc is not None and a.proc.poll() is None:
            return
        if a is not None:
            a.stop()
        self.start_host("a")
        assert eventually(lambda: self.healthy(self.a), START_SECONDS)

    def stop(self):
        try:
            self.lb.stop()
        finally:
            try:
                for host in self.hosts.values():
                    host.stop()
            finally:
                self.pgbouncer.stop()
                shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture
def hosts(cluster):
    cluster.ensure_host_a()
    return cluster


def live_key(client, db, perms=("*",), limit=None):
    """A new org through client and a live key of it (limit per minute
    when given, else the org's limits lifted); returns (signup, key)."""
    s = client.signup()
    if limit is None:
        lift_limits(db, s["org"]["id"])
    k = make_key(client, s["token"], list(perms), name="many-hosts")
    if limit is not None:
        query(db, "UPDATE latchkey.api_keys SET rate_limit_per_min = %s "
              "WHERE id = %s", limit, k["id"])
    return s, k


def test_each_host_listens_on_a_direct_session(hosts, db):
    # The LISTEN sessions are PostgreSQL backends of their own (through
    # PgBouncer a LISTEN would land on a pooled connection and hear
    # nothing); every other statement came through PgBouncer unprepared.
    su = connect(PG_SUPERUSER)      # reads other roles' activity
    try:
        def listening():
            rows = query(su, "SELECT application_name FROM "
                         "pg_stat_activity WHERE query = "
                         "'LISTEN latchkey_auth' AND "
                         "application_name LIKE 'lk-_-listen'")
            return sorted(r[0] for r in rows) == ["lk-a-listen",
                                                  "lk-b-listen"]
        assert eventually(listening), query(
            su, "SELECT application_name, query FROM pg_stat_activity")
    finally:
        su.close()
    for c in (hosts.a, hosts.b):
        s, k = live_key(c, db)
        r = c.get("/v1/api-keys/" + k["id"], token=s["token"])
        assert r.status == 200 and r.json["id"] == k["id"], r


def test_a_key_revoked_through_host_a_is_refused_by_host_b_within_a_second(
        hosts, db):
    s, k = live_key(hosts.a, db)
    headers = {"X-API-Key": k["key"]}
    # Both hosts know the key (and have it in their caches).
    for c in (hosts.a, hosts.b, hosts.b):
        r = c.get("/v1/me", headers=headers)
        assert r.status == 200 and r.json["api_key_id"] == k["id"], r
    r = hosts.a.delete("/v1/api-keys/" + k["id"], token=s["token"])
    assert r.status == 204, r
    r = hosts.a.get("/v1/me", headers=headers)
    assert_error(r, 401, "revoked_api_key")
    # The deadline is the requirement: polled, never slept.
    answers = []

    def refused():
        answers.append(hosts.b.get("/v1/me", headers=headers))
        return answers[-1].status == 401
    eventually(refused, REVOCATION_SECONDS, step=0.01)
    assert_error(answers[-1], 401, "revoked_api_key")


def burst(client, key, n, tag):
    """n GET /v1/me with key from CLIENTS threads at once; returns
    {request id: status}."""
    ids = ["%s-%d" % (tag, i) for i in range(n)]
    out, lock = {}, threading.Lock()
    todo = collections.deque(ids)

    def run():
        conn = http.client.HTTPConnection(client.host, client.port,
                                          timeout=30,
                                          source_address=(client.source, 0))
        try:
            while True:
                with lock:
                    if not todo:
                        return
                    rid = todo.popleft()
                conn.request("GET", "/v1/me", headers={
                    "X-API-Key": key, "X-Request-Id": rid})
                r = conn.getresponse()
                r.read()
                assert r.getheader("X-Request-Id") == rid
                with lock:
                    out[rid] = r.status
        finally:
            conn.close()
    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == n, "%d of %d answered" % (len(out), n)
    return out


def test_a_limit_holds_across_both_hosts(hosts, db):
    s, k = live_key(hosts.both, db, limit=LIMIT)
    before = hosts.lb.counters()
    tag = "lim-" + secrets.token_hex(4)
    got = burst(hosts.both, k["key"], BURST, tag)
    after = hosts.lb.counters()
    statuses = collections.Counter(got.values())
    assert set(statuses) <= {200, 429}, statuses
    # lighttpd spread the burst over both hosts.
    for name in ("a", "b"):
        assert after.get(name, 0) - before.get(name, 0) >= BURST // 4, \
            (before, after)
    # What GCRA admits over the span the burst took on the server's
    # clock: the limit at once, then one request every 60/LIMIT s.
    rows = history_rows(db, got, "extract(epoch FROM created_at) * 1000")
    assert len(rows) == BURST, "%d history rows" % len(rows)
    first = min(float(r[1]) for r in rows)
    last = max(float(r[1]) for r in rows)
    interval = 60000.0 / LIMIT
    admitted = LIMIT + (last - first) / interval
    # What the shared bucket handed out to both hosts' leases: its
    # theoretical arrival time moved one interval per token from the
    # first request on.
    (tat,), = query(db, "SELECT tat_ms FROM latchkey.rate_state "
                    "WHERE bucket = %s", "key:" + k["id"])
    leased = (tat - first) / interval
    passed = statuses[200]
    figures = "passed %d, leased %.1f, admitted %.1f (span %.0f ms)" % (
        passed, leased, admitted, last - first)
    # Never in the caller's favour by more than 2 %, in the database or
    # at the hosts.
    assert leased <= admitted * (1 + TOLERANCE), figures
    assert passed <= admitted * (1 + TOLERANCE), figures
    # Nor in its disfavour: tokens leased to a host and not spent are
    # given back (latchkey.rate_spend), so the caller gets the limit.
    assert passed >= admitted * (1 - TOLERANCE), figures


def test_history_rows_from_both_hosts_none_lost(hosts, db):
    s, k = live_key(hosts.both, db)
    tag = "hist-" + secrets.token_hex(4)
    sent = {}
    for c in (hosts.a, hosts.b):
        sent.update(burst(c, k["key"], PER_HOST, "%s-%s" % (tag, c.name)))
    sent.update(burst(hosts.both, k["key"], 4 * PER_HOST, tag + "-both"))
    assert set(sent.values()) == {200}, collections.Counter(sent.values())
    rows = history_rows(db, sent, "status")
    per_id = collections.Counter(r[0] for r in rows)
    assert set(per_id) == set(sent), "missing: %s" % sorted(
        set(sent) - set(per_id))[:10]
    assert set(per_id.values()) == {1}, [
        i for i, n in per_id.items() if n != 1][:10]
    assert all(r[1] == 200 for r in rows)


def test_a_host_that_prepares_through_pgbouncer_stops_preparing(hosts, db):
    # Misconfigured (database_prepare = on through a transaction pooler):
    # a statement prepared on one server connection is missing on the
    # next.  Each of the host's connections notices once, says what to
    # set, and sends statements unprepared from then on: at most one
    # failed request per worker (its transaction was lost), then none.
    s, k = live_key(hosts.both, db)
    settings = host_settings("p", hosts.pgbouncer.port, hosts.direct_url)
    settings["database_prepare"] = "on"
    with Host("p", settings) as p:
        got = []
        for _ in range(4):
            got += burst_fcgi(p, k["key"], 50)
        failed = [r for r in got if r.status != 200]
        assert len(failed) <= WORKERS, failed
        assert all(r.code == "internal_error" for r in failed), failed
        assert all(r.status == 200 for r in got[-50:])
        p.log.flush()
        switched = log_lines(p, "sending statements unprepared")
        # Noticed (two workers at once over PgBouncer's round robin put
        # consecutive statements on different server connections), and
        # by each process (workers and writer) at most once.
        assert 1 <= len(switched) <= WORKERS + 1, switched
        assert all("set database_prepare = off" in ln for ln in switched)


def burst_fcgi(daemon, key, n):
    """n GET /v1/me with key straight to daemon (FastCGI), from WORKERS
    threads at once, so that its workers' statements interleave on
    PgBouncer's server connections; the answers."""
    out, lock = [], threading.Lock()

    def run(count):
        for _ in range(count):
            r = daemon.request("GET", "/v1/me", headers={"X-API-Key": key})
            with lock:
                out.append(r)
    threads = [threading.Thread(target=run, args=(n // WORKERS,))
               for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def log_lines(daemon, text):
    with open(os.path.join(daemon.dir.name, "latchkeyd.log")) as f:
        return [ln for ln in f if text in ln]


class Load:
    """CLIENTS threads calling GET /v1/me through the balancer until
    stopped; remembers every answer in order, and whether it was sent
    after `mark` was set."""

    def __init__(self, client, key):
        self.client, self.key = client, key
        self.stop = threading.Event()
        self.mark = threading.Event()
        self.lock = threading.Lock()
        self.answers = []       # (sent after mark, status or None)
        self.threads = [threading.Thread(target=self.run)
                        for _ in range(CLIENTS)]

    def run(self):
        while not self.stop.is_set():
            marked = self.mark.is_set()
            # A new connection each time: a request is in flight from
            # connect to answer, nothing else is held open.
            try:
                status = self.client.get(
                    "/v1/me", headers={"X-API-Key": self.key}).status
            except OSError:
                status = None
            with self.lock:
                self.answers.append((marked, status))

    def count(self, marked=None):
        with self.lock:
            return sum(1 for m, _ in self.answers
                       if marked is None or m == marked)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)


def test_killing_host_a_sends_everything_to_host_b(hosts, db):
    s, k = live_key(hosts.both, db)
    a = hosts.hosts["a"]
    pids = set(a.pids)
    before = hosts.lb.counters()
    with Load(hosts.both, k["key"]) as load:
        assert eventually(lambda: load.count() >= 100, LOAD_SECONDS)
        mid = hosts.lb.counters()
        for name in ("a", "b"):
            assert mid.get(name, 0) > before.get(name, 0), (before, mid)
        os.kill(a.proc.pid, signal.SIGKILL)
        a.proc.wait(STOP_SECONDS)
        # Its workers and writer stop with it (no orphan keeps the
        # listening socket).
        assert eventually(lambda: all(dead(p) for p in pids),
                          STOP_SECONDS), [p for p in pids if not dead(p)]
        load.mark.set()
        assert eventually(lambda: load.count(True) >= AFTER_FAILOVER,
                          LOAD_SECONDS)
    failed = [st for _, st in load.answers if st != 200]
    # Only requests in flight when A died may fail: at most one per
    # client.
    assert len(failed) <= CLIENTS, collections.Counter(failed)
    after = [st for m, st in load.answers if m]
    assert len(after) >= AFTER_FAILOVER
    assert all(st == 200 for st in after), collections.Counter(after)
    # Host B took them.
    end = hosts.lb.counters()
    assert end.get("b", 0) - mid.get("b", 0) >= AFTER_FAILOVER, (mid, end)
