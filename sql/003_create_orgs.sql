-- 003: organizations, the tenants.

CREATE TABLE latchkey.orgs (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name			text NOT NULL
	    CONSTRAINT orgs_name_check CHECK (length(name) BETWEEN 1 AND 200),
	plan_id			text NOT NULL DEFAULT 'default'
	    CONSTRAINT orgs_plan_id_fkey REFERENCES latchkey.plans (id)
	    ON DELETE RESTRICT,
	rate_limit_per_min	integer
	    CONSTRAINT orgs_rate_limit_check CHECK (rate_limit_per_min > 0),
	active			boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE latchkey.orgs IS
    'tenants; every org-owned row references one, and RLS scopes to it';
COMMENT ON COLUMN latchkey.orgs.rate_limit_per_min IS
    'org-wide limit overriding the plan''s, NULL to use the plan';
COMMENT ON COLUMN latchkey.orgs.active IS
    'an inactive org''s credentials are all refused';

ALTER TABLE latchkey.orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.orgs FORCE ROW LEVEL SECURITY;

-- The runtime role sees and creates only the org of its transaction.
-- Signup picks the new org's id first, sets it, then inserts.
CREATE POLICY orgs_tenant ON latchkey.orgs TO latchkey_app
    USING (id = latchkey.current_org_id())
    WITH CHECK (id = latchkey.current_org_id());
-- The owner role (latchkeyctl, and the SECURITY DEFINER look-ups that run
-- before an org is known) sees every row.
CREATE POLICY orgs_owner ON latchkey.orgs TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE ON latchkey.orgs TO latchkey_app;
