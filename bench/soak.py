#!/usr/bin/python3
"""bench/soak.py: the Python half of bench/soak (Debian's python3,
python3-psycopg2).  bench/soak runs it; each command reads the stack's
coordinates from the environment (STATE_DIR/env exported).

    soak.py setup URL        two orgs, keys, a member; prints shell lines
    soak.py probe URL JWT    each hostile body once: its status and code
    soak.py now              the database's clock (the soak's start)
    soak.py pgconns          connections to the latchkey database, ours aside
    soak.py check OUT T0 FAULTS
                             compares the answers recorded in OUT with the
                             request history since T0; prints the report;
                             exits 1 when a criterion fails
"""
import glob
import json
import os
import secrets
import shlex
import sys
import time
import urllib.error
import urllib.request

# At most this long for the writer to catch up once the load stops.
HISTORY_DEADLINE_S = 120
# The history has stopped growing when it did not for this long.
HISTORY_QUIET_S = 10


def db():
    import psycopg2
    conn = psycopg2.connect(
        host=os.environ["PGHOST"], port=os.environ["PGPORT"],
        dbname=os.environ.get("PGDATABASE", "latchkey"),
        user=os.environ.get("LK_OWNER_ROLE", "latchkey_owner"))
    conn.autocommit = True
    return conn


def call(url, method, path, body=None, token=None, key=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if key:
        req.add_header("X-API-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise SystemExit("soak: %s %s answered %d: %s"
                         % (method, path, e.code, e.read()[:300]))


def signup(url, tag):
    email = "soak-%s-%s@soak.test" % (tag, secrets.token_hex(4))
    _, r = call(url, "POST", "/v1/auth/signup", {
        "org_name": "soak " + tag, "email": email,
        "password": "soak password " + secrets.token_hex(8)})
    return r["token"]


def setup(url):
    owner = signup(url, "main")
    _, k = call(url, "POST", "/v1/api-keys",
                {"name": "soak", "permissions": ["*"]}, token=owner)
    _, k2 = call(url, "POST", "/v1/api-keys",
                 {"name": "soak renamed", "permissions": ["demo.read"]},
                 token=owner)
    _, member = call(url, "POST", "/v1/users", {
        "email": "soak-member-%s@soak.test" % secrets.token_hex(4),
        "password": "soak member password", "role": "member"},
        token=owner)
    _, me = call(url, "GET", "/v1/me", key=k["key"])
    # The main org on a plan far above what the machine can do: its
    # requests are served; the tight org stays on the default plan
    # (60/min per key), so its key is mostly refused with 429.
    with db() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO latchkey.plans (id, name, key_rate_per_min,"
            " org_rate_per_min) VALUES ('soak', 'Soak', 1000000000,"
            " 1000000000) ON CONFLICT (id) DO NOTHING")
        cur.execute("UPDATE latchkey.orgs SET plan_id = 'soak' WHERE id = %s",
                    (me["org_id"],))
    tight_owner = signup(url, "tight")
    _, t = call(url, "POST", "/v1/api-keys",
                {"name": "soak tight", "permissions": ["*"]},
                token=tight_owner)
    for name, value in (("SOAK_JWT", owner), ("SOAK_KEY", k["key"]),
                        ("SOAK_KEY_ID", k2["id"]),
                        ("SOAK_USER_ID", member["id"]),
                        ("SOAK_TIGHT_KEY", t["key"]),
                        ("SOAK_ORG", me["org_id"])):
        print("%s=%s" % (name, shlex.quote(value)))


# The hostile bodies of bench/soak.lua, each sent once before the load,
# so that the report says what each one is answered.
HOSTILE = (
    ("invalid UTF-8", "POST", "/v1/api-keys", b'{"name":"\xff\xfe soak"}'),
    ("raw NUL", "POST", "/v1/api-keys", b'{"name":"a\x00b"}'),
    ("escaped NUL", "POST", "/v1/users",
     b'{"email":"a\\u0000@soak.test","password":"x\\u0000y"}'),
    ("100 KiB body", "POST", "/v1/api-keys",
     b'{"name":"' + b"x" * (100 * 1024) + b'"}'),
    ("not JSON, bad query", "POST", "/v1/api-keys?limit=%zz",
     b"{'name': 'x', /* */}"),
)


def probe(url, token):
    for what, method, path, body in HOSTILE:
        req = urllib.request.Request(url + path, data=body, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            code = json.loads(raw)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = "-"
        print("hostile body:   %-20s -> %d %s" % (what, status, code))


def now():
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT now()")
        print(cur.fetchone()[0].isoformat())


def pgconns():
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                    " current_database() AND pid <> pg_backend_pid()")
        print(cur.fetchone()[0])


def history_ids(t0):
    conn = db()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT request_id FROM latchkey.request_log"
                        " WHERE created_at >= %s", (t0,))
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


