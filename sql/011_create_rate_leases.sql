-- 011: leases of rate-limit budget.  latchkeyd hosts keep the tokens they
-- lease in shared memory and spend them without a round trip; a lease is
-- taken from the same GCRA buckets (010), so every host draws on one
-- budget.  A token leased and not spent within its lease (a second) is
-- lost: an error in the caller's disfavour, never in its favour.

-- Takes p_cred_n tokens from the credential's bucket and p_org_n from its
-- org's (0: only report the bucket).  When the credential's bucket grants
-- nothing, the org's is not touched.
CREATE FUNCTION latchkey.rate_lease(p_cred_bucket text, p_cred_limit integer,
    p_cred_n integer, p_org_bucket text, p_org_limit integer,
    p_org_n integer,
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
	cred_granted := 0;
	org_granted := 0;
	retry_ms := 0;
	IF p_cred_n > 0 THEN
		SELECT * INTO c FROM latchkey.rate_take(p_cred_bucket,
		    p_cred_limit, p_cred_n);
		cred_granted := c.granted;
		cred_remaining := c.remaining;
		cred_reset_ms := c.reset_ms;
		IF c.granted = 0 THEN
			retry_ms := c.retry_ms;
		END IF;
	ELSE
		SELECT * INTO c FROM latchkey.rate_peek(p_cred_bucket,
		    p_cred_limit);
		cred_remaining := c.remaining;
		cred_reset_ms := c.reset_ms;
	END IF;
	IF p_org_n > 0 AND (p_cred_n = 0 OR cred_granted > 0) THEN
		SELECT * INTO o FROM latchkey.rate_take(p_org_bucket,
		    p_org_limit, p_org_n);
		org_granted := o.granted;
		org_remaining := o.remaining;
		org_reset_ms := o.reset_ms;
		IF o.granted = 0 THEN
			retry_ms := o.retry_ms;
		END IF;
	ELSE
		SELECT * INTO o FROM latchkey.rate_peek(p_org_bucket,
		    p_org_limit);
		org_remaining := o.remaining;
		org_reset_ms := o.reset_ms;
	END IF;
END
$$;

COMMENT ON FUNCTION latchkey.rate_lease(text, integer, integer, text,
    integer, integer) IS
    'lease rate-limit tokens for a credential and its org';

-- Login throttling: one token from a client-address bucket, then (if
-- granted) one from an email bucket, both at p_limit per minute.
CREATE FUNCTION latchkey.rate_take_login(p_ip_bucket text, p_limit integer,
    p_email_bucket text, OUT allowed boolean, OUT retry_ms integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	r record;
BEGIN
	SELECT * INTO r FROM latchkey.rate_lease(p_ip_bucket, p_limit, 1,
	    p_email_bucket, p_limit, 1);
	allowed := r.cred_granted = 1 AND r.org_granted = 1;
	retry_ms := r.retry_ms;
END
$$;

COMMENT ON FUNCTION latchkey.rate_take_login(text, integer, text) IS
    'login throttling per client address and per email';

REVOKE ALL ON FUNCTION latchkey.rate_lease(text, integer, integer, text,
    integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.rate_take_login(text, integer, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.rate_lease(text, integer, integer, text,
    integer, integer) TO latchkey_app;
GRANT EXECUTE ON FUNCTION latchkey.rate_take_login(text, integer, text)
    TO latchkey_app;
