"""GET /v1/openapi.json: the API's reference, served without a credential."""
import json
import os

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "docs", "openapi.json")


def test_the_openapi_document_needs_no_credential(client):
    r = client.get("/v1/openapi.json")
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert r.header("X-Request-Id")
    assert r.json is not None, r
    assert r.json["openapi"] == "3.1.0"
    assert r.json["info"]["title"] == "latchkey"
    assert {"get", "post"} <= set(r.json["paths"]["/v1/api-keys"])
    assert r.json["paths"]["/v1/openapi.json"]["get"]["security"] == []


def test_the_served_document_is_docs_openapi_json(client):
    with open(DOC, encoding="utf-8") as f:
        want = json.load(f)
    r = client.get("/v1/openapi.json")
    assert r.status == 200, r
    assert r.json == want


def test_the_openapi_document_takes_only_get(client):
    r = client.post("/v1/openapi.json", {})
    assert r.status == 405, r
    assert r.header("Allow") == "GET"
