-- 025: the request history says when a record had to be made into text
-- (invalid UTF-8 or NUL escaped as \xHH), and appending a batch is
-- idempotent: the writer replays, after a crash, the records whose commit
-- it had not yet acknowledged, and the row ids it replays are the ones
-- the workers generated, so a row already committed is skipped.

ALTER TABLE latchkey.request_log
    ADD COLUMN sanitized boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN latchkey.request_log.sanitized IS
    'true when bytes of the request (path, query, user agent, bodies) were '
    'not UTF-8 text and were recorded escaped as \xHH';

CREATE OR REPLACE FUNCTION latchkey.append_requests(p_rows jsonb)
    RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	WITH ins AS (
		INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
		    role, credential_kind, credential_id, user_id, method,
		    path, query, status, error_code, duration_us, client_ip,
		    user_agent, request_body, response_body, created_at,
		    sanitized)
		SELECT r.id, r.request_id, r.org_id, r.mode, r.role,
		    r.credential_kind, r.credential_id, r.user_id, r.method,
		    r.path, r.query, r.status, r.error_code, r.duration_us,
		    r.client_ip, r.user_agent, r.request_body,
		    r.response_body, r.created_at, coalesce(r.sanitized, false)
		FROM jsonb_populate_recordset(NULL::latchkey.request_log,
		    p_rows) r
		-- A replayed row (same id and created_at) is already there.
		ON CONFLICT DO NOTHING
		RETURNING 1
	)
	SELECT count(*)::integer FROM ins
    $$;

COMMENT ON FUNCTION latchkey.append_requests(jsonb) IS
    'writer: append a batch of request_log rows (JSON array of objects); '
    'rows whose (id, created_at) exists are skipped';
