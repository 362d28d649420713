-- 011: authentication and rate limiting in one round trip.  latchkeyd
-- calls one of these per authenticated request: the identity behind the
-- credential and the decision of its rate limits come back together.

-- Takes one token from the credential's bucket, then (if granted) one from
-- the org's bucket of that mode.
CREATE FUNCTION latchkey.rate_take_pair(p_cred_bucket text,
    p_cred_limit integer, p_org_bucket text, p_org_limit integer,
    OUT allowed boolean, OUT cred_remaining integer,
    OUT cred_reset_ms integer, OUT org_remaining integer,
    OUT org_reset_ms integer, OUT retry_ms integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	c record;
	o record;
BEGIN
	SELECT * INTO c FROM latchkey.rate_take(p_cred_bucket, p_cred_limit, 1);
	cred_remaining := c.remaining;
	cred_reset_ms := c.reset_ms;
	IF c.granted = 0 THEN
		SELECT * INTO o FROM latchkey.rate_peek(p_org_bucket,
		    p_org_limit);
		allowed := false;
		org_remaining := o.remaining;
		org_reset_ms := o.reset_ms;
		retry_ms := c.retry_ms;
		RETURN;
	END IF;
	SELECT * INTO o FROM latchkey.rate_take(p_org_bucket, p_org_limit, 1);
	allowed := o.granted = 1;
	org_remaining := o.remaining;
	org_reset_ms := o.reset_ms;
	retry_ms := o.retry_ms;
END
$$;

REVOKE ALL ON FUNCTION latchkey.rate_take_pair(text, integer, text, integer)
    FROM PUBLIC;
-- Login throttling takes from a client-address and an email bucket.
GRANT EXECUTE ON FUNCTION latchkey.rate_take_pair(text, integer, text,
    integer) TO latchkey_app;

CREATE FUNCTION latchkey.authenticate_key(p_hash bytea)
    RETURNS TABLE (key_id uuid, org_id uuid, mode text,
	permissions text[], expired boolean, revoked boolean,
	org_active boolean, user_id uuid, user_role text,
	user_disabled boolean, cred_limit integer, org_limit integer,
	allowed boolean, cred_remaining integer, cred_reset_ms integer,
	org_remaining integer, org_reset_ms integer, retry_ms integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	i record;
	lim record;
	r record;
BEGIN
	SELECT * INTO i FROM latchkey.api_key_identity(p_hash);
	IF NOT FOUND THEN
		RETURN;
	END IF;
	key_id := i.key_id;
	org_id := i.org_id;
	mode := i.mode;
	permissions := i.permissions;
	expired := i.expired;
	revoked := i.revoked;
	org_active := i.org_active;
	user_id := i.user_id;
	user_role := i.user_role;
	user_disabled := i.user_disabled;
	-- A refused credential costs no budget.
	IF i.expired OR i.revoked OR NOT i.org_active OR i.user_disabled THEN
		RETURN NEXT;
		RETURN;
	END IF;
	SELECT coalesce(i.rate_limit_per_min, p.key_rate_per_min) AS cred,
	    coalesce(o.rate_limit_per_min, p.org_rate_per_min) AS org
	    INTO lim
	    FROM latchkey.orgs o JOIN latchkey.plans p ON p.id = o.plan_id
	    WHERE o.id = i.org_id;
	cred_limit := lim.cred;
	org_limit := lim.org;
	SELECT * INTO r FROM latchkey.rate_take_pair('key:' || i.key_id,
	    lim.cred, 'org:' || i.org_id || ':' || i.mode, lim.org);
	allowed := r.allowed;
	cred_remaining := r.cred_remaining;
	cred_reset_ms := r.cred_reset_ms;
	org_remaining := r.org_remaining;
	org_reset_ms := r.org_reset_ms;
	retry_ms := r.retry_ms;
	RETURN NEXT;
END
$$;

COMMENT ON FUNCTION latchkey.authenticate_key(bytea) IS
    'the identity behind a key hash and its rate-limit decision';

CREATE FUNCTION latchkey.authenticate_user(p_user uuid, p_org uuid,
    p_mode text, p_ver integer)
    RETURNS TABLE (email text, role text, token_version integer,
	disabled boolean, org_active boolean, cred_limit integer,
	org_limit integer, allowed boolean, cred_remaining integer,
	cred_reset_ms integer, org_remaining integer, org_reset_ms integer,
	retry_ms integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	u record;
	r record;
BEGIN
	SELECT us.email, us.role, us.token_version, us.disabled,
	    o.active, p.key_rate_per_min,
	    coalesce(o.rate_limit_per_min, p.org_rate_per_min) AS org_rate
	    INTO u
	    FROM latchkey.users us
	    JOIN latchkey.orgs o ON o.id = us.org_id
	    JOIN latchkey.plans p ON p.id = o.plan_id
	    WHERE us.id = p_user AND us.org_id = p_org;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	email := u.email;
	role := u.role;
	token_version := u.token_version;
	disabled := u.disabled;
	org_active := u.active;
	-- A refused token (revoked by a newer version) costs no budget.
	IF u.disabled OR NOT u.active OR u.token_version <> p_ver THEN
		RETURN NEXT;
		RETURN;
	END IF;
	cred_limit := u.key_rate_per_min;
	org_limit := u.org_rate;
	SELECT * INTO r FROM latchkey.rate_take_pair(
	    'user:' || p_user || ':' || p_mode, u.key_rate_per_min,
	    'org:' || p_org || ':' || p_mode, u.org_rate);
	allowed := r.allowed;
	cred_remaining := r.cred_remaining;
	cred_reset_ms := r.cred_reset_ms;
	org_remaining := r.org_remaining;
	org_reset_ms := r.org_reset_ms;
	retry_ms := r.retry_ms;
	RETURN NEXT;
END
$$;

COMMENT ON FUNCTION latchkey.authenticate_user(uuid, uuid, text, integer) IS
    'the user behind a verified login token and its rate-limit decision';

REVOKE ALL ON FUNCTION latchkey.authenticate_key(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.authenticate_user(uuid, uuid, text, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.authenticate_key(bytea) TO latchkey_app;
GRANT EXECUTE ON FUNCTION latchkey.authenticate_user(uuid, uuid, text, integer)
    TO latchkey_app;
