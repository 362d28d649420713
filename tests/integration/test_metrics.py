"""GET /metrics: this host's counters in the Prometheus text format 0.0.4.

Each scrape is parsed as Prometheus would (every sample under a declared
family, labels well formed, no series twice, histograms cumulative), and
counters are compared between two scrapes around requests the test makes:
they grow by exactly those.  Tests run one at a time, so nothing else
talks to latchkeyd between two scrapes.  Access: a service key, or a
client address in metrics_allow (a private daemon, which can say which
address calls).
"""
import os
import re
import secrets
import signal

import pytest

from helpers import (Client, assert_error, eventually, harness,
                     history_row, make_key, master_pid, needs_harness,
                     needs_service_key, needs_upstream, query, reached,
                     service_headers, stack_setting, unique_email, workers)
from private_daemon import Daemon

TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAMILIES = {
    "latchkey_http_requests_total": "counter",
    "latchkey_http_request_duration_seconds": "histogram",
    "latchkey_identity_cache_hits_total": "counter",
    "latchkey_identity_cache_misses_total": "counter",
    "latchkey_rate_limit_refusals_total": "counter",
    "latchkey_history_records_queued_total": "counter",
    "latchkey_history_records_written_total": "counter",
    "latchkey_history_records_set_aside_total": "counter",
    "latchkey_history_records_dropped_total": "counter",
    "latchkey_database_errors_total": "counter",
    "latchkey_database_reconnects_total": "counter",
    "latchkey_workers_respawned_total": "counter",
    "latchkey_workers_alive": "gauge",
}
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        assert m, "bad labels: %r" % text
        assert m.group(1) not in labels, "label twice: %r" % text
        labels[m.group(1)] = m.group(2)
        pos = m.end()
        if pos < len(text):
            assert text[pos] == ",", "bad labels: %r" % text
            pos += 1
    return labels


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name


def parse(text):
    """{(name, frozenset(labels)): value}, checking the format: each
    sample after its family's TYPE (given once, with a HELP), sample
    names and labels well formed, no series twice, a final newline."""
    assert text.endswith("\n"), "no final newline"
    types, helps, samples, seen = {}, {}, {}, set()
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            assert NAME.match(name) and help_ and name not in helps, line
            helps[name] = help_
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in ("counter", "gauge", "histogram", "summary",
                            "untyped"), line
            assert name not in types and name not in seen, line
            types[name] = kind
        else:
            assert not line.startswith("#") and line, "stray %r" % line
            m = SAMPLE.match(line)
            assert m, "bad sample %r" % line
            name, labels = m.group(1), parse_labels(m.group(2) or "")
            family = family_of(name, types)
            assert family in types and family in helps, \
                "sample before its TYPE/HELP: %r" % line
            seen.add(family)
            key = (name, frozenset(labels.items()))
            assert key not in samples, "series twice: %r" % line
            value = float(m.group(3))
            assert value >= 0 and value == value, line
            samples[key] = value
    assert types == FAMILIES, types
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


def total(samples, name, **labels):
    """The sum of every series of name whose labels include labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items()
               if n == name and want <= ls)


def scrape(client):
    r = client.get("/metrics", headers=service_headers())
    assert r.status == 200, r
    assert r.header("Content-Type") == TYPE
    return parse(r.raw)


def scrape_or_none(client):
    """A scrape, or None while the web server answers otherwise (a
    killed worker's connection is a 500 from lighttpd for a moment)."""
    r = client.get("/metrics", headers=service_headers())
    return parse(r.raw) if r.status == 200 else None


def requests(samples, role, route, method, status):
    return value(samples, "latchkey_http_requests_total", role=role,
                 route=route, method=method, status=str(status))


H = "latchkey_http_request_duration_seconds"


# --- access ------------------------------------------------------------------

def test_an_anonymous_caller_gets_401_and_no_metrics(client):
    r = client.get("/metrics")
    assert_error(r, 401, "missing_credentials")
    assert "latchkey_" not in r.raw


@needs_service_key
def test_a_wrong_service_key_gets_401(client):
    r = client.get("/metrics", headers={"X-Internal-Key": "sk_" +
                                        secrets.token_hex(16)})
    assert_error(r, 401, "invalid_service_key")


def test_an_orgs_key_or_login_gets_403(client):
    s = client.signup()
    key = make_key(client, s["token"], ["*"])
    assert_error(client.get("/metrics", headers={"X-API-Key": key["key"]}),
                 403, "metrics_forbidden")
    assert_error(client.get("/metrics", token=s["token"]), 403,
                 "metrics_forbidden")
    # A bad credential is the 401 it is anywhere else.
    r = client.get("/metrics", token="not.a.token")
    assert r.status == 401 and r.code != "metrics_forbidden", r


@needs_service_key
def test_the_service_key_reads_the_metrics_in_either_header(client):
    for how in ("header", "bearer"):
        r = client.get("/metrics", headers=service_headers(how=how))
        assert r.status == 200, r
        assert r.header("Content-Type") == TYPE
        assert r.header("X-Request-Id")
        parse(r.raw)


# --- content -----------------------------------------------------------------

@needs_service_key
def test_histograms_are_cumulative_and_count_every_request(client):
    client.get("/v1/openapi.json")
    samples = scrape(client)
    for role in ("responder", "authorizer"):
        buckets = sorted(
            ((float(dict(ls)["le"]), v) for (n, ls), v in samples.items()
             if n == H + "_bucket" and dict(ls)["role"] == role),
            key=lambda b: b[0])
        assert len(buckets) == 14 and buckets[-1][0] == float("inf")
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), "buckets not monotone: %s" % counts
        assert value(samples, H + "_count", role=role) == counts[-1]
        assert total(samples, "latchkey_http_requests_total",
                     role=role) == counts[-1]
    assert value(samples, H + "_count", role="responder") > 0
    assert value(samples, H + "_sum", role="responder") > 0


