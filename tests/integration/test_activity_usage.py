"""Audit events and usage counts."""
from helpers import (MEMBER_PASSWORD, assert_error, eventually, make_key,
                     unique_email)


def activity(client, token, qs=""):
    r = client.get("/v1/activity" + qs, token=token)
    assert r.status == 200, r
    return r.json["data"]


def test_security_changes_are_audited(client):
    s = client.signup()
    t = s["token"]
    r = client.post("/v1/users", {"email": unique_email(), "password":
                    MEMBER_PASSWORD, "role": "member"}, token=t)
    assert r.status == 201, r
    u = r.json
    for change in ({"role": "viewer"}, {"disabled": True}):
        r = client.patch("/v1/users/" + u["id"], change, token=t)
        assert r.status == 200, r
    k = make_key(client, t, [], name="a")
    r = client.patch("/v1/api-keys/" + k["id"], {"name": "b"}, token=t)
    assert r.status == 200, r
    r = client.post("/v1/api-keys/" + k["id"] + "/roll", token=t)
    assert r.status == 200, r
    assert client.delete("/v1/api-keys/" + k["id"], token=t).status == 204
    assert_error(client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": "wrong password"}),
        401, "invalid_credentials")
    assert client.post("/v1/auth/login", {
        "email": s["user"]["email"], "password": s["password"]}).status == 200
    want = {"org.created", "user.created", "user.role_changed",
            "user.disabled", "api_key.created", "api_key.changed",
            "api_key.rolled", "api_key.revoked", "login.failed",
            "login.succeeded"}
    got = eventually(lambda: (lambda a: a if want <= a else None)(
        {e["action"] for e in activity(client, t)}))
    assert got, {e["action"] for e in activity(client, t)}
    events = activity(client, t, "?action=api_key.revoked")
    assert len(events) == 1
    e = events[0]
    assert e["target"] == {"type": "api_key", "id": k["id"]}
    assert e["actor"]["kind"] == "user" and e["actor"]["id"] == s["user"]["id"]
    failed = activity(client, t, "?action=login.failed")[0]
    assert failed["detail"]["reason"] == "wrong_password"
    assert failed["client_ip"] == client.source
    # Nothing secret is in the trail.
    r = client.get("/v1/activity", token=t)
    assert "wrong password" not in r.raw and s["password"] not in r.raw


def test_a_permission_denial_is_audited(client):
    s = client.signup()
    k = make_key(client, s["token"], [], name="n")
    assert_error(client.get("/v1/users", token=k["key"]), 403,
                 "permission_denied")
    ev = eventually(lambda: activity(client, s["token"],
                                   "?action=permission.denied"))
    assert ev and ev[0]["detail"]["permission"] == "users.read"
    assert ev[0]["actor"] == {"kind": "api_key", "id": k["id"],
                              "user_id": s["user"]["id"]}


def test_activity_is_org_scoped_and_needs_its_permission(client):
    a = client.signup()
    b = client.signup()
    mine = {e["id"] for e in activity(client, a["token"])}
    theirs = {e["id"] for e in activity(client, b["token"])}
    assert mine and theirs and not mine & theirs
    k = make_key(client, a["token"], ["keys.read"], name="n")
    assert_error(client.get("/v1/activity", token=k["key"]), 403,
                 "permission_denied")


def test_usage_counts_requests_and_shows_the_limits(client):
    s = client.signup()
    key = s["api_key"]["key"]
    for path in ["/v1/me", "/v1/me", "/v1/nothing/here"]:
        client.get(path, headers={"X-API-Key": key})

    def counted():
        r = client.get("/v1/usage?group_by=status",
                       headers={"X-API-Key": key})
        assert r.status == 200, r
        c = {d["status"]: d["count"] for d in r.json["data"]}
        return r.json if c.get("200", 0) >= 2 else None
    u = eventually(counted)
    assert u, "usage never counted the requests"
    assert u["mode"] == "test" and u["plan"] == "default"
    assert u["rate_limit"]["credential"]["limit"] == 60
    assert 0 <= u["rate_limit"]["credential"]["remaining"] < 60
    assert u["rate_limit"]["org"]["limit"] == 1000
    r = client.get("/v1/usage?group_by=key", headers={"X-API-Key": key})
    assert s["api_key"]["id"] in [d["key"] for d in r.json["data"]]
    r = client.get("/v1/usage?group_by=day", headers={"X-API-Key": key})
    assert len(r.json["data"]) >= 1 and r.json["data"][0]["count"] >= 2


def test_usage_validates_its_parameters(client):
    s = client.signup()
    for qs in ["?group_by=week", "?since=nope",
               "?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
               "?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z"]:
        assert_error(client.get("/v1/usage" + qs, token=s["token"]), 400,
                     "invalid_parameter")
