-- 050: retention of the dashboard's sessions (028).  A session row stays
-- after it can no longer be used: DELETE /v1/auth/session removes its
-- own row, and signing in again removes only that user's expired ones,
-- so sessions that expired or were ended by a password change or a
-- disabled account (token_version moved on) would pile up for good.
-- latchkeyctl prune calls this once a day.
--
-- The grace keeps a dead session for a while: its row says when and
-- from which address the user signed in, which an incident review may
-- want, and while it is there a browser still holding the cookie is told
-- precisely why it is refused (expired_session, revoked_session) rather
-- than invalid_session.  A revoked session's grace counts from the
-- user's last change (users.updated_at, which the change that bumped
-- token_version set); sessions have no revoked_at of their own.

CREATE FUNCTION latchkey.sessions_prune(p_grace interval)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
	pruned integer;
BEGIN
	IF p_grace IS NULL OR p_grace < interval '0' THEN
		RAISE EXCEPTION 'sessions_prune: the grace must be 0 or more'
		    USING ERRCODE = '22023';
	END IF;
	DELETE FROM latchkey.sessions s
	USING latchkey.users u
	WHERE u.id = s.user_id
	  AND (s.expires_at < now() - p_grace
	       OR (s.token_version <> u.token_version
		   AND u.updated_at < now() - p_grace));
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

COMMENT ON FUNCTION latchkey.sessions_prune(interval) IS
    'retention: delete the sessions expired, or revoked by the user''s '
    'token_version, more than p_grace ago; returns how many';

REVOKE ALL ON FUNCTION latchkey.sessions_prune(interval) FROM PUBLIC;