def check(out, t0, faults):
    answered = {}       # request id -> status
    statuses = {}
    no_id = {}
    dup = 0
    for path in sorted(glob.glob(os.path.join(out, "answers-[0-9]*-*.txt"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) != 2:
                    continue
                status, rid = int(parts[0]), parts[1]
                statuses[status] = statuses.get(status, 0) + 1
                if rid == "-":
                    no_id[status] = no_id.get(status, 0) + 1
                elif rid in answered:
                    dup += 1
                else:
                    answered[rid] = status
    total = sum(statuses.values())

    # Wait for the writer: until every answered id is in, or the history
    # has stopped growing (bounded).
    deadline = time.monotonic() + HISTORY_DEADLINE_S
    last_n, last_change = -1, time.monotonic()
    while True:
        rows = history_ids(t0)
        have = set(rows)
        missing = [r for r in answered if r not in have]
        if not missing or time.monotonic() > deadline:
            break
        if len(rows) != last_n:
            last_n, last_change = len(rows), time.monotonic()
        elif time.monotonic() - last_change > HISTORY_QUIET_S:
            break
        time.sleep(1)
    extra = len(have - set(answered))
    row_dups = len(rows) - len(have)

    fivexx = sum(n for s, n in statuses.items() if s >= 500)
    print("answers:        %d (%s)" % (total, ", ".join(
        "%d: %d" % (s, n) for s, n in sorted(statuses.items()))))
    print("5xx:            %d%s" % (fivexx, "" if not fivexx else " (" + ", ".join(
        "%d: %d" % (s, n) for s, n in sorted(statuses.items()) if s >= 500) + ")"))
    print("without an id:  %d%s" % (sum(no_id.values()), "" if not no_id else " (" + ", ".join(
        "%d: %d" % (s, n) for s, n in sorted(no_id.items())) + ")"))
    print("history:        %d rows since the start for %d answered ids:"
          " %d missing, %d extra (in flight when wrk stopped, or answers"
          " cut off), %d duplicate ids in history, %d repeated ids in answers"
          % (len(rows), len(answered), len(missing), extra, row_dups, dup))
    if missing:
        by = {}
        for r in missing:
            by[answered[r]] = by.get(answered[r], 0) + 1
        print("missing rows by answer status: " + ", ".join(
            "%d: %d" % (s, n) for s, n in sorted(by.items())))
        print("first missing ids: " + " ".join(missing[:5]))

    failed = []
    # An answered request keeps its row whatever process dies: judged
    # with faults too.  An outage may cost answers themselves (503 while
    # PostgreSQL is down, the web server's 502 without a request id for a
    # killed worker's requests): with faults those are reported, not
    # judged.
    if missing:
        failed.append("history rows missing")
    if not faults:
        if fivexx:
            failed.append("5xx answers")
        if no_id:
            failed.append("answers without a request id")
    if row_dups:
        failed.append("duplicate request ids in the history")
    return failed


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "setup":
        setup(sys.argv[2])
    elif cmd == "probe":
        probe(sys.argv[2], sys.argv[3])
    elif cmd == "now":
        now()
    elif cmd == "pgconns":
        pgconns()
    elif cmd == "check":
        failed = check(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        for f in failed:
            print("FAILED: " + f)
        sys.exit(1 if failed else 0)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
