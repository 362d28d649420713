"""Authority inside one org over API keys and directs (issue 9, part 1).

A caller acts on a key only if it dominates it (src/lib/authority.c); a key
dies with its ancestors; a direct reaches no further than its creator
and dies with it.  Each attack the issue found has a test named after it.
"""
import secrets

import pytest

from helpers import (add_user, assert_error, boot, ctl, eventually,
                     eventually_status, make_direct, make_key,
                     needs_service_key, needs_upstream, query, reached,
                     service_headers)


def stored(db, key_id):
    """What the database holds of a key: hash, name, revocation."""
    return query(db, "SELECT encode(key_hash, 'hex'), name, "
                 "revoked_at IS NOT NULL FROM latchkey.api_keys "
                 "WHERE id = %s", key_id)[0]


def me(client, cred):
    return client.get("/v1/me", token=cred)


def roll(client, key_id, cred):
    return client.post("/v1/api-keys/%s/roll" % key_id, token=cred)


def patch(client, key_id, cred, body=None):
    return client.patch("/v1/api-keys/" + key_id, body or {"name": "pwned"},
                        token=cred)


def revoke(client, key_id, cred):
    return client.delete("/v1/api-keys/" + key_id, token=cred)


def assert_out_of_reach(client, db, key, cred, *phrases):
    """Roll, patch and revoke of key by cred are each 403
    key_out_of_reach, and the key is left exactly as it was."""
    before = stored(db, key["id"])
    for r in (roll(client, key["id"], cred), patch(client, key["id"], cred),
              revoke(client, key["id"], cred)):
        assert_error(r, 403, "key_out_of_reach")
        assert "key" not in r.json
        for p in phrases:
            assert p in r.json["error"]["message"], r
    assert stored(db, key["id"]) == before
    assert me(client, key["key"]).status == 200


def audit(db, key_id, action):
    return query(db, "SELECT detail FROM latchkey.audit_events WHERE "
                 "target_id = %s AND action = %s", key_id, action)


# --- 1. one authority rule ------------------------------------------------

def test_a_member_cannot_roll_the_owners_key_and_become_owner(client, db):
    s = client.signup()
    owner_key = make_key(client, s["token"])
    _, mt = add_user(client, s["token"], "member")
    # The member sees the key in the list (keys.read)...
    r = client.get("/v1/api-keys", token=mt)
    assert owner_key["id"] in [k["id"] for k in r.json["data"]], r
    r = client.get("/v1/api-keys/" + owner_key["id"], token=mt)
    assert r.status == 200 and "key" not in r.json, r
    # ...but may not take it over, and so cannot mint an owner.
    assert_out_of_reach(client, db, owner_key, mt, "(*)")
    assert audit(db, owner_key["id"], "api_key.rolled") == []
    denied = eventually(lambda: (lambda rows: rows if len(rows) == 3
                                 else None)(audit(db, owner_key["id"],
                                                  "api_key.denied")))
    assert denied, "the denials were not recorded"
    assert {d[0]["operation"] for d in denied} == {"roll", "change",
                                                   "revoke"}
    assert {d[0]["reason"] for d in denied} == {"holds_more"}
    assert query(db, "SELECT count(*) FROM latchkey.users WHERE "
                 "org_id = %s AND role = 'owner'", s["org"]["id"]) == [(1,)]


def test_an_admin_cannot_roll_patch_or_revoke_an_owners_key(client, db):
    s = client.signup()
    owner_key = make_key(client, s["token"], ["keys.read"])
    _, at = add_user(client, s["token"], "admin")
    assert_out_of_reach(client, db, owner_key, at,
                        "ranks as owner, above you (admin)")


def test_a_keys_write_only_key_cannot_roll_patch_or_revoke_a_star_key(
        client, db):
    s = client.signup()
    star = make_key(client, s["token"])
    writer = make_key(client, s["token"], ["keys.write"])
    assert_out_of_reach(client, db, star, writer["key"], "(*)")


