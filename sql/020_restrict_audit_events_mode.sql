-- 020: a test credential reads only test-mode audit events.  Org-wide
-- events (user changes, logins, the org's creation) are live events; a
-- test key, handed out at signup with every permission, must not read
-- who logged in from where or which members were added.  A live
-- credential still reads the org's whole trail, test events included.
-- Inserting is unchanged: an event is written in the mode of the
-- transaction that records it.

DROP POLICY audit_events_tenant ON latchkey.audit_events;

CREATE POLICY audit_events_tenant ON latchkey.audit_events TO latchkey_app
    USING (org_id = latchkey.current_org_id()
	AND (latchkey.current_mode() = 'live' OR mode = 'test'))
    WITH CHECK (org_id = latchkey.current_org_id());

COMMENT ON COLUMN latchkey.audit_events.mode IS
    'mode of the credential that acted; org-wide events are live, and '
    'test credentials see only test events';
