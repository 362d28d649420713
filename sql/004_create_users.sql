-- 004: users, the people of an org who log in.

CREATE TABLE latchkey.users (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id		uuid NOT NULL
	    CONSTRAINT users_org_id_fkey REFERENCES latchkey.orgs (id)
	    ON DELETE CASCADE,
	email		text NOT NULL
	    CONSTRAINT users_email_check
	    CHECK (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
	password_hash	text NOT NULL
	    CONSTRAINT users_password_hash_check
	    CHECK (password_hash ~ '^\$2[aby]\$'),
	role		text NOT NULL
	    CONSTRAINT users_role_check
	    CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	token_version	integer NOT NULL DEFAULT 1,
	disabled	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- One account per address across the whole deployment, whatever the case.
CREATE UNIQUE INDEX users_email_key ON latchkey.users (lower(email));
-- Keyset pagination of an org's members.
CREATE INDEX users_org_id_created_at_idx
    ON latchkey.users (org_id, created_at, id);

COMMENT ON TABLE latchkey.users IS
    'members of an org; login by email and bcrypt password';
COMMENT ON COLUMN latchkey.users.password_hash IS 'bcrypt ($2b$) hash';
COMMENT ON COLUMN latchkey.users.token_version IS
    'copied into every JWT as "ver"; bumping it invalidates them all';

ALTER TABLE latchkey.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.users FORCE ROW LEVEL SECURITY;

CREATE POLICY users_tenant ON latchkey.users TO latchkey_app
    USING (org_id = latchkey.current_org_id())
    WITH CHECK (org_id = latchkey.current_org_id());
CREATE POLICY users_owner ON latchkey.users TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON latchkey.users TO latchkey_app;
