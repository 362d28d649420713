-- 017: key lineage.  A key made by a key (created_by_key) descends from
-- it: once any ancestor is revoked or expired, the key stops working.
-- Authentication learns this in the same one call as before
-- (api_key_identity, cached for at most a second), so it holds for
-- revocations and expiries made behind latchkey's back too.
--
-- Chains are short: latchkeyd refuses to make a key with more than 16
-- ancestors (AUTHORITY_LINEAGE_MAX); the walks below stop at 64 whatever
-- the data says, and ids never change, so a chain cannot loop.

-- The revocation of a key reaches its descendants through this index.
CREATE INDEX api_keys_created_by_key_idx ON latchkey.api_keys (created_by_key)
    WHERE created_by_key IS NOT NULL;

-- The ancestors of a key, nearest first (depth 1 is its maker), at most
-- p_max of them.  SECURITY INVOKER: the runtime role sees only its org's
-- keys of its mode through it, which is all a chain holds, as a key makes
-- keys of its own mode only; the look-ups below run it as the owner.
CREATE FUNCTION latchkey.api_key_ancestors(p_key uuid, p_max integer)
    RETURNS TABLE (depth integer, key_id uuid, revoked boolean,
	expires_at timestamptz)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
	WITH RECURSIVE chain (depth, key_id, parent, revoked, expires_at) AS (
		SELECT 0, k.id, k.created_by_key, k.revoked_at IS NOT NULL,
		    k.expires_at
		FROM latchkey.api_keys k
		WHERE k.id = p_key
		UNION ALL
		SELECT c.depth + 1, a.id, a.created_by_key,
		    a.revoked_at IS NOT NULL, a.expires_at
		FROM chain c
		JOIN latchkey.api_keys a ON a.id = c.parent
		WHERE c.depth < least(p_max, 64)
	)
	SELECT c.depth, c.key_id, c.revoked, c.expires_at
	FROM chain c
	WHERE c.depth > 0
	ORDER BY c.depth
    $$;

COMMENT ON FUNCTION latchkey.api_key_ancestors(uuid, integer) IS
    'the created_by_key chain above a key, nearest first, bounded';

REVOKE ALL ON FUNCTION latchkey.api_key_ancestors(uuid, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.api_key_ancestors(uuid, integer)
    TO latchkey_app;

-- api_key_identity (007) gains two columns: whether an ancestor is
-- revoked, and the soonest expiry among the ancestors (which the cache
-- re-checks on every use, like the key's own).  A changed result type
-- needs DROP and CREATE; the migration is one transaction, and callers
-- name the columns they read, so the older column set keeps working.
DROP FUNCTION latchkey.api_key_identity(bytea);

CREATE FUNCTION latchkey.api_key_identity(p_hash bytea)
    RETURNS TABLE (key_id uuid, org_id uuid, mode text,
	permissions text[], expires_at_ms bigint, revoked boolean,
	org_active boolean, user_id uuid, user_role text,
	user_disabled boolean, cred_limit integer, org_limit integer,
	ancestor_revoked boolean, ancestor_expires_at_ms bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	k latchkey.api_keys%ROWTYPE;
	a_revoked boolean := false;
	a_expires timestamptz;
BEGIN
	SELECT * INTO k FROM latchkey.api_keys a
	    WHERE a.key_hash = p_hash
	    OR (a.previous_hash = p_hash AND a.previous_expires_at > now());
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF k.created_by_key IS NOT NULL THEN
		SELECT coalesce(bool_or(c.revoked), false), min(c.expires_at)
		    INTO a_revoked, a_expires
		    FROM latchkey.api_key_ancestors(k.id, 64) c;
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
		coalesce(o.rate_limit_per_min, p.org_rate_per_min),
		a_revoked,
		(extract(epoch FROM a_expires) * 1000)::bigint
	    FROM latchkey.orgs o
	    JOIN latchkey.plans p ON p.id = o.plan_id
	    LEFT JOIN latchkey.users u ON u.id = k.created_by_user
	    WHERE o.id = k.org_id;
END
$$;

COMMENT ON FUNCTION latchkey.api_key_identity(bytea) IS
    'key authentication: the identity and limits behind a key hash, and '
    'the state of its ancestors';

REVOKE ALL ON FUNCTION latchkey.api_key_identity(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.api_key_identity(bytea) TO latchkey_app;
