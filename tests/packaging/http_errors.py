"""http_errors.py PORT: the errors an Apache httpd on 127.0.0.1:PORT makes
itself (latchkeyd unreachable behind it), each checked to be JSON like
latchkey's (tests/packaging/run, the installed Apache snippets).  Prints
one line per problem; prints nothing when all is well."""
import json
import socket
import sys

JSON = "application/json; charset=utf-8"

# (what, the request's bytes, the status Apache must answer, the code)
CASES = [
    ("latchkeyd down", b"GET /health HTTP/1.1\r\nHost: x\r\n"
     b"Connection: close\r\n\r\n", 503, "service_unavailable"),
    ("a path outside latchkey", b"GET /latchkey-errors/none HTTP/1.1\r\n"
     b"Host: x\r\nConnection: close\r\n\r\n", 404, "not_found"),
    ("a malformed request line", b"GARBAGE\r\n\r\n", 400, "bad_request"),
    ("a malformed header", b"GET /health HTTP/1.1\r\nHost: x\r\n"
     b"No colon here\r\n\r\n", 400, "bad_request"),
    # Outside latchkey: mod_proxy_fcgi would try latchkeyd (503) before
    # reading the body.
    ("a body over LimitRequestBody", b"POST /latchkey-errors/none HTTP/1.1\r\n"
     b"Host: x\r\nContent-Length: 4000000000\r\nConnection: close\r\n\r\n",
     413, "body_too_large"),
    ("a request line over LimitRequestLine", b"GET /v1/me?x=" +
     b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     414, "uri_too_long"),
]


def ask(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        for chunk in iter(lambda: s.recv(65536), b""):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        out = b""
        while body:
            size, _, rest = body.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            out += rest[:n]
            body = rest[n + 2:]
        body = out
    return int(lines[0].split()[1]), headers, body


def main():
    port = int(sys.argv[1])
    for what, data, status, code in CASES:
        try:
            got, headers, body = ask(port, data)
        except (OSError, ValueError, IndexError) as e:
            print("%s: no answer (%s)" % (what, e))
            continue
        try:
            doc = json.loads(body)
            ok = (got == status and doc["error"]["code"] == code and
                  doc["error"]["message"] and
                  headers.get("content-type") == JSON)
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            print("%s: want %d %s in JSON, got %d %s %r" % (
                what, status, code, got, headers.get("content-type"),
                body[:200]))


if __name__ == "__main__":
    main()
