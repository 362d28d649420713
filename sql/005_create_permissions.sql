-- 005: the permission catalog and what each role grants.

CREATE TABLE latchkey.permissions (
	name		text PRIMARY KEY
	    CONSTRAINT permissions_name_check
	    CHECK (name ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$' AND length(name) <= 100),
	description	text NOT NULL DEFAULT '',
	builtin		boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE latchkey.permissions IS
    'permission catalog: built-in names and those the deployment defines';

CREATE TABLE latchkey.role_permissions (
	role		text NOT NULL
	    CONSTRAINT role_permissions_role_check
	    CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	pattern		text NOT NULL
	    CONSTRAINT role_permissions_pattern_check
	    CHECK (pattern = '*' OR
	    pattern ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$'),
	CONSTRAINT role_permissions_pkey PRIMARY KEY (role, pattern)
);

COMMENT ON TABLE latchkey.role_permissions IS
    'permission patterns (names, "x.*" or "*") each user role grants';

INSERT INTO latchkey.permissions (name, description, builtin) VALUES
    ('keys.read', 'List and read API keys', true),
    ('keys.write', 'Create, change, roll and revoke API keys', true),
    ('users.read', 'List and read the members of the org', true),
    ('users.write', 'Invite, change and remove members', true),
    ('requests.read', 'Read the request history', true),
    ('usage.read', 'Read usage counts and rate-limit state', true),
    ('directs.write', 'Create and revoke direct hashes', true),
    ('activity.read', 'Read the audit events', true);

INSERT INTO latchkey.role_permissions (role, pattern) VALUES
    ('owner', '*'),
    ('admin', '*'),
    ('member', 'keys.read'),
    ('member', 'keys.write'),
    ('member', 'users.read'),
    ('member', 'requests.read'),
    ('member', 'usage.read'),
    ('member', 'directs.write'),
    ('member', 'activity.read'),
    ('viewer', 'keys.read'),
    ('viewer', 'users.read'),
    ('viewer', 'requests.read'),
    ('viewer', 'usage.read'),
    ('viewer', 'activity.read');

GRANT SELECT ON latchkey.permissions TO latchkey_app;
GRANT SELECT ON latchkey.role_permissions TO latchkey_app;
