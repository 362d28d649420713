"""fcgi_get.py PORT PATH: one FastCGI GET to 127.0.0.1:PORT with an API
key, so that latchkeyd must ask its database; prints the Status header of
the answer (tests/packaging/run, the syscall check)."""
import socket
import struct
import sys


def record(kind, content):
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content


def pair(k, v):
    return bytes([len(k), len(v)]) + k + v


def main():
    port, path = int(sys.argv[1]), sys.argv[2].encode()
    env = pair(b"REQUEST_METHOD", b"GET") + pair(b"REQUEST_URI", path) + \
        pair(b"SERVER_PROTOCOL", b"HTTP/1.1") + \
        pair(b"REMOTE_ADDR", b"127.0.0.1") + \
        pair(b"HTTP_X_API_KEY", b"lk_live_packagingcheck")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(record(1, struct.pack(">HB5x", 1, 0)) +
                  record(4, env) + record(4, b"") + record(5, b""))
        data = b""
        while len(data) < 1 << 20:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    for line in data.split(b"\r\n"):
        i = line.find(b"Status: ")
        if i >= 0:
            print(line[i:].decode("ascii", "replace"))
            return 0
    print("no Status in the answer")
    return 1


if __name__ == "__main__":
    sys.exit(main())