def test_a_member_can_roll_and_revoke_their_own_and_a_lower_ones_keys(
        client, db):
    s = client.signup()
    _, at = add_user(client, s["token"], "member")
    peer, bt = add_user(client, s["token"], "member")
    low, ct = add_user(client, s["token"], "member")
    own = make_key(client, at, ["keys.read", "keys.write"])
    r = roll(client, own["id"], at)
    assert r.status == 200 and r.json["key"] != own["key"], r
    assert me(client, r.json["key"]).status == 200
    # A peer's narrower key, and a key made by a user since demoted.
    narrow = make_key(client, bt, ["keys.read"])
    r = roll(client, narrow["id"], at)
    assert r.status == 200, r
    r = patch(client, narrow["id"], at, {"name": "renamed"})
    assert r.status == 200 and r.json["name"] == "renamed", r
    lowkey = make_key(client, ct, ["keys.read"])
    assert client.patch("/v1/users/" + low["id"], {"role": "viewer"},
                        token=s["token"]).status == 200
    assert revoke(client, lowkey["id"], at).status == 204
    assert revoke(client, own["id"], at).status == 204
    assert stored(db, lowkey["id"])[2] is True
    assert stored(db, own["id"])[2] is True
    # Wider than the member, though made by a peer: out of reach.
    wide = make_key(client, bt, ["keys.read", "requests.read"])
    _, vt = add_user(client, s["token"], "viewer")
    assert_error(roll(client, wide["id"], vt), 403, "permission_denied")
    narrower, nt = add_user(client, s["token"], "member")
    nk = make_key(client, nt, ["keys.write"])
    assert_out_of_reach(client, db, wide, nk["key"], "keys.read",
                        "requests.read")
    assert peer["role"] == "member"


def test_an_ancestor_key_reaches_a_descendant_wider_than_itself(client, db):
    s = client.signup()
    a = make_key(client, s["token"], ["keys.read", "keys.write"])
    b = make_key(client, a["key"], ["keys.read", "keys.write"])
    c = make_key(client, b["key"], ["keys.read"])
    # Narrowed afterwards, a still rules the keys it begot.
    assert patch(client, a["id"], s["token"],
                 {"permissions": ["keys.write"]}).status == 200
    r = eventually_status(lambda: client.get("/v1/api-keys", token=a["key"]),
                          403)
    assert_error(r, 403, "permission_denied")
    r = roll(client, c["id"], a["key"])
    assert r.status == 200, r
    # b made c: it may revoke it; a sibling line may not.
    other = make_key(client, s["token"], ["keys.write"])
    assert_out_of_reach(client, db, dict(c, key=r.json["key"]),
                        other["key"], "keys.read")
    assert revoke(client, c["id"], b["key"]).status == 204


def test_another_orgs_key_stays_not_found_for_every_change(client, db):
    a = client.signup()
    b = client.signup()
    kb = make_key(client, b["token"])
    before = stored(db, kb["id"])
    for r in (roll(client, kb["id"], a["token"]),
              patch(client, kb["id"], a["token"]),
              revoke(client, kb["id"], a["token"])):
        assert_error(r, 404, "not_found")
    assert stored(db, kb["id"]) == before


@needs_service_key
def test_a_service_key_rules_every_key_and_its_line_ranks_as_owner(client,
                                                                   db):
    s = client.signup()
    svc = service_headers(s["org"]["id"])
    owner_key = make_key(client, s["token"])
    r = client.post("/v1/api-keys/%s/roll" % owner_key["id"], headers=svc)
    assert r.status == 200, r
    r = client.post("/v1/api-keys", {"name": "svc", "permissions": [
        "keys.read", "keys.write", "directs.write"]}, headers=svc)
    assert r.status == 201, r
    made = r.json
    # A key the service's key made works: no user stands behind either.
    child = make_key(client, made["key"], None)
    assert me(client, child["key"]).json["permissions"] == [
        "directs.write", "keys.read", "keys.write"]
    assert query(db, "SELECT created_by_service FROM latchkey.api_keys "
                 "WHERE id = %s", child["id"]) == [(True,)]
    # Such keys rank as an owner's: an admin cannot take them over.
    _, at = add_user(client, s["token"], "admin")
    assert_out_of_reach(client, db, child, at, "ranks as owner")
    # Their directs, and the service's own, boot.
    for cred, headers in ((child["key"], None), (None, svc)):
        d = make_direct(client, cred, "call", "c1", headers=headers)
        assert boot(client, d).status == 200


# --- 2. default permissions -------------------------------------------------

def test_a_key_made_without_permissions_gets_its_creators_own(client):
    s = client.signup()
    r = client.post("/v1/api-keys", {"name": "My Integration",
                                     "mode": "live"}, token=s["token"])
    assert r.status == 201, r
    assert r.json["permissions"] == ["*"] and r.json["mode"] == "live"
    assert me(client, r.json["key"]).json["permissions"] == ["*"]
    # A member's key is "*" bounded by the member's role.
    _, mt = add_user(client, s["token"], "member")
    mk = make_key(client, mt, None)
    assert mk["permissions"] == ["*"]
    roles = {x["name"]: x["permissions"] for x in
             client.get("/v1/roles", token=s["token"]).json["data"]}
    assert sorted(me(client, mk["key"]).json["permissions"]) == \
        sorted(roles["member"])
    # A key's key gets the making key's own set, not its user's role.
    k = make_key(client, s["token"], ["keys.write", "keys.read"])
    kk = make_key(client, k["key"], None)
    assert kk["permissions"] == ["keys.read", "keys.write"]
    assert me(client, kk["key"]).json["permissions"] == ["keys.read",
                                                        "keys.write"]
    # null is absence too; an empty list stays empty.
    r = client.post("/v1/api-keys", {"name": "n", "permissions": None},
                    token=s["token"])
    assert r.status == 201 and r.json["permissions"] == ["*"], r
    r = client.post("/v1/api-keys", {"name": "e", "permissions": []},
                    token=s["token"])
    assert r.status == 201 and r.json["permissions"] == [], r


