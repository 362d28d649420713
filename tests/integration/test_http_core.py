"""The HTTP conventions every endpoint shares: ids, errors, limits."""
import json
import re

from helpers import assert_error, query, unique_email

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                     r"[0-9a-f]{12}$")


def test_health_reports_the_database(client):
    r = client.get("/health")
    assert r.status == 200, r
    assert r.json == {"status": "ok", "database": "ok"}
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert UUID_RE.match(r.header("X-Request-Id"))


def test_a_sane_incoming_request_id_is_kept(client):
    r = client.get("/health", headers={"X-Request-Id": "abc-123.def_4"})
    assert r.header("X-Request-Id") == "abc-123.def_4"


def test_an_insane_incoming_request_id_is_replaced(client):
    for bad in ["has space", "x" * 65, "semi;colon", "<script>"]:
        r = client.get("/health", headers={"X-Request-Id": bad})
        assert UUID_RE.match(r.header("X-Request-Id")), bad


def test_an_unknown_path_is_404(client):
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/"), 404, "not_found")


def test_a_wrong_method_is_405_with_allow(client):
    r = client.request("PUT", "/v1/users")
    assert_error(r, 405, "method_not_allowed")
    assert r.header("Allow") == "GET, POST"
    r = client.request("DELETE", "/v1/auth/login")
    assert_error(r, 405, "method_not_allowed")
    assert r.header("Allow") == "POST"


def test_a_malformed_id_is_404_not_500(client):
    s = client.signup()
    for bad in ["nope", "1", "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6",
                "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6bz", "%27%20OR%201=1"]:
        r = client.get("/v1/users/" + bad, token=s["token"])
        assert_error(r, 404, "not_found")


def test_a_body_over_the_limit_is_413(client):
    big = json.dumps({"email": "x@example.test",
                      "password": "p" * (70 * 1024)})
    r = client.post("/v1/auth/login", raw=big)
    assert_error(r, 413, "body_too_large")


def test_a_body_that_is_not_json_typed_is_415(client):
    r = client.post("/v1/auth/login", raw="email=a&password=b",
                    content_type="application/x-www-form-urlencoded")
    assert_error(r, 415, "unsupported_media_type")
    r = client.post("/v1/auth/login", raw='{"email":"a@b.c"}',
                    content_type=None)
    assert_error(r, 415, "unsupported_media_type")


def test_json_with_a_charset_is_accepted(client):
    r = client.post("/v1/auth/login", raw='{"email":"x@y.z","password":"p"}',
                    content_type="application/json; charset=utf-8")
    assert_error(r, 401, "invalid_credentials")


def test_malformed_json_is_400(client):
    for raw in ['{"email": ', "[1, 2]", '"str"', "", "{} {}", "nul",
                '{"a":' * 40 + "1" + "}" * 40]:
        r = client.post("/v1/auth/login", raw=raw)
        assert_error(r, 400, "malformed_json")


def test_validation_failures_are_422_with_fields(client):
    r = client.post("/v1/auth/signup", {"email": "not-an-email",
                                        "password": "short", "extra": 1})
    assert_error(r, 422, "validation_failed")
    f = r.json["error"]["fields"]
    assert set(f) == {"org_name", "email", "password", "extra"}, f
    r = client.post("/v1/auth/signup", {"org_name": 5, "email": [],
                                        "password": None})
    assert_error(r, 422, "validation_failed")
    assert set(r.json["error"]["fields"]) == {"org_name", "email",
                                              "password"}


def test_a_password_over_72_bytes_is_refused_not_truncated(client, db):
    email = unique_email()
    r = client.post("/v1/auth/signup", {"org_name": "x", "email": email,
                                        "password": "p" * 73})
    assert_error(r, 422, "validation_failed")
    assert "72" in r.json["error"]["fields"]["password"][0]
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE email = %s",
                 email) == [(0,)]
    r = client.post("/v1/auth/signup", {"org_name": "x", "email": email,
                                        "password": "p" * 72})
    assert r.status == 201, r


def test_every_response_is_json_even_405_and_404(client):
    for r in [client.get("/v1/zzz"), client.request("PATCH", "/health")]:
        assert r.header("Content-Type").startswith("application/json")
        assert r.json is not None
