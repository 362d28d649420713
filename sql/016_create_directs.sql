-- 016: direct hashes: a secret that boots a short-lived token scoped to
-- one resource of one org (a customer's end user reaching one call, say).
-- Only the SHA-256 of "direct.<secret>" is stored.

CREATE TABLE latchkey.directs (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id			uuid NOT NULL
	    CONSTRAINT directs_org_id_fkey REFERENCES latchkey.orgs (id)
	    ON DELETE CASCADE,
	mode			text NOT NULL
	    CONSTRAINT directs_mode_check CHECK (mode IN ('live', 'test')),
	direct_hash		bytea NOT NULL
	    CONSTRAINT directs_direct_hash_check
	    CHECK (length(direct_hash) = 32),
	resource_type		text NOT NULL
	    CONSTRAINT directs_resource_type_check
	    CHECK (resource_type ~ '^[a-z0-9_]{1,64}$'),
	resource_id		text NOT NULL
	    CONSTRAINT directs_resource_id_check
	    CHECK (resource_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
	created_by_user		uuid
	    CONSTRAINT directs_created_by_user_fkey
	    REFERENCES latchkey.users (id) ON DELETE SET NULL,
	created_by_key		uuid
	    CONSTRAINT directs_created_by_key_fkey
	    REFERENCES latchkey.api_keys (id) ON DELETE SET NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	revoked_at		timestamptz
);

CREATE UNIQUE INDEX directs_direct_hash_key ON latchkey.directs (direct_hash);
CREATE INDEX directs_org_mode_created_idx
    ON latchkey.directs (org_id, mode, created_at, id);

COMMENT ON TABLE latchkey.directs IS
    'direct hashes: each boots 4-hour tokens for one resource';
COMMENT ON COLUMN latchkey.directs.direct_hash IS
    'SHA-256 of the whole "direct.<secret>" string';

ALTER TABLE latchkey.directs ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.directs FORCE ROW LEVEL SECURITY;

CREATE POLICY directs_tenant ON latchkey.directs TO latchkey_app
    USING (org_id = latchkey.current_org_id()
	AND mode = latchkey.current_mode())
    WITH CHECK (org_id = latchkey.current_org_id()
	AND mode = latchkey.current_mode());
CREATE POLICY directs_owner ON latchkey.directs TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE ON latchkey.directs TO latchkey_app;

CREATE TRIGGER directs_notify_auth_change
    AFTER UPDATE OF revoked_at OR DELETE ON latchkey.directs
    FOR EACH ROW EXECUTE FUNCTION latchkey.notify_auth_change();

-- Boot (by hash) and every use of a direct token (by id), before the org
-- is known.  Returns nothing for an unknown direct.
CREATE FUNCTION latchkey.direct_identity(p_hash bytea, p_id uuid)
    RETURNS TABLE (direct_id uuid, org_id uuid, mode text,
	resource_type text, resource_id text, revoked boolean,
	org_active boolean, cred_limit integer, org_limit integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT d.id, d.org_id, d.mode, d.resource_type, d.resource_id,
	    d.revoked_at IS NOT NULL, o.active, p.key_rate_per_min,
	    coalesce(o.rate_limit_per_min, p.org_rate_per_min)
	FROM latchkey.directs d
	JOIN latchkey.orgs o ON o.id = d.org_id
	JOIN latchkey.plans p ON p.id = o.plan_id
	WHERE (p_hash IS NOT NULL AND d.direct_hash = p_hash)
	    OR (p_id IS NOT NULL AND d.id = p_id)
    $$;

COMMENT ON FUNCTION latchkey.direct_identity(bytea, uuid) IS
    'direct boot (by hash) and direct token use (by id)';

REVOKE ALL ON FUNCTION latchkey.direct_identity(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.direct_identity(bytea, uuid)
    TO latchkey_app;

-- Org existence for service keys acting for an org.
CREATE FUNCTION latchkey.org_state(p_org uuid)
    RETURNS TABLE (active boolean, cred_limit integer, org_limit integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT o.active, p.key_rate_per_min,
	    coalesce(o.rate_limit_per_min, p.org_rate_per_min)
	FROM latchkey.orgs o JOIN latchkey.plans p ON p.id = o.plan_id
	WHERE o.id = p_org
    $$;

COMMENT ON FUNCTION latchkey.org_state(uuid) IS
    'service keys: whether the org named in X-Org-Id exists and is active';

REVOKE ALL ON FUNCTION latchkey.org_state(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.org_state(uuid) TO latchkey_app;
