"""The authority matrix: who may call which management route on what.

Every management route (read from the OpenAPI document, which a unit test
keeps in step with the router) is called by every role, with a login
token, a key holding exactly the route's permission and a key without it,
in live and in test mode, on an object of the caller's own, on one of a
higher-ranked member and on one of another org.  ROUTES below states the
rule once; expected() derives every row's answer from it.  A route that
is added to the API without a line in ROUTES (or in PUBLIC) fails
test_every_route_has_a_rule.

The matrix runs through lighttpd only (the rules live in latchkeyd, and
the per-server tests prove both servers forward the same request); the
org's rate limits are lifted so that hundreds of calls are not 429s.
"""
import json
import os
import secrets

import pytest

from helpers import (LIGHTTPD, Client, add_user, history_row, lift_limits,
                     login, query, unique_email)

PASSWORD = "matrix pass"

ROLES = ("owner", "admin", "member", "viewer")
RANK = {r: 4 - i for i, r in enumerate(ROLES)}

# What each built-in role grants (sql/005); the matrix checks the API
# against this, so a change to a role's grants shows up here too.
GRANTS = {
    "owner": {"*"},
    "admin": {"*"},
    "member": {"keys.read", "keys.write", "users.read", "requests.read",
               "usage.read", "directs.write", "activity.read",
               "routes.read"},
    "viewer": {"keys.read", "users.read", "requests.read", "usage.read",
               "activity.read", "routes.read"},
}

# Routes that take no credential, a service key or a session only: not the
# subject of the matrix (their own tests cover them).
PUBLIC = {
    ("GET", "/health"), ("GET", "/v1/openapi.json"),
    ("POST", "/v1/auth/signup"), ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/boot"), ("POST", "/v1/auth/verify"),
    # The browser session: signing in takes no credential, signing out
    # only the session's own cookie (test_session.py).
    ("POST", "/v1/auth/session"), ("DELETE", "/v1/auth/session"),
    # The operator's scraper: a service key or metrics_allow only
    # (test_metrics.py).
    ("GET", "/metrics"),
}


class Rule:
    """The rule of one route.

    perm: the permission it needs (None: any credential).
    live: org-wide, so a test-mode credential gets live_mode_required.
    obj: the kind of object in the path ("key", "user", "direct",
    "request", "route") or None.  reach: how a higher-ranked member's object is
    refused ("key_out_of_reach", "role_too_high") or None when rank does
    not matter.  ok: the success status.  fresh: the call consumes its
    object, so each row gets a new one.
    """

    def __init__(self, perm, ok=200, live=False, obj=None, reach=None,
                 fresh=False):
        self.perm, self.ok, self.live = perm, ok, live
        self.obj, self.reach, self.fresh = obj, reach, fresh


