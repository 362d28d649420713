"""After everything else ran: no key, password or token is stored in clear.

Marked after_all: conftest.py's collection hook runs it after every other
test, whatever the files are called or how they were selected, so it
judges the rows they all left.  Reads every row of every table in the
schema as text and looks for anything shaped like an API key, a JWT, or
the passwords the suite uses.
"""
import re

import pytest

from helpers import MEMBER_PASSWORD, PASSWORD, query

KEY = re.compile(r"[A-Za-z0-9]{1,16}_(live|test)_[0-9A-Za-z]{28}")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.")
PASSWORDS = [PASSWORD, MEMBER_PASSWORD, "admin pass", "whatever1",
             "a new password", "matrix pass"]


@pytest.mark.after_all
def test_no_secret_is_stored_in_clear(db):
    tables = query(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                   "ON n.oid = c.relnamespace WHERE n.nspname = 'latchkey' "
                   "AND c.relkind IN ('r', 'p')")
    assert tables
    scanned = 0
    for (table,) in tables:
        # Identifiers come from the catalog, not from input.
        for (row,) in query(db, 'SELECT t::text FROM latchkey."%s" t'
                            % table):
            scanned += 1
            assert not KEY.search(row), (table, row)
            assert not JWT.search(row), (table, row)
            for pw in PASSWORDS:
                assert pw not in row, (table, row)
    assert scanned > 0
