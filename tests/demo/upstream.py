#!/usr/bin/python3
"""The demo upstream: a stand-in for the API that latchkey guards.

    upstream.py PORT [HITS_FILE]

An HTTP server on 127.0.0.1:PORT (Debian's python3, standard library only)
that answers every method on every path with 200 and a JSON object echoing
the identity the web server in front of it passed on in request headers:

    {"method": "GET", "path": "/demo/hello", "query": "y=1",
     "identity": {"org_id": ..., "mode": ..., "key_id": ..., "user_id": ...,
                  "permissions": ["demo.read"], "request_id": ...,
                  "credential_kind": ..., "resource_type": ...,
                  "resource_id": ...},
     "headers": {"X-Org-Id": ..., "X-Latchkey-Mode": ..., ...},
     "repeated": [], "lookalikes": [],
     "received": [["Host", "..."], ["X-Org-Id", "..."], ...],
     "raw_query": "y=1"}

"headers" holds the raw value of each identity header (null when absent;
several occurrences are joined with ", "), "identity" the same values
parsed (permissions split on commas), and "repeated" the names of identity
headers that arrived more than once, which a correct web server config never
lets happen.  "lookalikes" lists headers received whose names differ from an
identity header only by "_" for "-" (X_Org_Id): an upstream that maps names
the CGI way would take them for the real ones, so none should arrive.
"received" is every request header as it arrived (name and value, in
order, repeats included) and "raw_query" the query string exactly as sent
(no decoding, "" when there is none), so tests can prove that no secret
(X-API-Key, X-Internal-Key, a latchkey Authorization, ?accesskey=,
?token=) reaches an upstream.  This is a test stand-in: a real upstream
would not echo what it received.

With HITS_FILE, every request appends one line "METHOD PATH" to that file
before it is answered, so a test can tell whether a request got through.

The web server in front (lighttpd-conf/, apache-conf/) asks latchkey in the
FastCGI AUTHORIZER role first, removes any identity header the client sent,
and sets these from the authorizer's Variable-LK_* answers.  An upstream
must trust them only because it listens on loopback behind that server.
"""
import http.server
import json
import os
import sys
import threading
import urllib.parse

# (header, identity field) in the order they are echoed.
IDENTITY_HEADERS = (
    ("X-Org-Id", "org_id"),
    ("X-Latchkey-Mode", "mode"),
    ("X-Latchkey-Key-Id", "key_id"),
    ("X-Latchkey-User-Id", "user_id"),
    ("X-Latchkey-Permissions", "permissions"),
    ("X-Latchkey-Request-Id", "request_id"),
    ("X-Latchkey-Credential-Kind", "credential_kind"),
    ("X-Latchkey-Resource-Type", "resource_type"),
    ("X-Latchkey-Resource-Id", "resource_id"),
)

# Bodies are read (so that keep-alive stays in sync) but never stored.
MAX_BODY = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "latchkey-demo-upstream"
    sys_version = ""

    def handle_one_request(self):
        # Every method, without a do_METHOD per verb.
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self.answer()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True

    def answer(self):
        length = self.headers.get("Content-Length")
        try:
            n = int(length) if length else 0
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            self.send_error(413 if n > MAX_BODY else 400)
            return
        if n:
            self.rfile.read(n)
        split = urllib.parse.urlsplit(self.path)
        self.server.record_hit(self.command, split.path)

        raw, identity, repeated = {}, {}, []
        names = {n.lower() for n, _ in IDENTITY_HEADERS}
        lookalikes = sorted({k for k in self.headers.keys() if "_" in k and
                             k.lower().replace("_", "-") in names})
        for name, field in IDENTITY_HEADERS:
            values = self.headers.get_all(name) or []
            if len(values) > 1:
                repeated.append(name)
            value = ", ".join(values) if values else None
            raw[name] = value
            if field == "permissions" and value is not None:
                identity[field] = [p.strip() for p in value.split(",")
                                   if p.strip()]
            else:
                identity[field] = value
        raw_query = self.path.split("?", 1)[1] if "?" in self.path else ""
        body = json.dumps({
            "method": self.command,
            "path": split.path,
            "query": split.query,
            "identity": identity,
            "headers": raw,
            "repeated": repeated,
            "lookalikes": lookalikes,
            "received": [[k, v] for k, v in self.headers.items()],
            "raw_query": raw_query,
        }, indent=1).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, fmt, *args):
        # One line per request on stderr (the harness's demo log), without
        # the query string, which may carry ?accesskey= or ?token=.
        if args and isinstance(args[0], str) and "?" in args[0]:
            args = (args[0].split("?", 1)[0] + " ...",) + args[1:]
        sys.stderr.write("%s - %s\n" % (self.log_date_time_string(),
                                        fmt % args))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, hits):
        super().__init__(("127.0.0.1", port), Handler)
        self.hits = hits
        self.hits_lock = threading.Lock()

    def record_hit(self, method, path):
        if not self.hits:
            return
        line = ("%s %s\n" % (method, path)).encode("utf-8", "replace")
        with self.hits_lock:
            fd = os.open(self.hits, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                         0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def main():
    if len(sys.argv) not in (2, 3) or not sys.argv[1].isdigit():
        sys.stderr.write("usage: upstream.py PORT [HITS_FILE]\n")
        return 2
    server = Server(int(sys.argv[1]), sys.argv[2] if len(sys.argv) == 3
                    else None)
    sys.stderr.write("demo upstream: listening on 127.0.0.1:%s\n" %
                     sys.argv[1])
    sys.stderr.flush()
    # SIGTERM (the harness's stop) ends the process with Python's default
    # handler; nothing needs flushing.
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
