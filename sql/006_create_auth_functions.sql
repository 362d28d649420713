-- 006: the look-ups that run before the org of a request is known.
--
-- They are SECURITY DEFINER (running as latchkey_owner, whose policies see
-- every row) with a pinned search_path, and return only what
-- authentication needs: never a list, never another org's data beyond the
-- one row the caller proved it may ask for.

CREATE FUNCTION latchkey.user_for_login(p_email text)
    RETURNS TABLE (user_id uuid, org_id uuid, email text,
	password_hash text, role text, token_version integer,
	disabled boolean, org_active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT u.id, u.org_id, u.email, u.password_hash, u.role,
	    u.token_version, u.disabled, o.active
	FROM latchkey.users u
	JOIN latchkey.orgs o ON o.id = u.org_id
	WHERE lower(u.email) = lower(p_email)
    $$;

COMMENT ON FUNCTION latchkey.user_for_login(text) IS
    'login: the account of an email, whatever the org';

-- Called for JWT-authenticated requests (latchkeyd caches the answer for
-- a second), after the signature has been verified: the org comes from a
-- token latchkey signed.  The limits are the plan's per-credential rate
-- and the org's (or its plan's) org-wide rate.
CREATE FUNCTION latchkey.user_for_token(p_user uuid, p_org uuid)
    RETURNS TABLE (email text, role text, token_version integer,
	disabled boolean, org_active boolean, cred_limit integer,
	org_limit integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT u.email, u.role, u.token_version, u.disabled, o.active,
	    p.key_rate_per_min,
	    coalesce(o.rate_limit_per_min, p.org_rate_per_min)
	FROM latchkey.users u
	JOIN latchkey.orgs o ON o.id = u.org_id
	JOIN latchkey.plans p ON p.id = o.plan_id
	WHERE u.id = p_user AND u.org_id = p_org
    $$;

COMMENT ON FUNCTION latchkey.user_for_token(uuid, uuid) IS
    'JWT check: role, token_version, state and limits of the token''s user';

REVOKE ALL ON FUNCTION latchkey.user_for_login(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.user_for_token(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.user_for_login(text) TO latchkey_app;
GRANT EXECUTE ON FUNCTION latchkey.user_for_token(uuid, uuid)
    TO latchkey_app;
