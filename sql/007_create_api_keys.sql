-- 007: API keys.  Only the SHA-256 of a key is stored; the secret is shown
-- once, when the key is created or rolled.

CREATE TABLE latchkey.api_keys (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id			uuid NOT NULL
	    CONSTRAINT api_keys_org_id_fkey REFERENCES latchkey.orgs (id)
	    ON DELETE CASCADE,
	mode			text NOT NULL
	    CONSTRAINT api_keys_mode_check CHECK (mode IN ('live', 'test')),
	name			text NOT NULL
	    CONSTRAINT api_keys_name_check
	    CHECK (length(name) BETWEEN 1 AND 100),
	detail			text NOT NULL DEFAULT ''
	    CONSTRAINT api_keys_detail_check CHECK (length(detail) <= 1000),
	display_prefix		text NOT NULL,
	last4			text NOT NULL
	    CONSTRAINT api_keys_last4_check CHECK (length(last4) = 4),
	key_hash		bytea NOT NULL
	    CONSTRAINT api_keys_key_hash_check
	    CHECK (length(key_hash) = 32),
	previous_hash		bytea
	    CONSTRAINT api_keys_previous_hash_check
	    CHECK (length(previous_hash) = 32),
	previous_expires_at	timestamptz,
	permissions		text[] NOT NULL DEFAULT '{}',
	created_by_user		uuid
	    CONSTRAINT api_keys_created_by_user_fkey
	    REFERENCES latchkey.users (id) ON DELETE SET NULL,
	created_by_key		uuid
	    CONSTRAINT api_keys_created_by_key_fkey
	    REFERENCES latchkey.api_keys (id) ON DELETE SET NULL,
	created_by_service	boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz,
	revoked_at		timestamptz,
	last_used_at		timestamptz,
	rate_limit_per_min	integer
	    CONSTRAINT api_keys_rate_limit_check
	    CHECK (rate_limit_per_min > 0)
);

CREATE UNIQUE INDEX api_keys_key_hash_key ON latchkey.api_keys (key_hash);
CREATE UNIQUE INDEX api_keys_previous_hash_key
    ON latchkey.api_keys (previous_hash) WHERE previous_hash IS NOT NULL;
CREATE INDEX api_keys_org_mode_created_idx
    ON latchkey.api_keys (org_id, mode, created_at, id);

COMMENT ON TABLE latchkey.api_keys IS
    'API keys of an org, per mode; the secret itself is never stored';
COMMENT ON COLUMN latchkey.api_keys.key_hash IS 'SHA-256 of the whole key';
COMMENT ON COLUMN latchkey.api_keys.previous_hash IS
    'hash of the secret before the last roll, valid until previous_expires_at';
COMMENT ON COLUMN latchkey.api_keys.permissions IS
    'permission patterns; effective permissions are these intersected '
    'with the current role of created_by_user';
COMMENT ON COLUMN latchkey.api_keys.created_by_user IS
    'the user whose role bounds the key (for a key made by a key, that '
    'key''s user); NULL once the user is deleted, which disables the key';
COMMENT ON COLUMN latchkey.api_keys.created_by_service IS
    'made by a service key: bounded by its own permissions only, as no '
    'user stands behind it';
COMMENT ON COLUMN latchkey.api_keys.last_used_at IS
    'coalesced: written at most once a minute per key';

ALTER TABLE latchkey.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.api_keys FORCE ROW LEVEL SECURITY;

-- Org and mode: a test credential never sees live keys, nor the reverse.
CREATE POLICY api_keys_tenant ON latchkey.api_keys TO latchkey_app
    USING (org_id = latchkey.current_org_id()
	AND mode = latchkey.current_mode())
    WITH CHECK (org_id = latchkey.current_org_id()
	AND mode = latchkey.current_mode());
CREATE POLICY api_keys_owner ON latchkey.api_keys TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE ON latchkey.api_keys TO latchkey_app;

-- Authentication by key, before the org is known: one call, one round
-- trip, and latchkeyd caches the answer for a second.  Returns nothing
-- for an unknown hash.  Touches last_used_at at most once a minute, so a
-- busy key costs no write per request.  expires_at_ms lets the cache
-- re-check expiry on every use; the limits are the key's own or its
-- plan's, and its org's or the plan's.
CREATE FUNCTION latchkey.api_key_identity(p_hash bytea)
    RETURNS TABLE (key_id uuid, org_id uuid, mode text,
	permissions text[], expires_at_ms bigint, revoked boolean,
	org_active boolean, user_id uuid, user_role text,
	user_disabled boolean, cred_limit integer, org_limit integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	k latchkey.api_keys%ROWTYPE;
BEGIN
	SELECT * INTO k FROM latchkey.api_keys a
	    WHERE a.key_hash = p_hash
	    OR (a.previous_hash = p_hash AND a.previous_expires_at > now());
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF k.revoked_at IS NULL AND (k.last_used_at IS NULL OR
	    k.last_used_at < now() - interval '1 minute') THEN
		UPDATE latchkey.api_keys a SET last_used_at = now()
		    WHERE a.id = k.id AND (a.last_used_at IS NULL OR
		    a.last_used_at < now() - interval '1 minute');
	END IF;
	RETURN QUERY
	    SELECT k.id, k.org_id, k.mode, k.permissions,
		(extract(epoch FROM k.expires_at) * 1000)::bigint,
		k.revoked_at IS NOT NULL, o.active, u.id,
		CASE WHEN k.created_by_service THEN 'owner' ELSE u.role END,
		CASE WHEN k.created_by_service THEN false
		    ELSE coalesce(u.disabled, true) END,
		coalesce(k.rate_limit_per_min, p.key_rate_per_min),
		coalesce(o.rate_limit_per_min, p.org_rate_per_min)
	    FROM latchkey.orgs o
	    JOIN latchkey.plans p ON p.id = o.plan_id
	    LEFT JOIN latchkey.users u ON u.id = k.created_by_user
	    WHERE o.id = k.org_id;
END
$$;

COMMENT ON FUNCTION latchkey.api_key_identity(bytea) IS
    'key authentication: the identity and limits behind a key hash';

REVOKE ALL ON FUNCTION latchkey.api_key_identity(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.api_key_identity(bytea) TO latchkey_app;
