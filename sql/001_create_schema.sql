-- 001: the latchkey schema and the helpers every policy uses.

-- IF NOT EXISTS: `latchkeyctl migrate` creates the schema first, to hold
-- its bookkeeping table latchkey.schema_migrations.
CREATE SCHEMA IF NOT EXISTS latchkey;
COMMENT ON SCHEMA latchkey IS 'latchkey: orgs, users, credentials, history';

REVOKE ALL ON SCHEMA latchkey FROM PUBLIC;
GRANT USAGE ON SCHEMA latchkey TO latchkey_app;

-- The org and mode of the current transaction, set by latchkeyd with
-- set_config(..., true).  A setting reverts to '' (not NULL) once a
-- transaction that set it ends, hence NULLIF: '' must mean "no org".
CREATE FUNCTION latchkey.current_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT NULLIF(current_setting('latchkey.org_id', true), '')::uuid $$;

CREATE FUNCTION latchkey.current_mode() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT NULLIF(current_setting('latchkey.mode', true), '') $$;

COMMENT ON FUNCTION latchkey.current_org_id() IS
    'org of the current transaction (latchkey.org_id), NULL if unset';
COMMENT ON FUNCTION latchkey.current_mode() IS
    'mode (live|test) of the current transaction, NULL if unset';

REVOKE ALL ON FUNCTION latchkey.current_org_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION latchkey.current_mode() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey.current_org_id() TO latchkey_app;
GRANT EXECUTE ON FUNCTION latchkey.current_mode() TO latchkey_app;
