-- 009: audit events, the security-relevant changes and attempts of an org.

CREATE TABLE latchkey.audit_events (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id		uuid
	    CONSTRAINT audit_events_org_id_fkey REFERENCES latchkey.orgs (id)
	    ON DELETE CASCADE,
	mode		text
	    CONSTRAINT audit_events_mode_check CHECK (mode IN ('live', 'test')),
	action		text NOT NULL
	    CONSTRAINT audit_events_action_check
	    CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
	actor_kind	text NOT NULL
	    CONSTRAINT audit_events_actor_kind_check
	    CHECK (actor_kind IN ('none', 'user', 'api_key', 'service',
		'direct')),
	actor_id	uuid,
	user_id		uuid,
	target_type	text,
	target_id	uuid,
	detail		jsonb NOT NULL DEFAULT '{}',
	client_ip	text,
	request_id	text,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_events_org_created_idx
    ON latchkey.audit_events (org_id, created_at DESC, id DESC);

COMMENT ON TABLE latchkey.audit_events IS
    'security-relevant events: logins, user and key changes, denials';
COMMENT ON COLUMN latchkey.audit_events.action IS
    'what happened, as noun.verb: login.succeeded, api_key.revoked...';
COMMENT ON COLUMN latchkey.audit_events.actor_id IS
    'the key or user that acted (the user for a login token)';

ALTER TABLE latchkey.audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.audit_events FORCE ROW LEVEL SECURITY;

-- Events of every mode belong to the org's one audit trail.
CREATE POLICY audit_events_tenant ON latchkey.audit_events TO latchkey_app
    USING (org_id = latchkey.current_org_id())
    WITH CHECK (org_id = latchkey.current_org_id());
CREATE POLICY audit_events_owner ON latchkey.audit_events TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT, INSERT ON latchkey.audit_events TO latchkey_app;

-- Events recorded outside an org transaction (a failed login, a denial)
-- come through the request-history writer in batches.
CREATE FUNCTION latchkey.append_events(p_rows jsonb)
    RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	WITH ins AS (
		INSERT INTO latchkey.audit_events (org_id, mode, action,
		    actor_kind, actor_id, user_id, target_type, target_id,
		    detail, client_ip, request_id, created_at)
		SELECT r.org_id, r.mode, r.action, r.actor_kind, r.actor_id,
		    r.user_id, r.target_type, r.target_id,
		    coalesce(r.detail, '{}'), r.client_ip, r.request_id,
		    coalesce(r.created_at, now())
		FROM jsonb_populate_recordset(NULL::latchkey.audit_events,
		    p_rows) r
		-- An org deleted meanwhile takes its events with it.
		WHERE r.org_id IS NULL OR EXISTS (SELECT 1 FROM latchkey.orgs o
		    WHERE o.id = r.org_id)
		RETURNING 1
	)
	SELECT count(*)::integer FROM ins
    $$;

COMMENT ON FUNCTION latchkey.append_events(jsonb) IS
    'writer: append a batch of audit events (JSON array of objects)';

REVOKE ALL ON FUNCTION latchkey.append_events(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.append_events(jsonb) TO latchkey_app;