# --- 3. key lineage ----------------------------------------------------------

def test_revoking_a_key_revokes_its_line_with_one_event_each(client, db):
    s = client.signup()
    a = make_key(client, s["token"], ["keys.read", "keys.write"])
    b = make_key(client, a["key"], None)
    c = make_key(client, b["key"], None)
    d = make_key(client, a["key"], ["keys.read"])
    gone = make_key(client, c["key"], None)
    assert revoke(client, gone["id"], c["key"]).status == 204
    bystander = make_key(client, s["token"], ["keys.read"])
    assert revoke(client, a["id"], s["token"]).status == 204
    for k in (a, b, c, d, gone):
        assert stored(db, k["id"])[2] is True, k
        assert_error(me(client, k["key"]), 401, "revoked_api_key")
    assert stored(db, bystander["id"])[2] is False
    assert me(client, bystander["key"]).status == 200
    assert audit(db, a["id"], "api_key.revoked") == [
        ({"descendants_revoked": 3},)]
    for k in (b, c, d):
        assert audit(db, k["id"], "api_key.revoked") == [
            ({"revoked_with_ancestor": a["id"]},)], k
    # Revoked before, by its own maker: its one event stays the only one.
    assert audit(db, gone["id"], "api_key.revoked") == [({},)]


def test_a_line_stops_when_an_ancestor_is_revoked_behind_latchkeys_back(
        client, db):
    s = client.signup()
    a = make_key(client, s["token"], ["keys.read", "keys.write"])
    b = make_key(client, a["key"], None)
    c = make_key(client, b["key"], None)
    assert me(client, c["key"]).status == 200          # cached
    query(db, "UPDATE latchkey.api_keys SET revoked_at = now() "
          "WHERE id = %s", a["id"])
    for k in (b, c):
        assert_error(eventually_status(lambda: me(client, k["key"]), 401), 401,
                     "api_key_ancestor_revoked")
        assert stored(db, k["id"])[2] is False


def test_a_child_stops_when_its_parent_expires(client, db):
    s = client.signup()
    a = make_key(client, s["token"], ["keys.read", "keys.write"],
                 expires_in=3600)
    b = make_key(client, a["key"], None)
    c = make_key(client, b["key"], None)
    assert me(client, c["key"]).status == 200
    query(db, "UPDATE latchkey.api_keys SET expires_at = now() - "
          "interval '1 second' WHERE id = %s", a["id"])
    assert_error(eventually_status(lambda: me(client, a["key"]), 401), 401,
                 "expired_api_key")
    for k in (b, c):
        assert_error(eventually_status(lambda: me(client, k["key"]), 401), 401,
                     "api_key_ancestor_expired")


def test_a_line_of_keys_is_bounded(client):
    s = client.signup()
    k = make_key(client, s["token"], ["keys.write"])
    for _ in range(16):
        k = make_key(client, k["key"], None)
    r = client.post("/v1/api-keys", {"name": "one too many"},
                    token=k["key"])
    assert_error(r, 403, "api_key_lineage_too_deep")
    assert me(client, k["key"]).status == 200


# --- 4. directs -------------------------------------------------------------

def post_direct(client, cred, rtype):
    """POST /v1/directs for a direct of rtype that may be refused."""
    return client.post("/v1/directs", {"resource_type": rtype,
                                       "resource_id": "r-1"}, token=cred)


def passes(client, token, path):
    """The upstream answered the direct token (reached, not denied)."""
    return reached(client.get(path, token=token))


@pytest.fixture
def routed_type():
    """make(*permission): a resource type of its own, with a route
    GET /demo/<type>/* for its directs (needing permission, if given);
    every route made is removed after the test."""
    patterns = []

    def make(*permission):
        rtype = "t" + secrets.token_hex(4)
        pattern = "/demo/%s/*" % rtype
        ctl("route", "add", "GET", pattern, *permission, "--direct", rtype)
        patterns.append(pattern)
        return rtype
    yield make
    for pattern in patterns:
        ctl("route", "delete", "GET", pattern)


