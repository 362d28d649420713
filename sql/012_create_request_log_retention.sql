-- 012: retention of the request history and of the rate-limit state.
-- latchkeyctl prune calls both functions as the owner role; the runtime
-- role never does.

-- Detaches and drops every monthly partition of latchkey.request_log that
-- lies wholly before p_before (its upper bound <= p_before), oldest first,
-- and returns the names dropped.  Only names that
-- latchkey.request_log_ensure_partitions() generates are considered,
-- and the bound is read from the name: request_log_yYYYYmMM holds
-- [YYYY-MM-01, the next month) in UTC.  The default partition is never
-- touched.
CREATE FUNCTION latchkey.request_log_drop_partitions(p_before timestamptz)
    RETURNS SETOF text
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	parent CONSTANT regclass := 'latchkey.request_log'::regclass;
	part text;
	yr integer;
	mon integer;
	upper_bound timestamptz;
BEGIN
	-- One pruner at a time: a second one waits here, then no longer
	-- sees what the first dropped.
	LOCK TABLE latchkey.request_log IN SHARE UPDATE EXCLUSIVE MODE;
	FOR part IN
		SELECT c.relname
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_partitioned_table p ON p.partrelid = i.inhparent
		WHERE i.inhparent = parent
		    AND c.relnamespace = 'latchkey'::regnamespace
		    AND c.oid <> p.partdefid
		    AND c.relispartition AND c.relkind = 'r'
		    AND c.relname ~ '^request_log_y[0-9]{4}m[0-9]{2}$'
		ORDER BY c.relname
	LOOP
		yr := substr(part, 14, 4)::integer;
		mon := substr(part, 19, 2)::integer;
		-- Not a name ensure_partitions makes: leave it alone.
		CONTINUE WHEN yr < 1 OR mon NOT BETWEEN 1 AND 12;
		-- Month arithmetic on a timestamp without time zone, so the
		-- session's TimeZone cannot shift the bound.
		upper_bound := (make_timestamp(yr, mon, 1, 0, 0, 0)
		    + interval '1 month') AT TIME ZONE 'UTC';
		CONTINUE WHEN upper_bound > p_before;
		-- DDL takes no parameters: format(%I) quotes the identifier.
		EXECUTE format('ALTER TABLE latchkey.request_log '
		    'DETACH PARTITION latchkey.%I', part);
		EXECUTE format('DROP TABLE latchkey.%I', part);
		RETURN NEXT part;
	END LOOP;
	RETURN;
END
$$;

COMMENT ON FUNCTION latchkey.request_log_drop_partitions(timestamptz) IS
    'retention: detach and drop the monthly request_log partitions whose '
    'upper bound is at or before p_before; returns their names';

REVOKE ALL ON FUNCTION latchkey.request_log_drop_partitions(timestamptz)
    FROM PUBLIC;

-- Deletes the rate_state rows whose theoretical arrival time is past:
-- such a bucket is full, exactly as if it had no row, so rate_take()
-- behaves the same without it.  A bucket in use is row-locked by
-- rate_take() and rechecked after its update, so it is not lost.
CREATE FUNCTION latchkey.rate_state_prune()
    RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	now_ms double precision := extract(epoch FROM clock_timestamp())
	    * 1000;
	pruned integer;
BEGIN
	DELETE FROM latchkey.rate_state WHERE tat_ms < now_ms;
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

COMMENT ON FUNCTION latchkey.rate_state_prune() IS
    'retention: delete the rate_state rows of full buckets (tat_ms in the '
    'past); returns how many';

REVOKE ALL ON FUNCTION latchkey.rate_state_prune() FROM PUBLIC;
