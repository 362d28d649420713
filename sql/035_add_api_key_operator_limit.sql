-- 035: the operator's rate limit of one API key.  An org sets its keys'
-- limits through the API (rate_limit_per_min) up to a cap: the plan's
-- key rate, or, once the operator has set one with `latchkeyctl key
-- set-limit`, the key's operator limit, above or below the plan's.  The
-- cap binds the runtime role here too, so a handler that forgot it, or
-- raced an operator lowering a plan, still cannot give a key more than
-- its cap, nor set the operator limit at all.
--
-- A key's effective limit stays what api_key_identity (017) computes:
-- its own rate_limit_per_min, else its plan's key rate.  latchkeyctl
-- keeps the own limit within the cap when it lowers a plan or moves an
-- org to another one; `key set-limit` sets both columns.

ALTER TABLE latchkey.api_keys
    ADD COLUMN operator_rate_limit_per_min integer
    CONSTRAINT api_keys_operator_rate_limit_check
    CHECK (operator_rate_limit_per_min > 0);

COMMENT ON COLUMN latchkey.api_keys.rate_limit_per_min IS
    'requests per minute of this key, NULL to use its plan''s key rate; '
    'at most operator_rate_limit_per_min, else the plan''s, unless set '
    'by the owner role';
COMMENT ON COLUMN latchkey.api_keys.operator_rate_limit_per_min IS
    'set by the operator (latchkeyctl key set-limit): the most the org '
    'may give the key through the API, in place of the plan''s key rate; '
    'NULL: the plan''s key rate is the cap';

-- Before a key is written: the owner role (latchkeyctl, the DBA) may set
-- anything; any other role may not touch the operator limit, and may set
-- an own limit only up to the cap.  Reads the org's plan as the invoker:
-- under row-level security the runtime role sees its own org, the one
-- the key belongs to; an org it cannot see has no cap to give.
CREATE FUNCTION latchkey.api_keys_check_rate_limit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	cap integer;
BEGIN
	IF pg_has_role(current_user, (SELECT n.nspowner FROM pg_namespace n
	    WHERE n.nspname = 'latchkey'), 'USAGE') THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' THEN
		IF NEW.operator_rate_limit_per_min IS NOT NULL THEN
			RAISE EXCEPTION 'only the operator sets '
			    'operator_rate_limit_per_min'
			    USING ERRCODE = 'insufficient_privilege';
		END IF;
	ELSIF NEW.operator_rate_limit_per_min IS DISTINCT FROM
	    OLD.operator_rate_limit_per_min THEN
		RAISE EXCEPTION 'only the operator sets '
		    'operator_rate_limit_per_min'
		    USING ERRCODE = 'insufficient_privilege';
	ELSIF NEW.rate_limit_per_min IS NOT DISTINCT FROM
	    OLD.rate_limit_per_min THEN
		RETURN NEW;
	END IF;
	IF NEW.rate_limit_per_min IS NULL THEN
		RETURN NEW;
	END IF;
	cap := NEW.operator_rate_limit_per_min;
	IF cap IS NULL THEN
		SELECT p.key_rate_per_min INTO cap
		    FROM latchkey.orgs o
		    JOIN latchkey.plans p ON p.id = o.plan_id
		    WHERE o.id = NEW.org_id;
	END IF;
	IF cap IS NULL OR NEW.rate_limit_per_min > cap THEN
		RAISE EXCEPTION 'rate_limit_per_min % is above the key''s cap %',
		    NEW.rate_limit_per_min, cap
		    USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

COMMENT ON FUNCTION latchkey.api_keys_check_rate_limit() IS
    'trigger: only the owner role sets a key''s operator limit or an own '
    'limit above its cap';

CREATE TRIGGER api_keys_check_rate_limit
    BEFORE INSERT OR UPDATE OF rate_limit_per_min,
	operator_rate_limit_per_min ON latchkey.api_keys
    FOR EACH ROW EXECUTE FUNCTION latchkey.api_keys_check_rate_limit();

-- A change of the operator limit alone changes no identity: 014's
-- trigger already fires on rate_limit_per_min, which `key set-limit`
-- sets in the same statement.
