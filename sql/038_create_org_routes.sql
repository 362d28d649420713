-- 038: an org's own routes, made through GET/POST /v1/routes and
-- DELETE /v1/routes/{id}.  The operator's routes (latchkey.routes, 015)
-- are deployment-wide and decide what the upstream admits; an org's
-- route can only add a requirement for the org's own callers: a request
-- the operator's route lets through must also hold the permission of the
-- org's most specific matching route.  So an org tightens access to its
-- own data and can never open what the operator closed, which is why
-- an org route is never public and carries no direct resource type.

CREATE TABLE latchkey.org_routes (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id			uuid NOT NULL
	    CONSTRAINT org_routes_org_id_fkey REFERENCES latchkey.orgs (id)
	    ON DELETE CASCADE,
	method			text NOT NULL
	    CONSTRAINT org_routes_method_check
	    CHECK (method = '*' OR method ~ '^[A-Z]{1,16}$'),
	pattern			text NOT NULL
	    CONSTRAINT org_routes_pattern_check
	    CHECK (pattern ~ '^/[^?#[:space:]]*$' AND length(pattern) <= 512),
	permission		text NOT NULL
	    CONSTRAINT org_routes_permission_check
	    CHECK (permission ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$'
		AND length(permission) <= 100),
	created_by_user		uuid
	    CONSTRAINT org_routes_created_by_user_fkey
	    REFERENCES latchkey.users (id) ON DELETE SET NULL,
	created_by_key		uuid
	    CONSTRAINT org_routes_created_by_key_fkey
	    REFERENCES latchkey.api_keys (id) ON DELETE SET NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT org_routes_org_method_pattern_key
	    UNIQUE (org_id, method, pattern)
);

CREATE INDEX org_routes_org_created_idx
    ON latchkey.org_routes (org_id, created_at, id);

COMMENT ON TABLE latchkey.org_routes IS
    'an org''s own upstream routes: each adds a permission its callers '
    'need on top of the operator''s route (latchkey.routes)';
COMMENT ON COLUMN latchkey.org_routes.pattern IS
    'path; a * segment matches one segment, a final * any rest';
COMMENT ON COLUMN latchkey.org_routes.permission IS
    'what the org''s callers need, besides what the operator''s route needs';

ALTER TABLE latchkey.org_routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.org_routes FORCE ROW LEVEL SECURITY;

-- Routes have no mode: they are org-wide, and the handler lets only a
-- live credential change them (as users).
CREATE POLICY org_routes_tenant ON latchkey.org_routes TO latchkey_app
    USING (org_id = latchkey.current_org_id())
    WITH CHECK (org_id = latchkey.current_org_id());
CREATE POLICY org_routes_owner ON latchkey.org_routes TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, DELETE ON latchkey.org_routes TO latchkey_app;

-- Every worker of every host reloads its routes when one changes.
CREATE TRIGGER org_routes_notify_auth_change
    AFTER INSERT OR UPDATE OR DELETE ON latchkey.org_routes
    FOR EACH STATEMENT EXECUTE FUNCTION latchkey.notify_auth_change();

-- The authorizer loads every org's routes at once, before it knows the
-- caller's org, as it loads the operator's: ordered by org so that a
-- worker finds one org's by binary search.  p_limit bounds the answer.
CREATE FUNCTION latchkey.org_routes_all(p_limit integer)
    RETURNS TABLE (id uuid, org_id uuid, method text, pattern text,
	permission text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT r.id, r.org_id, r.method, r.pattern, r.permission
	FROM latchkey.org_routes r
	ORDER BY r.org_id::text COLLATE "C", r.id
	LIMIT p_limit
    $$;

COMMENT ON FUNCTION latchkey.org_routes_all(integer) IS
    'every org''s routes, for the authorizer (ordered by org)';

REVOKE ALL ON FUNCTION latchkey.org_routes_all(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.org_routes_all(integer)
    TO latchkey_app;

-- How many routes all orgs hold together: a new one is refused past the
-- deployment's bound, which keeps what every worker loads bounded.
CREATE FUNCTION latchkey.org_routes_count()
    RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	SELECT count(*) FROM latchkey.org_routes
    $$;

COMMENT ON FUNCTION latchkey.org_routes_count() IS
    'the number of org routes over the deployment';

REVOKE ALL ON FUNCTION latchkey.org_routes_count() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.org_routes_count() TO latchkey_app;
