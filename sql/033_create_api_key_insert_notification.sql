-- 033: a new API key reaches every host's cache at once.  A host
-- remembers a well-formed key it could not find (src/daemon/authcache.c,
-- the unknown-key cache) for a few seconds; that memory lives in the
-- cache's generation, which a notice ends.  014 notified updates and
-- deletes only, so a key created on another host (or by latchkeyctl)
-- could have been refused as unknown until the memory expired, had
-- someone presented it before it existed.  Creations are rare next to
-- requests, so one notice per statement costs little.

CREATE TRIGGER api_keys_notify_auth_insert
    AFTER INSERT ON latchkey.api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION latchkey.notify_auth_change();