def test_a_directs_write_only_key_cannot_make_a_direct_needing_demo_read(
        client, db, routed_type):
    direct_type = routed_type("demo.read")
    s = client.signup()
    k = make_key(client, s["token"], ["directs.write"])
    r = post_direct(client, k["key"], direct_type)
    assert_error(r, 403, "permission_denied")
    assert "demo.read" in r.json["error"]["message"]
    assert query(db, "SELECT count(*) FROM latchkey.directs WHERE "
                 "org_id = %s", s["org"]["id"]) == [(0,)]
    # Holding demo.read, or a type no route needs anything for, is fine.
    ok = make_key(client, s["token"], ["directs.write", "demo.read"])
    make_direct(client, ok["key"], direct_type)
    make_direct(client, k["key"], "nothing_routed")
    # A member's role lacks demo.read too.
    _, mt = add_user(client, s["token"], "member")
    assert_error(post_direct(client, mt, direct_type), 403,
                 "permission_denied")


@needs_upstream
def test_a_direct_stops_booting_and_passing_once_its_creator_is_disabled(
        client, db, routed_type):
    rtype = routed_type()
    s = client.signup()
    u, mt = add_user(client, s["token"], "member")
    d = make_direct(client, mt, rtype)
    b = boot(client, d)
    assert b.status == 200, b
    tok = b.json["token"]
    path = "/demo/%s/%s" % (rtype, d["resource_id"])
    assert eventually(lambda: passes(client, tok, path))
    assert client.patch("/v1/users/" + u["id"], {"disabled": True},
                        token=s["token"]).status == 200
    assert_error(boot(client, d), 401, "direct_creator_inactive")
    assert_error(eventually_status(
        lambda: client.get(path, token=tok), 401), 401,
        "direct_creator_inactive")
    # Deleted rather than disabled: the same.
    v, vt = add_user(client, s["token"], "member")
    d2 = make_direct(client, vt, rtype)
    assert client.delete("/v1/users/" + v["id"],
                         token=s["token"]).status == 204
    assert_error(boot(client, d2), 401, "direct_creator_inactive")


@needs_upstream
def test_a_direct_dies_with_the_key_that_made_it_or_its_ancestor(client,
                                                                 db,
                                                                 routed_type):
    rtype = routed_type()
    s = client.signup()
    parent = make_key(client, s["token"], ["keys.write",
                                           "directs.write"])
    k = make_key(client, parent["key"], None)
    d = make_direct(client, k["key"], rtype)
    tok = boot(client, d).json["token"]
    path = "/demo/%s/%s" % (rtype, d["resource_id"])
    assert eventually(lambda: passes(client, tok, path))
    query(db, "UPDATE latchkey.api_keys SET expires_at = now() - "
          "interval '1 second' WHERE id = %s", parent["id"])
    assert_error(eventually_status(
        lambda: client.get(path, token=tok), 401), 401,
        "direct_creator_key_expired")
    assert_error(boot(client, d), 401,
                 "direct_creator_key_expired")
    query(db, "UPDATE latchkey.api_keys SET expires_at = NULL "
          "WHERE id = %s", parent["id"])
    assert eventually(lambda: passes(client, tok, path))
    assert revoke(client, parent["id"], s["token"]).status == 204
    assert_error(boot(client, d), 401,
                 "direct_creator_key_revoked")
    assert_error(eventually_status(
        lambda: client.get(path, token=tok), 401), 401,
        "direct_creator_key_revoked")


@needs_upstream
def test_a_route_permission_added_later_blocks_an_existing_direct_token(
        client, db, routed_type):
    rtype = routed_type()
    pattern = "/demo/%s/*" % rtype
    s = client.signup()
    _, mt = add_user(client, s["token"], "member")
    dm = make_direct(client, mt, rtype)
    do = make_direct(client, s["token"], rtype)
    tm = boot(client, dm).json["token"]
    to = boot(client, do).json["token"]
    pm = "/demo/%s/%s" % (rtype, dm["resource_id"])
    po = "/demo/%s/%s" % (rtype, do["resource_id"])
    assert eventually(lambda: passes(client, tm, pm))
    # The operator now requires demo.read, which members lack.
    ctl("route", "add", "GET", pattern, "demo.read", "--direct", rtype)
    r = eventually_status(lambda: client.get(pm, token=tm), 403)
    assert_error(r, 403, "direct_creator_lacks_permission")
    assert "demo.read" in r.json["error"]["message"]
    # The owner holds it: the owner's direct still passes.
    assert passes(client, to, po)
    # And verify decides the same way.
    r = client.post("/v1/auth/verify", {"credential": tm,
                    "method": "GET", "path": pm})
    assert_error(r, 403, "direct_creator_lacks_permission")