ROUTES = {
    ("GET", "/v1/me"): Rule(None),
    # The org's plan and limits: any credential of the org, either mode.
    ("GET", "/v1/org"): Rule(None),
    ("GET", "/v1/permissions"): Rule(None),
    ("GET", "/v1/roles"): Rule(None),
    ("GET", "/v1/users"): Rule("users.read", live=True),
    ("POST", "/v1/users"): Rule("users.write", 201, live=True),
    ("GET", "/v1/users/{id}"): Rule("users.read", live=True, obj="user"),
    ("PATCH", "/v1/users/{id}"): Rule("users.write", live=True, obj="user",
                                      reach="role_too_high", fresh=True),
    ("DELETE", "/v1/users/{id}"): Rule("users.write", 204, live=True,
                                       obj="user", reach="role_too_high",
                                       fresh=True),
    ("GET", "/v1/api-keys"): Rule("keys.read"),
    ("POST", "/v1/api-keys"): Rule("keys.write", 201),
    ("GET", "/v1/api-keys/{id}"): Rule("keys.read", obj="key"),
    ("PATCH", "/v1/api-keys/{id}"): Rule("keys.write", obj="key",
                                         reach="key_out_of_reach"),
    ("DELETE", "/v1/api-keys/{id}"): Rule("keys.write", 204, obj="key",
                                          reach="key_out_of_reach",
                                          fresh=True),
    ("POST", "/v1/api-keys/{id}/roll"): Rule("keys.write", obj="key",
                                             reach="key_out_of_reach",
                                             fresh=True),
    ("GET", "/v1/directs"): Rule("directs.write"),
    ("POST", "/v1/directs"): Rule("directs.write", 201),
    ("DELETE", "/v1/directs/{id}"): Rule("directs.write", 204,
                                         obj="direct", fresh=True),
    ("GET", "/v1/requests"): Rule("requests.read"),
    ("GET", "/v1/requests/{id}"): Rule("requests.read", obj="request"),
    ("GET", "/v1/activity"): Rule("activity.read"),
    ("GET", "/v1/usage"): Rule("usage.read"),
    # The org's own routes: org-wide, so only reading is open to a test
    # credential; they belong to the org, not to whoever added them.
    ("GET", "/v1/routes"): Rule("routes.read"),
    ("POST", "/v1/routes"): Rule("routes.write", 201, live=True),
    ("DELETE", "/v1/routes/{id}"): Rule("routes.write", 204, live=True,
                                        obj="route", fresh=True),
}

# A permission each role holds that is none of the routes' own, for
# "a key without the route's permission" (every role holds keys.read;
# for keys.read itself, usage.read).
def other_perm(role, perm):
    for p in ("keys.read", "usage.read"):
        if p != perm:
            return p
    raise AssertionError("no other permission")


def holds(role, perm):
    return perm is None or "*" in GRANTS[role] or perm in GRANTS[role]


def expected(rule, role, cred, mode, obj):
    """The answer the rule gives: (status, error code or None)."""
    if cred == "key_without" and rule.perm is not None:
        has = False
    else:
        has = holds(role, rule.perm)
    if rule.live and mode == "test":
        return 403, "live_mode_required"
    if not has:
        return 403, "permission_denied"
    if obj == "other":
        return 404, "not_found"
    if obj == "higher" and rule.reach is not None:
        return 403, rule.reach
    return rule.ok, None


def rows():
    """Every (route, role, credential, mode, object) the matrix tries."""
    out = []
    for (method, path), rule in sorted(ROUTES.items()):
        creds = ("jwt",) if rule.perm is None else \
            ("jwt", "key_with", "key_without")
        objs = ("own", "higher", "other") if rule.obj else (None,)
        for role in ROLES:
            for cred in creds:
                if cred == "key_with" and not holds(role, rule.perm):
                    continue    # no such key can exist
                for mode in ("live", "test"):
                    for obj in objs:
                        if obj == "higher" and role == "owner":
                            continue    # nobody ranks higher
                        out.append((method, path, role, cred, mode, obj))
    return out


ROWS = rows()


def row_id(r):
    return "%s %s|%s|%s|%s|%s" % r