@needs_service_key
def test_request_counters_grow_by_exactly_the_requests_made(client):
    s = client.signup()
    key = make_key(client, s["token"], ["*"])
    path = "/v1/nothing-here-" + secrets.token_hex(3)
    a = scrape(client)
    for _ in range(3):
        assert client.get("/v1/me", headers={"X-API-Key": key["key"]}) \
            .status == 200
    for _ in range(2):
        assert client.get(path).status == 404
    assert client.delete("/v1/me", headers={"X-API-Key": key["key"]}) \
        .status == 405
    b = scrape(client)

    def delta(*args):
        return requests(b, *args) - requests(a, *args)
    assert delta("responder", "/v1/me", "GET", 200) == 3
    assert delta("responder", "(unmatched)", "GET", 404) == 2
    assert delta("responder", "(unmatched)", "DELETE", 405) == 1
    # The first scrape is counted once it has been answered.
    assert delta("responder", "/metrics", "GET", 200) == 1
    made = 3 + 2 + 1 + 1
    grown = total(b, "latchkey_http_requests_total", role="responder") - \
        total(a, "latchkey_http_requests_total", role="responder")
    assert grown == made
    assert value(b, H + "_count", role="responder") - \
        value(a, H + "_count", role="responder") == made
    # Every request but the answered scrape left a history record.
    q = "latchkey_history_records_queued_total"
    assert value(b, q) - value(a, q) == made - 1
    assert value(b, "latchkey_identity_cache_hits_total") + \
        value(b, "latchkey_identity_cache_misses_total") - \
        value(a, "latchkey_identity_cache_hits_total") - \
        value(a, "latchkey_identity_cache_misses_total") >= 3


@needs_service_key
def test_history_records_written_catch_up_with_those_queued(client):
    client.get("/health")
    a = scrape(client)
    q, w, s = ("latchkey_history_records_queued_total",
               "latchkey_history_records_written_total",
               "latchkey_history_records_set_aside_total")

    # Every record queued so far is written or, refused alone by
    # PostgreSQL (earlier tests send such bytes), set aside.
    def caught_up():
        b = scrape(client)
        return value(b, w) + value(b, s) >= value(a, q) and b
    b = eventually(caught_up)
    assert b, "the writer did not catch up"
    assert value(b, s) == value(a, s)


@needs_service_key
def test_a_new_key_is_a_cache_miss_then_a_hit(client):
    s = client.signup()
    key = make_key(client, s["token"], ["*"])
    a = scrape(client)
    assert client.get("/v1/me", headers={"X-API-Key": key["key"]}) \
        .status == 200
    b = scrape(client)
    m = "latchkey_identity_cache_misses_total"
    assert value(b, m) - value(a, m) >= 1


@needs_service_key
@needs_upstream
def test_authorizer_decisions_are_counted_under_the_upstream_label(
        client, org):
    a = scrape(client)
    r = client.get("/demo/m" + secrets.token_hex(3),
                   headers={"X-API-Key": org["demo_key"]["key"]})
    assert reached(r)
    assert client.get("/demo/x").status == 401
    b = scrape(client)
    assert requests(b, "authorizer", "(upstream)", "GET", 200) - \
        requests(a, "authorizer", "(upstream)", "GET", 200) == 1
    assert requests(b, "authorizer", "(upstream)", "GET", 401) - \
        requests(a, "authorizer", "(upstream)", "GET", 401) == 1
    assert value(b, H + "_count", role="authorizer") - \
        value(a, H + "_count", role="authorizer") == 2


@needs_service_key
def test_each_rate_limit_refusal_is_counted(client):
    # The login throttle: login_rate_per_min per email, from an address
    # of this test's own.
    c = Client(client.name, client.base)
    email = unique_email("throttled")
    a = scrape(client)
    refused = 0
    for _ in range(int(stack_setting("login_rate_per_min", "10")) + 3):
        r = c.post("/v1/auth/login", {"email": email,
                                      "password": "wrong password"})
        assert r.status in (401, 429), r
        refused += r.status == 429
    b = scrape(client)
    assert refused >= 3
    name = "latchkey_rate_limit_refusals_total"
    assert value(b, name) - value(a, name) == refused
    assert requests(b, "responder", "/v1/auth/login", "POST", 429) - \
        requests(a, "responder", "/v1/auth/login", "POST", 429) == refused


