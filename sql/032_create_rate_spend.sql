-- 032: exact leases.  rate_lease (011) lost tokens: a lease unspent within
-- its second died with the tokens it held, and a host leased a tenth of
-- the limit at once even when that was the bucket's last tenth, so a
-- burst of L requests on a fresh key limited to L per minute was served
-- 34 to 51 times out of 60.  rate_spend takes back what a host did not
-- spend in time and leases only from a bucket with plenty left, so the
-- last tokens go one by one to the requests that spend them.
-- rate_lease stays for the login throttle (rate_take_login).

-- Gives back p_back tokens (the theoretical arrival time moves back by
-- that many emission intervals, never before now: a full bucket stays
-- full), then takes p_n tokens from p_bucket (limit p_limit per minute):
-- all p_n only while at least p_reserve * p_n are available, else at most
-- one.  The rest is rate_take's (010).
CREATE FUNCTION latchkey.rate_take_lease(p_bucket text, p_limit integer,
    p_n integer, p_back integer, p_reserve integer,
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
	back double precision := greatest(0, least(p_back, p_limit)) * t;
	tat double precision;
	avail integer;
	want integer := greatest(0, p_n);
BEGIN
	INSERT INTO latchkey.rate_state AS s (bucket, tat_ms)
	    VALUES (p_bucket, now_ms)
	    ON CONFLICT (bucket) DO UPDATE
	    SET tat_ms = greatest(s.tat_ms - back, now_ms)
	    RETURNING s.tat_ms INTO tat;
	-- The epsilon keeps floating point from losing the last token.
	avail := greatest(0, floor((now_ms + tau - tat) / t + 1e-9)::integer
	    + 1);
	IF want > 1 AND avail < want::bigint * greatest(1, p_reserve) THEN
		want := 1;
	END IF;
	granted := least(want, avail);
	IF granted > 0 THEN
		tat := tat + granted * t;
		UPDATE latchkey.rate_state SET tat_ms = tat
		    WHERE bucket = p_bucket;
	END IF;
	remaining := greatest(0, avail - granted);
	reset_ms := greatest(0, ceil(tat - now_ms))::integer;
	retry_ms := CASE WHEN granted = 0 AND p_n > 0
	    THEN greatest(1, ceil(tat - tau - now_ms))::integer ELSE 0 END;
END
$$;

COMMENT ON FUNCTION latchkey.rate_take_lease(text, integer, integer,
    integer, integer) IS
    'give back unspent tokens, then take a lease sized by what is left';

-- One bucket's part of rate_spend: a take (p_n > 0), a give-back alone,
-- or a look.
CREATE FUNCTION latchkey.rate_spend_one(p_bucket text, p_limit integer,
    p_n integer, p_back integer, p_reserve integer,
    OUT granted integer, OUT remaining integer, OUT reset_ms integer,
    OUT retry_ms integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	r record;
BEGIN
	IF p_n > 0 OR p_back > 0 THEN
		SELECT * INTO r FROM latchkey.rate_take_lease(p_bucket,
		    p_limit, p_n, p_back, p_reserve);
		granted := r.granted;
		remaining := r.remaining;
		reset_ms := r.reset_ms;
		retry_ms := r.retry_ms;
	ELSE
		SELECT * INTO r FROM latchkey.rate_peek(p_bucket, p_limit);
		granted := 0;
		remaining := r.remaining;
		reset_ms := r.reset_ms;
		retry_ms := 0;
	END IF;
END
$$;

-- rate_lease's contract (011) with give-backs and the reserve: takes
-- p_cred_n tokens from the credential's bucket and p_org_n from its org's
-- (0: only report the bucket), after giving each its p_*_back.  When the
-- credential's bucket grants nothing, nothing is taken from the org's.
CREATE FUNCTION latchkey.rate_spend(p_cred_bucket text,
    p_cred_limit integer, p_cred_n integer, p_cred_back integer,
    p_org_bucket text, p_org_limit integer, p_org_n integer,
    p_org_back integer, p_reserve integer,
    OUT cred_granted integer, OUT cred_remaining integer,
    OUT cred_reset_ms integer, OUT org_granted integer,
    OUT org_remaining integer, OUT org_reset_ms integer,
    OUT retry_ms integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	c record;
	o record;
BEGIN
	retry_ms := 0;
	SELECT * INTO c FROM latchkey.rate_spend_one(p_cred_bucket,
	    p_cred_limit, p_cred_n, p_cred_back, p_reserve);
	cred_granted := c.granted;
	cred_remaining := c.remaining;
	cred_reset_ms := c.reset_ms;
	IF p_cred_n > 0 AND c.granted = 0 THEN
		retry_ms := c.retry_ms;
		SELECT * INTO o FROM latchkey.rate_spend_one(p_org_bucket,
		    p_org_limit, 0, p_org_back, p_reserve);
	ELSE
		SELECT * INTO o FROM latchkey.rate_spend_one(p_org_bucket,
		    p_org_limit, p_org_n, p_org_back, p_reserve);
		IF p_org_n > 0 AND o.granted = 0 THEN
			retry_ms := o.retry_ms;
		END IF;
	END IF;
	org_granted := o.granted;
	org_remaining := o.remaining;
	org_reset_ms := o.reset_ms;
END
$$;

COMMENT ON FUNCTION latchkey.rate_spend(text, integer, integer, integer,
    text, integer, integer, integer, integer) IS
    'lease rate-limit tokens for a credential and its org, giving back '
    'what a host did not spend in time';

REVOKE ALL ON FUNCTION latchkey.rate_take_lease(text, integer, integer,
    integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.rate_spend_one(text, integer, integer,
    integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.rate_spend(text, integer, integer, integer,
    text, integer, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.rate_spend(text, integer, integer,
    integer, text, integer, integer, integer, integer) TO latchkey_app;
