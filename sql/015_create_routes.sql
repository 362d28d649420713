-- 015: the routes of the upstream API that latchkey guards in the
-- FastCGI AUTHORIZER role.  Deployment-wide, not org-owned: what each
-- method and path of the upstream requires.

CREATE TABLE latchkey.routes (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	method			text NOT NULL
	    CONSTRAINT routes_method_check
	    CHECK (method = '*' OR method ~ '^[A-Z]{1,16}$'),
	pattern			text NOT NULL
	    CONSTRAINT routes_pattern_check
	    CHECK (pattern ~ '^/[^?#[:space:]]*$' AND length(pattern) <= 512),
	permission		text
	    CONSTRAINT routes_permission_check
	    CHECK (permission ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$'),
	public			boolean NOT NULL DEFAULT false,
	direct_resource_type	text
	    CONSTRAINT routes_direct_resource_type_check
	    CHECK (direct_resource_type ~ '^[a-z0-9_]{1,64}$'),
	created_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT routes_method_pattern_key UNIQUE (method, pattern),
	CONSTRAINT routes_public_check
	    CHECK (NOT (public AND permission IS NOT NULL))
);

COMMENT ON TABLE latchkey.routes IS
    'upstream routes for the authorizer: the most specific match decides; '
    'no match is denied';
COMMENT ON COLUMN latchkey.routes.pattern IS
    'path; a * segment matches one segment, a final * any rest';
COMMENT ON COLUMN latchkey.routes.public IS
    'no credential needed';
COMMENT ON COLUMN latchkey.routes.direct_resource_type IS
    'direct tokens for this resource type may use the route';

GRANT SELECT ON latchkey.routes TO latchkey_app;

CREATE TRIGGER routes_notify_auth_change
    AFTER INSERT OR UPDATE OR DELETE ON latchkey.routes
    FOR EACH STATEMENT EXECUTE FUNCTION latchkey.notify_auth_change();
