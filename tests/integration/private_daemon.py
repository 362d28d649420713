"""A private latchkeyd for tests that need their own configuration.

The shared stack's config is fixed; tests of throttles, closed signup and
trusted proxies start a latchkeyd of their own on a free loopback port,
with the stack's database and secret plus their settings, and speak
FastCGI to it directly, which lets them set REMOTE_ADDR and
X-Forwarded-For as a web server or a proxy would.  The daemon is stopped
when the `with` block ends, also on failure.
"""
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import tempfile

import pytest

from helpers import (FCGI_BEGIN, FCGI_END, FCGI_PARAMS, FCGI_STDIN,
                     FCGI_STDOUT, built, clean_env, eventually, fcgi_params,
                     fcgi_record, stack_setting)

START_SECONDS = 30
STOP_SECONDS = 20


def random_address(first=198):
    """A random IPv4 address, so buckets never mix runs or tests."""
    return "%d.%d.%d.%d" % (first, 18 + secrets.randbelow(2),
                            secrets.randbelow(256),
                            1 + secrets.randbelow(254))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reply:
    def __init__(self, raw):
        head, _, body = raw.partition(b"\r\n\r\n")
        self.headers = {}
        self.status = 200
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if "status" in self.headers:
            self.status = int(self.headers["status"].split()[0])
        self.raw = body.decode()
        try:
            self.json = json.loads(self.raw) if self.raw else None
        except ValueError:
            self.json = None        # not JSON: GET /metrics

    @property
    def code(self):
        return (self.json or {}).get("error", {}).get("code")

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:300])


class Daemon:
    def __init__(self, settings):
        if not os.environ.get("LK_CONFIG"):
            pytest.skip("needs the harness (LK_BUILD_DIR, LK_CONFIG)")
        self.binary = built("latchkeyd")
        self.port = free_port()
        self.settings = dict(settings)
        self.proc = None
        self.dir = None

    def __enter__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="lk-private-")
        conf = os.path.join(self.dir.name, "latchkey.conf")
        lines = {
            "listen": "127.0.0.1:%d" % self.port,
            "workers": "1",
            "database_url": stack_setting("database_url"),
            "history_database_url": stack_setting("history_database_url"),
            "jwt_secret": stack_setting("jwt_secret"),
            "bcrypt_cost": stack_setting("bcrypt_cost"),
        }
        lines.update(self.settings)
        with open(conf, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            for k, v in lines.items():
                f.write("%s = %s\n" % (k, v))
        env = clean_env()
        # As the harness does: sanitizer reports land where script/test
        # looks for them after the suite.
        asan = os.environ.get("LK_ASAN_LOG")
        if asan:
            os.makedirs(asan, exist_ok=True)
            env["ASAN_OPTIONS"] = ("log_path=%s/asan:detect_leaks=1:"
                                   "halt_on_error=1:abort_on_error=0" % asan)
            env["UBSAN_OPTIONS"] = ("log_path=%s/ubsan:print_stacktrace=1:"
                                    "halt_on_error=1" % asan)
        self.log = open(os.path.join(self.dir.name, "latchkeyd.log"), "w+")
        self.proc = subprocess.Popen([self.binary, "-c", conf], env=env,
                                     stdout=self.log, stderr=self.log)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self):
        def ready():
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise AssertionError("latchkeyd exited: " + self.log.read())
            try:
                return self.request("GET", "/health").status == 200
            except OSError:
                return False
        assert eventually(ready, START_SECONDS), "latchkeyd did not start"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_SECONDS)
        self.proc = None
        if self.dir is not None:
            self.log.close()
            self.dir.cleanup()
            self.dir = None

    def __exit__(self, *exc):
        self.stop()

    def request(self, method, path, body=None, remote="127.0.0.1",
                headers=None):
        data = json.dumps(body).encode() if body is not None else b""
        env = {"REQUEST_METHOD": method, "REQUEST_URI": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": remote,
               "CONTENT_LENGTH": str(len(data))}
        if body is not None:
            env["CONTENT_TYPE"] = "application/json"
        for k, v in (headers or {}).items():
            env["HTTP_" + k.upper().replace("-", "_")] = v
        with socket.create_connection(("127.0.0.1", self.port), 10) as s:
            s.settimeout(30)
            s.sendall(fcgi_record(FCGI_BEGIN, b"\0\1\0\0\0\0\0\0") +
                      fcgi_record(FCGI_PARAMS, fcgi_params(env)) +
                      fcgi_record(FCGI_PARAMS, b"") +
                      (fcgi_record(FCGI_STDIN, data) if data else b"") +
                      fcgi_record(FCGI_STDIN, b""))
            buf, out = b"", b""
            while True:
                while len(buf) < 8:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise OSError("connection closed mid-reply")
                    buf += chunk
                _, kind, _, n, pad, _ = struct.unpack(">BBHHBB", buf[:8])
                while len(buf) < 8 + n + pad:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise OSError("connection closed mid-record")
                    buf += chunk
                content, buf = buf[8:8 + n], buf[8 + n + pad:]
                if kind == FCGI_STDOUT:
                    out += content
                elif kind == FCGI_END:
                    return Reply(out)
