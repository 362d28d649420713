"""Direct tokens through the web servers' authorizer: in and out of scope."""
import secrets

import pytest

from helpers import (assert_denied, boot, ctl, eventually, hits, make_direct,
                     needs_upstream, reached)

pytestmark = needs_upstream


@pytest.fixture(scope="module")
def direct_route():
    # Direct tokens for calls may read /demo/calls/<id>/..., nothing else.
    ctl("route", "add", "GET", "/demo/calls/*", "--direct", "call")
    yield
    ctl("route", "delete", "GET", "/demo/calls/*")


def direct_token(client, token, rtype, rid):
    """A direct for (rtype, rid) and a token booted from it."""
    d = make_direct(client, token, rtype, rid)
    r = boot(client, d)
    assert r.status == 200, r
    return d, r.json["token"]


def test_a_direct_token_reaches_its_resource_routes_only(client,
                                                         direct_route):
    s = client.signup()
    d, tok = direct_token(client, s["token"], "call",
                          "c-" + secrets.token_hex(3))
    r = eventually(lambda: (lambda x: x if reached(x) else None)(
        client.get("/demo/calls/" + d["resource_id"], token=tok)))
    assert r, "the direct route never let the token through"
    ident = r.json["identity"]
    assert ident["credential_kind"] == "direct"
    assert ident["resource_type"] == "call"
    assert ident["resource_id"] == d["resource_id"]
    assert ident["org_id"] == s["org"]["id"]
    assert ident["key_id"] is None
    before = hits()
    assert_denied(client.get("/demo/other", token=tok), 403,
                  "direct_token_out_of_scope", before)
    # A token for another resource type is out of scope here too.
    _, other = direct_token(client, s["token"], "meeting", "m1")
    assert_denied(client.get("/demo/calls/x", token=other), 403,
                  "direct_token_out_of_scope", before)
    # Revoking the direct hash kills its tokens.
    assert client.delete("/v1/directs/" + d["id"],
                         token=s["token"]).status == 204
    assert_denied(client.get("/demo/calls/" + d["resource_id"], token=tok),
                  401, "revoked_token", before)
