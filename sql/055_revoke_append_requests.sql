-- 055: the runtime role may no longer execute the old history functions.
-- append_requests() (008, 025) and append_requests_replay() (025) were
-- how workers, then the writer, appended history as latchkey_app; since
-- 029 the writer COPYs as latchkey_writer and nothing in latchkeyd calls
-- either.  Both are SECURITY DEFINER and insert into request_log as its
-- owner, past row-level security: left executable by latchkey_app, an
-- SQL injection into the runtime role (none is known) could write forged
-- history for any org.  They are kept, not dropped, for bench/ingest's
-- json mode, which grants itself EXECUTE on its own private cluster; the
-- owner keeps it as the functions' owner.

REVOKE EXECUTE ON FUNCTION latchkey.append_requests(jsonb)
    FROM latchkey_app;
REVOKE EXECUTE ON FUNCTION latchkey.append_requests_replay(jsonb)
    FROM latchkey_app;

COMMENT ON FUNCTION latchkey.append_requests(jsonb) IS
    'unused by latchkeyd since 029 (the writer COPYs as latchkey_writer); '
    'executable by its owner only (055)';
COMMENT ON FUNCTION latchkey.append_requests_replay(jsonb) IS
    'unused by latchkeyd since 029 (the writer COPYs as latchkey_writer); '
    'executable by its owner only (055)';
