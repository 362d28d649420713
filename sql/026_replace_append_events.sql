-- 026: audit events sent through the request-history writer carry the id
-- the worker generated, so a batch the writer replays after a crash does
-- not record an event twice.

CREATE OR REPLACE FUNCTION latchkey.append_events(p_rows jsonb)
    RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	WITH ins AS (
		INSERT INTO latchkey.audit_events (id, org_id, mode, action,
		    actor_kind, actor_id, user_id, target_type, target_id,
		    detail, client_ip, request_id, created_at)
		SELECT coalesce(r.id, gen_random_uuid()), r.org_id, r.mode,
		    r.action, r.actor_kind, r.actor_id, r.user_id,
		    r.target_type, r.target_id, coalesce(r.detail, '{}'),
		    r.client_ip, r.request_id, coalesce(r.created_at, now())
		FROM jsonb_populate_recordset(NULL::latchkey.audit_events,
		    p_rows) r
		-- An org deleted meanwhile takes its events with it.
		WHERE r.org_id IS NULL OR EXISTS (SELECT 1 FROM latchkey.orgs o
		    WHERE o.id = r.org_id)
		ON CONFLICT (id) DO NOTHING
		RETURNING 1
	)
	SELECT count(*)::integer FROM ins
    $$;

COMMENT ON FUNCTION latchkey.append_events(jsonb) IS
    'writer: append a batch of audit events (JSON array of objects); an '
    'event whose id exists is skipped';
