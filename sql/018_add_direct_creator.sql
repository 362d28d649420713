-- 018: a direct lives and reaches no further than whoever made it.
-- direct_identity (016), asked at boot and (through latchkeyd's
-- one-second cache) at every use of a direct token, now also describes
-- the creator: its user's rank and state, and for a direct made by an
-- API key that key's own permissions, whether it or an ancestor is
-- revoked, and the soonest expiry among them.  latchkeyd decides
-- (src/authority.c).
--
-- Directs made by a service key are marked, as no user stands behind
-- them.  Rows from before this migration with neither a user nor a key
-- cannot tell a service key's direct from one whose user was deleted;
-- they are left unmarked, so they stop working (the safe reading).

ALTER TABLE latchkey.directs
    ADD COLUMN created_by_service boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN latchkey.directs.created_by_user IS
    'the user whose rank bounds the direct (for one made by a key, that '
    'key''s user); NULL once the user is deleted, which ends the direct';
COMMENT ON COLUMN latchkey.directs.created_by_key IS
    'the API key that made the direct; revoking or expiring it (or an '
    'ancestor) ends the direct';
COMMENT ON COLUMN latchkey.directs.created_by_service IS
    'made by a service key (or by a key a service key made): no user '
    'stands behind it';

-- A changed result type needs DROP and CREATE, in this one transaction;
-- callers name the columns they read.
DROP FUNCTION latchkey.direct_identity(bytea, uuid);

CREATE FUNCTION latchkey.direct_identity(p_hash bytea, p_id uuid)
    RETURNS TABLE (direct_id uuid, org_id uuid, mode text,
	resource_type text, resource_id text, revoked boolean,
	org_active boolean, cred_limit integer, org_limit integer,
	by_service boolean, by_key boolean, creator_role text,
	creator_inactive boolean, creator_perms text[],
	creator_key_revoked boolean, creator_key_expires_at_ms bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT d.id, d.org_id, d.mode, d.resource_type, d.resource_id,
	    d.revoked_at IS NOT NULL, o.active, p.key_rate_per_min,
	    coalesce(o.rate_limit_per_min, p.org_rate_per_min),
	    d.created_by_service, k.id IS NOT NULL, u.role,
	    coalesce(u.disabled, true),
	    CASE WHEN k.id IS NOT NULL THEN k.permissions
		ELSE ARRAY['*']::text[] END,
	    coalesce(k.revoked_at IS NOT NULL OR l.revoked, false),
	    (extract(epoch FROM least(k.expires_at, l.expires_at)) *
		1000)::bigint
	FROM latchkey.directs d
	JOIN latchkey.orgs o ON o.id = d.org_id
	JOIN latchkey.plans p ON p.id = o.plan_id
	LEFT JOIN latchkey.users u ON u.id = d.created_by_user
	LEFT JOIN latchkey.api_keys k ON k.id = d.created_by_key
	LEFT JOIN LATERAL (
		SELECT bool_or(c.revoked) AS revoked,
		    min(c.expires_at) AS expires_at
		FROM latchkey.api_key_ancestors(k.id, 64) c
	) l ON k.id IS NOT NULL
	WHERE (p_hash IS NOT NULL AND d.direct_hash = p_hash)
	    OR (p_id IS NOT NULL AND d.id = p_id)
    $$;

COMMENT ON FUNCTION latchkey.direct_identity(bytea, uuid) IS
    'direct boot (by hash) and direct token use (by id), with the state '
    'and permissions of its creator';

REVOKE ALL ON FUNCTION latchkey.direct_identity(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.direct_identity(bytea, uuid)
    TO latchkey_app;
