-- 045: hourly rollups of the request history, so that GET /v1/usage
-- reads a few rows per key and hour instead of scanning request_log.
-- The history writer maintains them in the transaction that appends the
-- rows (it aggregates each batch in C and calls request_rollup_add()
-- once), so a rollup never counts a row that is not committed, nor
-- misses one that is.  Rows without an org (refused before one was
-- known) are not rolled up: no org's usage shows them.
--
-- On a large history the backfill at the end of this file reads all of
-- request_log once; run it when a pause is fine.  Rows the previous
-- latchkeyd writes between this migration and its upgrade are missing
-- from the rollups until request_rollup_rebuild() is run for their
-- hours (see docs/deploy.md, "Cost that does not grow").

CREATE TABLE latchkey.request_rollup (
	org_id		uuid NOT NULL,
	mode		text NOT NULL
	    CONSTRAINT request_rollup_mode_check
	    CHECK (mode IN ('live', 'test')),
	hour		timestamptz NOT NULL,
	credential_kind	text NOT NULL,
	credential_id	uuid,
	status		smallint NOT NULL,
	requests	bigint NOT NULL
	    CONSTRAINT request_rollup_requests_check CHECK (requests > 0),
	duration_us	bigint NOT NULL,
	CONSTRAINT request_rollup_key UNIQUE NULLS NOT DISTINCT
	    (org_id, mode, hour, credential_kind, credential_id, status)
) WITH (fillfactor = 70);

COMMENT ON TABLE latchkey.request_rollup IS
    'request history counted per org, mode, UTC hour, credential and '
    'status; maintained by the history writer with its rows';
COMMENT ON COLUMN latchkey.request_rollup.hour IS
    'start of the UTC hour the rows were created in';
COMMENT ON COLUMN latchkey.request_rollup.credential_id IS
    'the API key or direct id, as request_log.credential_id; NULL for '
    'users and anonymous requests (credential_kind says which)';
COMMENT ON COLUMN latchkey.request_rollup.duration_us IS
    'sum of the rows'' duration_us';

ALTER TABLE latchkey.request_rollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE latchkey.request_rollup FORCE ROW LEVEL SECURITY;

CREATE POLICY request_rollup_tenant ON latchkey.request_rollup
    TO latchkey_app
    USING (org_id = latchkey.current_org_id()
	AND mode = latchkey.current_mode());
CREATE POLICY request_rollup_owner ON latchkey.request_rollup
    TO latchkey_owner
    USING (true) WITH CHECK (true);

GRANT SELECT ON latchkey.request_rollup TO latchkey_app;

-- The writer's one call per batch: the batch's groups as parallel
-- arrays (hours as Unix seconds, aligned to the hour by the caller),
-- added to the rollup rows.  Sorted by key, so that writers on several
-- hosts lock shared rows in the same order and cannot deadlock.
CREATE FUNCTION latchkey.request_rollup_add(p_org uuid[], p_mode text[],
    p_hour bigint[], p_kind text[], p_cred uuid[], p_status smallint[],
    p_requests bigint[], p_duration bigint[])
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	INSERT INTO latchkey.request_rollup AS r (org_id, mode, hour,
	    credential_kind, credential_id, status, requests, duration_us)
	SELECT u.o, u.m, to_timestamp(u.h), u.k, u.c, u.s, u.n, u.d
	FROM unnest(p_org, p_mode, p_hour, p_kind, p_cred, p_status,
	    p_requests, p_duration) AS u(o, m, h, k, c, s, n, d)
	WHERE u.o IS NOT NULL AND u.m IS NOT NULL AND u.n > 0
	ORDER BY u.o, u.m, u.h, u.k, u.c, u.s
	ON CONFLICT (org_id, mode, hour, credential_kind, credential_id,
	    status)
	DO UPDATE SET requests = r.requests + excluded.requests,
	    duration_us = r.duration_us + excluded.duration_us
    $$;

