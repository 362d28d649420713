-- 056: the runtime role keeps EXECUTE only on the definer functions
-- latchkeyd's workers call (as 055 did for the old history functions).
--   * append_events() (009) appends audit events for any org past
--     row-level security; only the history writer calls it, as
--     latchkey_writer (029).  Left to latchkey_app, an SQL injection into
--     the runtime role (none is known) could forge any org's audit trail.
--   * rate_peek() (010) and rate_lease() (011) read and spend any
--     bucket; nothing calls them from outside any more (rate_spend, 032,
--     replaced the leases), only other definer functions, which run as
--     the owner.  Left to latchkey_app, an injection could drain another
--     org's limits.

REVOKE EXECUTE ON FUNCTION latchkey.append_events(jsonb) FROM latchkey_app;
REVOKE EXECUTE ON FUNCTION latchkey.rate_peek(text, integer)
    FROM latchkey_app;
REVOKE EXECUTE ON FUNCTION latchkey.rate_lease(text, integer, integer, text,
    integer, integer) FROM latchkey_app;
