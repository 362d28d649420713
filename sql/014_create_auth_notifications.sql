-- 014: tell every latchkeyd host when what its authentication cache holds
-- may have changed.  Each host's request-history writer LISTENs on
-- latchkey_auth and empties the host's cache when a notice arrives, so a
-- revoked key, a disabled user or a changed limit takes effect on every
-- host within milliseconds; the cache's one-second lifetime bounds it
-- even when a notice is missed.

CREATE FUNCTION latchkey.notify_auth_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
	-- Identical notices of one transaction reach listeners once.
	PERFORM pg_notify('latchkey_auth', TG_TABLE_NAME);
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION latchkey.notify_auth_change() IS
    'trigger: NOTIFY latchkey_auth when credentials or limits change';

-- Only the columns authentication reads: last_used_at, touched once a
-- minute per busy key, must not empty every cache each time.
CREATE TRIGGER api_keys_notify_auth_change
    AFTER UPDATE OF org_id, mode, key_hash, previous_hash,
	previous_expires_at, permissions, created_by_user, expires_at,
	revoked_at, rate_limit_per_min OR DELETE ON latchkey.api_keys
    FOR EACH ROW EXECUTE FUNCTION latchkey.notify_auth_change();
CREATE TRIGGER users_notify_auth_change
    AFTER UPDATE OF org_id, email, role, token_version, disabled OR DELETE
    ON latchkey.users
    FOR EACH ROW EXECUTE FUNCTION latchkey.notify_auth_change();
CREATE TRIGGER orgs_notify_auth_change
    AFTER UPDATE OF plan_id, rate_limit_per_min, active OR DELETE
    ON latchkey.orgs
    FOR EACH ROW EXECUTE FUNCTION latchkey.notify_auth_change();
CREATE TRIGGER plans_notify_auth_change
    AFTER UPDATE OR DELETE ON latchkey.plans
    FOR EACH STATEMENT EXECUTE FUNCTION latchkey.notify_auth_change();
CREATE TRIGGER role_permissions_notify_auth_change
    AFTER INSERT OR UPDATE OR DELETE ON latchkey.role_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION latchkey.notify_auth_change();
