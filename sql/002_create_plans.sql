-- 002: plans, the rate-limit defaults an org inherits.

CREATE TABLE latchkey.plans (
	id			text PRIMARY KEY
	    CONSTRAINT plans_id_check CHECK (id ~ '^[a-z0-9_]{1,32}$'),
	name			text NOT NULL,
	key_rate_per_min	integer NOT NULL
	    CONSTRAINT plans_key_rate_check CHECK (key_rate_per_min > 0),
	org_rate_per_min	integer NOT NULL
	    CONSTRAINT plans_org_rate_check CHECK (org_rate_per_min > 0),
	created_at		timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE latchkey.plans IS
    'rate-limit plans; not org-owned, readable by the runtime role';
COMMENT ON COLUMN latchkey.plans.key_rate_per_min IS
    'requests per minute per API key, unless the key overrides it';
COMMENT ON COLUMN latchkey.plans.org_rate_per_min IS
    'requests per minute for all credentials of one org together';

INSERT INTO latchkey.plans (id, name, key_rate_per_min, org_rate_per_min)
    VALUES ('default', 'Default', 60, 1000);

GRANT SELECT ON latchkey.plans TO latchkey_app;