class World:
    """Two orgs, a user of every role, their credentials and objects."""

    def __init__(self, c, db):
        self.c, self.db = c, db
        self.org = self.make_org()
        self.other = self.make_org()
        owner = self.org
        self.token = {"owner": owner["token"]}
        self.user = {"owner": owner["user"]["id"]}
        # The viewer is made a member first, so that it can create keys,
        # then demoted: its keys then have a viewer as their creator,
        # as a demoted employee's would.
        for role in ("admin", "member", "viewer"):
            u, self.token[role] = add_user(
                c, owner["token"], "member" if role == "viewer" else role,
                PASSWORD)
            self.user[role] = u["id"]
            if role == "viewer":
                self.viewer_email = u["email"]
        self.creds = {}
        for role in ROLES:
            for mode in ("live", "test"):
                self.make_keys(role, mode)
        r = c.patch("/v1/users/" + self.user["viewer"], {"role": "viewer"},
                    token=owner["token"])
        assert r.status == 200, r
        self.token["viewer"] = login(c, self.viewer_email, PASSWORD)

    def make_org(self):
        s = self.c.signup()
        # Lift the limits: the matrix makes hundreds of calls a minute.
        lift_limits(self.db, s["org"]["id"])
        return s

    def headers(self, role, cred, mode, perm):
        """The credential headers of one row."""
        h = {}
        if cred == "jwt":
            h["Authorization"] = "Bearer " + self.token[role]
            if mode == "test":
                h["X-Latchkey-Mode"] = "test"
        else:
            h["X-API-Key"] = self.key(role, cred, mode, perm)["key"]
        return h

    def make_keys(self, role, mode):
        """Keys of role's user holding exactly each permission a route
        needs (when the role holds it), made while the user is at most a
        member for the viewer."""
        for perm in sorted({r.perm for r in ROUTES.values() if r.perm}):
            for cred, p in (("key_with", perm),
                            ("key_without", other_perm(role, perm))):
                if not holds("member" if role == "viewer" else role, p):
                    continue
                if role == "viewer" and cred == "key_with" and \
                        not holds("viewer", p):
                    continue
                r = self.c.post("/v1/api-keys", {
                    "name": "%s %s %s" % (role, cred, p), "mode": mode,
                    "permissions": [p]}, token=self.token[role])
                assert r.status == 201, r
                self.creds[(role, cred, mode, perm)] = r.json

    def key(self, role, cred, mode, perm):
        return self.creds[(role, cred, mode, perm)]

    # --- objects -------------------------------------------------------

    def caller_or_token(self, role, cred, mode, perm):
        """Headers to create an object as the caller itself when it can,
        else as its user (whose objects a key of the user does not own,
        but such a caller is refused before the object matters)."""
        if cred != "jwt" and (role, cred, mode, perm) in self.creds:
            return self.headers(role, cred, mode, perm)
        return self.headers(role, "jwt", mode, None)

    def new_key(self, h, mode, perms=None):
        body = {"name": "target " + secrets.token_hex(3), "mode": mode}
        if perms is not None:
            body["permissions"] = perms
        r = self.c.post("/v1/api-keys", body, headers=h)
        return r.json["id"] if r.status == 201 else None

    def new_direct(self, h):
        r = self.c.post("/v1/directs", {
            "resource_type": "matrix",
            "resource_id": "r-" + secrets.token_hex(4)}, headers=h)
        return r.json["id"] if r.status == 201 else None

    def new_user(self, role="viewer"):
        r = self.c.post("/v1/users", {
            "email": unique_email("target"), "password": PASSWORD,
            "role": role}, token=self.token["owner"])
        assert r.status == 201, r
        return r.json["id"]

    def new_route(self, h):
        """A route of the org h acts for, added by its live owner (only
        a live credential may add one)."""
        h = {k: v for k, v in h.items() if k != "X-Latchkey-Mode"}
        r = self.c.post("/v1/routes", route_body(), headers=h)
        assert r.status == 201, r
        return r.json["id"]

    def request_row(self, h):
        r = self.c.get("/v1/me", headers=h)
        rid = r.header("X-Request-Id")
        return history_row(self.db, rid, "id::text")[0]

    def owner_of(self, which, mode):
        """Headers of the owner of org (self.org) or other org."""
        s = self.org if which == "org" else self.other
        h = {"Authorization": "Bearer " + s["token"]}
        if mode == "test":
            h["X-Latchkey-Mode"] = "test"
        return h

    def target(self, rule, role, cred, mode, obj):
        """The id of the object a row acts on."""
        if obj == "other":
            h = self.owner_of("other", mode)
            return {"key": lambda: self.new_key(h, mode, ["keys.read"]),
                    "user": lambda: self.other["user"]["id"],
                    "direct": lambda: self.new_direct(h),
                    "request": lambda: self.request_row(h),
                    "route": lambda: self.new_route(h)}[rule.obj]()
        if obj == "higher":
            up = ROLES[ROLES.index(role) - 1]
            h = self.headers(up, "jwt", mode, None)
            return {"key": lambda: self.new_key(h, mode, ["keys.read"]),
                    "user": lambda: self.user[up],
                    "direct": lambda: self.new_direct(h),
                    "request": lambda: self.request_row(h),
                    "route": lambda: self.new_route(
                        self.owner_of("org", "live"))}[rule.obj]()
        h = self.caller_or_token(role, cred, mode, rule.perm)
        if rule.obj == "key":
            return self.new_key(h, mode) or self.new_key(
                self.owner_of("org", mode), mode, ["keys.read"])
        if rule.obj == "user":
            return self.new_user() if rule.fresh else self.user[role]
        if rule.obj == "direct":
            return self.new_direct(h) or self.new_direct(
                self.owner_of("org", mode))
        if rule.obj == "route":
            return self.new_route(self.owner_of("org", "live"))
        return self.request_row(h)

    def snapshot(self, kind, oid):
        """What a refused call must leave as it was."""
        sql = {
            "key": "SELECT name, key_hash, permissions, revoked_at "
                   "FROM latchkey.api_keys WHERE id = %s",
            "user": "SELECT role, disabled, password_hash, token_version "
                    "FROM latchkey.users WHERE id = %s",
            "direct": "SELECT revoked_at FROM latchkey.directs "
                      "WHERE id = %s",
            "request": "SELECT status FROM latchkey.request_log "
                       "WHERE id = %s",
            "route": "SELECT method, pattern, permission "
                     "FROM latchkey.org_routes WHERE id = %s",
        }[kind]
        return query(self.db, sql, oid)


