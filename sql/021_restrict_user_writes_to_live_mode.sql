-- 021: members are live data.  latchkeyd refuses every /v1/users call from
-- a test-mode credential (403 live_mode_required, src/authority.c); these
-- restrictive policies make the database refuse the writes as well, so a
-- handler that forgot the rule still cannot let the sandbox create,
-- change or remove a user.  Reads stay as they were (a key's creator is
-- looked up in either mode).  Only the runtime role is bound: latchkeyctl
-- (the owner role) sets no mode.

CREATE POLICY users_live_insert ON latchkey.users AS RESTRICTIVE
    FOR INSERT TO latchkey_app
    WITH CHECK (latchkey.current_mode() = 'live');

CREATE POLICY users_live_update ON latchkey.users AS RESTRICTIVE
    FOR UPDATE TO latchkey_app
    USING (latchkey.current_mode() = 'live')
    WITH CHECK (latchkey.current_mode() = 'live');

CREATE POLICY users_live_delete ON latchkey.users AS RESTRICTIVE
    FOR DELETE TO latchkey_app
    USING (latchkey.current_mode() = 'live');