@needs_service_key
@needs_harness
def test_workers_alive_is_the_number_running(client):
    samples = scrape(client)
    assert value(samples, "latchkey_workers_alive") == \
        len(workers(master_pid()))


@needs_service_key
def test_a_successful_scrape_is_not_history_but_a_refused_one_is(
        client, db):
    ok = client.get("/metrics", headers=service_headers())
    refused = client.get("/metrics")
    assert (ok.status, refused.status) == (200, 401)
    # The writer keeps the ring's order: once the later row is there, an
    # earlier one would be too.
    assert history_row(db, refused.header("X-Request-Id"),
                       "status, org_id") == (401, None)
    assert query(db, "SELECT count(*) FROM latchkey.request_log "
                 "WHERE request_id = %s", ok.header("X-Request-Id")) == \
        [(0,)]


# --- metrics_allow, through a private daemon ---------------------------------

def test_metrics_allow_admits_listed_client_addresses_only():
    with Daemon({"metrics_allow": "192.0.2.0/24, 2001:db8::/32",
                 "trusted_proxies": "10.9.0.1"}) as d:
        r = d.request("GET", "/metrics", remote="192.0.2.7")
        assert r.status == 200, r
        assert r.headers["content-type"] == TYPE
        samples = parse(r.raw)
        assert value(samples, "latchkey_workers_alive") == 1
        r = d.request("GET", "/metrics", remote="2001:db8::5")
        assert r.status == 200, r
        r = d.request("GET", "/metrics", remote="198.51.100.7")
        assert (r.status, r.code) == (401, "missing_credentials"), r
        # The client address is the throttles': X-Forwarded-For counts
        # only from a trusted proxy.
        r = d.request("GET", "/metrics", remote="10.9.0.1",
                      headers={"X-Forwarded-For": "192.0.2.9"})
        assert r.status == 200, r
        r = d.request("GET", "/metrics", remote="198.51.100.7",
                      headers={"X-Forwarded-For": "192.0.2.9"})
        assert (r.status, r.code) == (401, "missing_credentials"), r
        # An allowed address sending a wrong service key is refused.
        r = d.request("GET", "/metrics", remote="192.0.2.7",
                      headers={"X-Internal-Key": "nope"})
        assert (r.status, r.code) == (401, "invalid_service_key"), r


def test_without_metrics_allow_even_loopback_needs_the_service_key():
    with Daemon({}) as d:
        r = d.request("GET", "/metrics", remote="127.0.0.1")
        assert (r.status, r.code) == (401, "missing_credentials"), r


# --- the processes -----------------------------------------------------------

@needs_service_key
@needs_harness
@pytest.mark.disruptive
@pytest.mark.usefixtures("restores_stack")
def test_a_killed_worker_is_counted_as_respawned(lighttpd):
    a = scrape(lighttpd)
    master = master_pid()
    n = len(workers(master))
    victim = workers(master)[0]
    os.kill(victim, signal.SIGKILL)

    def respawned():
        b = scrape_or_none(lighttpd)
        return b is not None and (
            value(b, "latchkey_workers_respawned_total") -
            value(a, "latchkey_workers_respawned_total") == 1 and
            value(b, "latchkey_workers_alive") == n) and b
    assert eventually(respawned, 30), "no respawn counted"
    assert victim not in workers(master)


@needs_service_key
@needs_harness
@pytest.mark.disruptive
@pytest.mark.usefixtures("restores_stack")
def test_a_database_outage_counts_errors_then_reconnects(lighttpd):
    s = lighttpd.signup()
    a = scrape(lighttpd)
    harness("pg-stop")
    try:
        r = lighttpd.get("/v1/me", token=s["token"])
        assert_error(r, 503, "database_unavailable")
        mid = scrape(lighttpd)      # needs no database
        assert value(mid, "latchkey_database_errors_total") > \
            value(a, "latchkey_database_errors_total")
    finally:
        harness("pg-start")

    def reconnected():
        lighttpd.get("/v1/me", token=s["token"])
        b = scrape_or_none(lighttpd)
        return b is not None and \
            value(b, "latchkey_database_reconnects_total") > \
            value(a, "latchkey_database_reconnects_total") and b
    assert eventually(reconnected, 30), "no reconnect counted"

    # Leave no worker behind in its back-off for the next test: each
    # finds its connection gone only when next used (/health asks the
    # database and has no rate limit).
    def all_up():
        return all(lighttpd.get("/health").status == 200
                   for _ in range(20))
    assert eventually(all_up, 60), "a worker did not reconnect"