def route_body():
    return {"method": "GET", "pattern": "/matrix/%s/*" % secrets.token_hex(4),
            "permission": "keys.read"}


def body_for(method, path, mode):
    if (method, path) == ("POST", "/v1/users"):
        return {"email": unique_email("new"), "password": PASSWORD,
                "role": "viewer"}
    if (method, path) == ("PATCH", "/v1/users/{id}"):
        return {"role": "viewer"}
    if (method, path) == ("POST", "/v1/api-keys"):
        return {"name": "made in the matrix", "mode": mode}
    if (method, path) == ("PATCH", "/v1/api-keys/{id}"):
        return {"name": "renamed in the matrix"}
    if (method, path) == ("POST", "/v1/routes"):
        return route_body()
    if (method, path) == ("POST", "/v1/directs"):
        return {"resource_type": "matrix",
                "resource_id": "r-" + secrets.token_hex(4)}
    return None


@pytest.fixture(scope="module")
def world(module_db):
    if not LIGHTTPD:
        pytest.skip("no web server: run through script/test")
    return World(Client("lighttpd", LIGHTTPD), module_db)


def test_every_route_has_a_rule():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                           "openapi.json")) as f:
        doc = json.load(f)
    routes = {(m.upper(), p) for p, ops in doc["paths"].items()
              for m in ops if m in ("get", "post", "put", "patch", "delete")}
    assert routes - PUBLIC - set(ROUTES) == set(), \
        "routes without a line in the authority matrix"
    assert set(ROUTES) - routes == set(), "rules for routes that are gone"


@pytest.mark.parametrize("row", ROWS, ids=[row_id(r) for r in ROWS])
def test_authority(world, row):
    method, path, role, cred, mode, obj = row
    rule = ROUTES[(method, path)]
    want_status, want_code = expected(rule, role, cred, mode, obj)
    oid = world.target(rule, role, cred, mode, obj) if rule.obj else None
    if rule.obj:
        assert oid is not None, "could not make the target object"
    before = world.snapshot(rule.obj, oid) if rule.obj else None
    h = world.headers(role, cred, mode, rule.perm)
    body = body_for(method, path, mode)
    url = path.replace("{id}", oid or "")
    r = world.c.request(method, url, body=body, headers=h)
    assert (r.status, r.code) == (want_status, want_code), r
    if want_status >= 400 and rule.obj:
        assert world.snapshot(rule.obj, oid) == before