COMMENT ON FUNCTION latchkey.request_rollup_add(uuid[], text[], bigint[],
    text[], uuid[], smallint[], bigint[], bigint[]) IS
    'writer: add one batch''s groups (parallel arrays) to request_rollup';

-- After a replay (INSERT ... ON CONFLICT DO NOTHING of rows that may be
-- committed already), only the rows this transaction inserted may be
-- counted: those whose xmin is the current transaction.  Called after
-- the insert, in the same transaction, with the replayed rows' keys
-- (created_at as microseconds since the Unix epoch, exact).
CREATE FUNCTION latchkey.request_rollup_add_replayed(p_id uuid[],
    p_created_us bigint[])
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
	INSERT INTO latchkey.request_rollup AS r (org_id, mode, hour,
	    credential_kind, credential_id, status, requests, duration_us)
	SELECT l.org_id, l.mode,
	    date_trunc('hour', l.created_at AT TIME ZONE 'UTC')
		AT TIME ZONE 'UTC',
	    l.credential_kind, l.credential_id, l.status, count(*),
	    sum(l.duration_us)
	FROM unnest(p_id, p_created_us) AS u(id, us)
	JOIN latchkey.request_log l ON l.id = u.id
	    AND l.created_at = to_timestamp(0) + u.us * interval '1 microsecond'
	WHERE l.org_id IS NOT NULL AND l.mode IS NOT NULL
	    AND l.xmin::text::bigint =
		pg_current_xact_id()::text::bigint % 4294967296
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (org_id, mode, hour, credential_kind, credential_id,
	    status)
	DO UPDATE SET requests = r.requests + excluded.requests,
	    duration_us = r.duration_us + excluded.duration_us
    $$;

COMMENT ON FUNCTION latchkey.request_rollup_add_replayed(uuid[],
    bigint[]) IS
    'writer: count in request_rollup the given request_log rows that the '
    'current transaction inserted (after a replay)';

-- Recomputes the rollups of the hours in [p_from, p_to) from
-- request_log: after this migration, after loading history by other
-- means (bench/fill), or to repair.  Owner only.
CREATE FUNCTION latchkey.request_rollup_rebuild(p_from timestamptz,
    p_to timestamptz)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC'
    AS $$
DECLARE
	lo CONSTANT timestamptz := date_trunc('hour', p_from);
	hi CONSTANT timestamptz := date_trunc('hour', p_to)
	    + CASE WHEN date_trunc('hour', p_to) = p_to
		THEN interval '0' ELSE interval '1 hour' END;
	made bigint;
BEGIN
	DELETE FROM latchkey.request_rollup WHERE hour >= lo AND hour < hi;
	INSERT INTO latchkey.request_rollup (org_id, mode, hour,
	    credential_kind, credential_id, status, requests, duration_us)
	SELECT org_id, mode, date_trunc('hour', created_at),
	    credential_kind, credential_id, status, count(*),
	    sum(duration_us)
	FROM latchkey.request_log
	WHERE created_at >= lo AND created_at < hi
	    AND org_id IS NOT NULL AND mode IS NOT NULL
	GROUP BY 1, 2, 3, 4, 5, 6;
	GET DIAGNOSTICS made = ROW_COUNT;
	RETURN made;
END
$$;

COMMENT ON FUNCTION latchkey.request_rollup_rebuild(timestamptz,
    timestamptz) IS
    'recompute request_rollup for the UTC hours overlapping '
    '[p_from, p_to) from request_log; returns the rollup rows made';

REVOKE ALL ON FUNCTION latchkey.request_rollup_add(uuid[], text[],
    bigint[], text[], uuid[], smallint[], bigint[], bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.request_rollup_add_replayed(uuid[],
    bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.request_rollup_rebuild(timestamptz,
    timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.request_rollup_add(uuid[], text[],
    bigint[], text[], uuid[], smallint[], bigint[], bigint[])
    TO latchkey_writer;
GRANT EXECUTE ON FUNCTION latchkey.request_rollup_add_replayed(uuid[],
    bigint[]) TO latchkey_writer;

SELECT latchkey.request_rollup_rebuild('-infinity', 'infinity');
