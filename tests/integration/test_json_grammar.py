"""Request bodies are JSON as RFC 8259 defines it, and no more.

json-c's strict mode still takes single-quoted strings, NaN, Infinity,
raw control characters in strings and more; latchkey refuses them with
400 malformed_json before any database call (src/lib/jsoncheck.c), so a
body means the same to latchkey, to the history's redactor and to a
client's own parser.
"""
import secrets

from helpers import assert_error, query

NOT_JSON = [
    b"{'org_name':'x','email':'a@b.test','password':'correct horse'}",
    b'{"org_name":"x","email":"a@b.test","password":"correct horse",'
    b'"n":NaN}',
    b'{"org_name":"x","email":"a@b.test","password":"correct horse",'
    b'"n":-Infinity}',
    b'{"org_name":"x\ty","email":"a@b.test","password":"correct horse"}',
    b'{"org_name":"x","email":"a@b.test","password":"correct horse",}',
    b'{"org_name":"x","email":"a@b.test","password":"correct horse"}'
    b'/* comment */',
    b'{org_name:"x","email":"a@b.test","password":"correct horse"}',
    b'{"org_name":"x","email":"a@b.test","password":"correct horse",'
    b'"n":01}',
]


def test_a_body_outside_rfc_8259_is_400_and_creates_nothing(client, db):
    for body in NOT_JSON:
        name = "grammar-" + secrets.token_hex(6)
        email = "g-%s@example.test" % secrets.token_hex(6)
        raw = body.replace(b'"x', b'"' + name.encode(), 1) \
            .replace(b"'x'", b"'" + name.encode() + b"'") \
            .replace(b"a@b.test", email.encode())
        r = client.request("POST", "/v1/auth/signup", raw=raw)
        assert_error(r, 400, "malformed_json")
        assert "RFC 8259" in r.json["error"]["message"], body
        assert query(db, "SELECT count(*) FROM latchkey.users WHERE "
                     "email = %s", email)[0][0] == 0, body


def test_a_body_nested_past_the_limit_is_400(client):
    deep = b'{"a":' * 17 + b'1' + b'}' * 17
    r = client.request("POST", "/v1/auth/login", raw=deep)
    assert_error(r, 400, "malformed_json")
    assert r.json["error"]["message"] == \
        "the body nests deeper than 16 arrays and objects"


def test_the_same_body_in_rfc_8259_is_accepted(client):
    name = "grammar-" + secrets.token_hex(6)
    raw = ('{ "org_name" : "%s\\ty", "email": "g-%s@example.test",\r\n'
           '  "password": "correct horse" }' % (name, secrets.token_hex(6)))
    r = client.request("POST", "/v1/auth/signup", raw=raw.encode())
    assert r.status == 201, r
