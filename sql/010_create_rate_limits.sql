-- 010: rate limits.  GCRA (the generic cell rate algorithm): one number
-- per bucket, the theoretical arrival time (TAT) of the next request.  A
-- limit of L per minute admits a burst of L, then one request every
-- 60/L seconds; there is no window edge where twice the limit slips
-- through, and the state is a single row update.

CREATE UNLOGGED TABLE latchkey.rate_state (
	bucket		text PRIMARY KEY,
	tat_ms		double precision NOT NULL
);

COMMENT ON TABLE latchkey.rate_state IS
    'GCRA state per bucket (key, user, org, login IP or email); UNLOGGED: '
    'a crash forgets it, which errs in the caller''s favour for at most a '
    'minute.  Rows whose tat_ms is past are full buckets and may go.';

-- No grants: only the functions below touch it.

-- Takes up to p_n tokens from p_bucket (limit p_limit per minute).
-- Returns how many were granted, how many remain, when the bucket is full
-- again and, if not all were granted, when to retry (milliseconds).
CREATE FUNCTION latchkey.rate_take(p_bucket text, p_limit integer,
    p_n integer,
    OUT granted integer, OUT remaining integer, OUT reset_ms integer,
    OUT retry_ms integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	now_ms double precision := extract(epoch FROM clock_timestamp())
	    * 1000;
	t double precision := 60000.0 / p_limit;	-- emission interval
	tau double precision := 60000.0 - t;		-- burst tolerance
	tat double precision;
BEGIN
	INSERT INTO latchkey.rate_state AS s (bucket, tat_ms)
	    VALUES (p_bucket, now_ms)
	    ON CONFLICT (bucket) DO UPDATE
	    SET tat_ms = greatest(s.tat_ms, now_ms)
	    RETURNING s.tat_ms INTO tat;
	-- The epsilon keeps floating point from losing the last token.
	granted := least(p_n, greatest(0,
	    floor((now_ms + tau - tat) / t + 1e-9)::integer + 1));
	IF granted > 0 THEN
		tat := tat + granted * t;
		UPDATE latchkey.rate_state SET tat_ms = tat
		    WHERE bucket = p_bucket;
	END IF;
	remaining := greatest(0, floor((now_ms + tau - tat) / t + 1e-9)
	    ::integer + 1);
	reset_ms := greatest(0, ceil(tat - now_ms))::integer;
	retry_ms := CASE WHEN granted < p_n
	    THEN greatest(1, ceil(tat - tau - now_ms))::integer ELSE 0 END;
END
$$;

-- Reads a bucket without taking from it.
CREATE FUNCTION latchkey.rate_peek(p_bucket text, p_limit integer,
    OUT remaining integer, OUT reset_ms integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	now_ms double precision := extract(epoch FROM clock_timestamp())
	    * 1000;
	t double precision := 60000.0 / p_limit;
	tat double precision;
BEGIN
	SELECT greatest(s.tat_ms, now_ms) INTO tat
	    FROM latchkey.rate_state s WHERE s.bucket = p_bucket;
	tat := coalesce(tat, now_ms);
	remaining := least(p_limit, greatest(0,
	    floor((now_ms + 60000.0 - t - tat) / t + 1e-9)::integer + 1));
	reset_ms := greatest(0, ceil(tat - now_ms))::integer;
END
$$;

REVOKE ALL ON FUNCTION latchkey.rate_take(text, integer, integer)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.rate_peek(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.rate_take(text, integer, integer)
    TO latchkey_app;
GRANT EXECUTE ON FUNCTION latchkey.rate_peek(text, integer)
    TO latchkey_app;
