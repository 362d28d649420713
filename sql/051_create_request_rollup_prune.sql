-- 051: retention of the hourly rollups (045).  request_log_drop_partitions
-- (012) drops whole months of history, but the writer's rollups of those
-- months stayed, so request_rollup grew for good and GET /v1/usage kept
-- counting hours that GET /v1/requests no longer lists.  latchkeyctl
-- prune calls this right after dropping partitions, with the same bound.
--
-- The rule: the rollups of an hour go once no row of that hour can be
-- left in request_log, never earlier.  The bound used is the least of
--   * p_before, the caller's bound (prune passes the one it dropped by);
--   * the lower bound of the oldest partition still attached (read from
--     the catalog, so one made by hand or restored counts too; a MINVALUE
--     bound keeps every rollup);
--   * the oldest row older than that which is still in request_log: only
--     the default partition can hold one (it takes rows of months without
--     a partition), and it is normally empty, so this reads next to
--     nothing;
-- rounded down to its hour.  With prune's bound that is the first hour of
-- the oldest month kept: the month that holds p_before is kept whole, so
-- its days before p_before are still listed by GET /v1/requests and must
-- still be counted by GET /v1/usage.  A gap (an old month restored while
-- those after it are gone) keeps the rollups of the hours in between,
-- which is harmless: they count history only an older dump could bring
-- back.  A month whose history is restored after its rollups went needs
-- request_rollup_rebuild() for its hours (docs/deploy.md, "Restoring").
--
-- One DELETE, not batches: the rollups are small (at most one row per
-- org, mode, credential, status and hour, however many requests), a
-- month of them goes once a month, the writer touches only the current
-- hours' rows so it never waits on these, and one statement leaves
-- either all of them or none for the next run.
-- There is no index on hour (the writer would pay for it on every new
-- row): the daily run reads request_rollup once, off-peak.
--
-- The share-update-exclusive lock is request_log_drop_partitions': one
-- pruner at a time, and no partition attached or detached while the
-- bound is read.  Rows an old writer replay puts into the default
-- partition while this runs (history older than the retention, which
-- the writer does not hold) are not guarded against.

CREATE FUNCTION latchkey.request_rollup_prune(p_before timestamptz)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC'
    SET DateStyle = 'ISO, YMD'
    AS $$
DECLARE
	parent CONSTANT regclass := 'latchkey.request_log'::regclass;
	bound timestamptz := p_before;
	oldest timestamptz;
	pruned bigint;
BEGIN
	LOCK TABLE latchkey.request_log IN SHARE UPDATE EXCLUSIVE MODE;
	-- pg_get_expr prints a timestamptz bound in the session's TimeZone
	-- and DateStyle, pinned above, so it reads back exactly.  A bound
	-- that is not a quoted value (MINVALUE) counts as -infinity.
	SELECT min(COALESCE(substring(pg_get_expr(c.relpartbound, c.oid)
	    FROM $re$^FOR VALUES FROM \('([^']+)'\) TO $re$)::timestamptz,
	    '-infinity'))
	INTO oldest
	FROM pg_inherits i
	JOIN pg_class c ON c.oid = i.inhrelid
	JOIN pg_partitioned_table p ON p.partrelid = i.inhparent
	WHERE i.inhparent = parent AND c.oid <> p.partdefid;
	bound := least(bound, oldest);	-- least() skips a NULL
	-- No range partition reaches below bound now, so partition pruning
	-- leaves only the default one to read.
	SELECT min(created_at) INTO oldest
	FROM latchkey.request_log WHERE created_at < bound;
	bound := least(bound, oldest);
	DELETE FROM latchkey.request_rollup
	WHERE hour < date_trunc('hour', bound);
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

COMMENT ON FUNCTION latchkey.request_rollup_prune(timestamptz) IS
    'retention: delete the request_rollup rows of the hours before '
    'p_before that no request_log row left can be in; returns how many';

REVOKE ALL ON FUNCTION latchkey.request_rollup_prune(timestamptz)
    FROM PUBLIC;
