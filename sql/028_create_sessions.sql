-- 028: browser sessions of the dashboard.  The cookie carries a random
-- secret; only its SHA-256 is stored.  A session is a user's login like a
-- JWT, but it can be ended one by one (DELETE /v1/auth/session), and a
-- password change or a disabled account ends every session of the user
-- (token_version no longer matches).

CREATE TABLE latchkey.sessions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id		uuid NOT NULL
	    CONSTRAINT sessions_org_id_fkey REFERENCES latchkey.orgs (id)
	    ON DELETE CASCADE,
	user_id		uuid NOT NULL
	    CONSTRAINT sessions_user_id_fkey REFERENCES latchkey.users (id)
	    ON DELETE CASCADE,
	secret_hash	bytea NOT NULL
	    CONSTRAINT sessions_secret_hash_check
	    CHECK (length(secret_hash) = 32),
	token_version	integer NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	client_ip	text
);

CREATE UNIQUE INDEX sessions_secret_hash_key
    ON latchkey.sessions (secret_hash);
CREATE INDEX sessions_user_idx ON latchkey.sessions (user_id, expires_at);

COMMENT ON TABLE latchkey.sessions IS
    'dashboard browser sessions; the cookie secret itself is never stored';
COMMENT ON COLUMN latchkey.sessions.secret_hash IS
    'SHA-256 of the cookie''s secret';
COMMENT ON COLUMN latchkey.sessions.token_version IS
    'the user''s token_version at sign-in: a password change or a '
    'disabled account bumps the user''s, which ends the session';

ALTER TABLE latchkey.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.sessions FORCE ROW LEVEL SECURITY;

-- Sessions belong to a user, not to a mode: the dashboard switches
-- between live and test with X-Latchkey-Mode on each request.
CREATE POLICY sessions_tenant ON latchkey.sessions TO latchkey_app
    USING (org_id = latchkey.current_org_id())
    WITH CHECK (org_id = latchkey.current_org_id());
CREATE POLICY sessions_owner ON latchkey.sessions TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, DELETE ON latchkey.sessions TO latchkey_app;

-- Called for cookie-authenticated requests (latchkeyd caches the answer
-- for a second): the session of a secret's hash and what the user behind
-- it may do.  revoked is true once the user's token_version moved on.
CREATE FUNCTION latchkey.session_identity(p_hash bytea)
    RETURNS TABLE (session_id uuid, org_id uuid, user_id uuid,
	expires_at_ms bigint, revoked boolean, email text, role text,
	disabled boolean, org_active boolean, cred_limit integer,
	org_limit integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT s.id, s.org_id, s.user_id,
	    (extract(epoch FROM s.expires_at) * 1000)::bigint,
	    s.token_version <> u.token_version, u.email, u.role,
	    u.disabled, o.active, p.key_rate_per_min,
	    coalesce(o.rate_limit_per_min, p.org_rate_per_min)
	FROM latchkey.sessions s
	JOIN latchkey.users u ON u.id = s.user_id
	JOIN latchkey.orgs o ON o.id = s.org_id
	JOIN latchkey.plans p ON p.id = o.plan_id
	WHERE s.secret_hash = p_hash
    $$;

COMMENT ON FUNCTION latchkey.session_identity(bytea) IS
    'cookie check: the session of a secret hash and its user''s state';

REVOKE ALL ON FUNCTION latchkey.session_identity(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.session_identity(bytea) TO latchkey_app;

-- A session ended on one host ends on every host within milliseconds.
CREATE TRIGGER sessions_notify_auth_change
    AFTER UPDATE OR DELETE ON latchkey.sessions
    FOR EACH ROW EXECUTE FUNCTION latchkey.notify_auth_change();
