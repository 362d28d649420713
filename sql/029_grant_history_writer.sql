-- 029: the request-history writer's own role, latchkey_writer (created
-- by sql/roles.sql with BYPASSRLS), which latchkeyd's writer process
-- connects as (history_database_url) to append history rows by binary
-- COPY.  PostgreSQL refuses COPY FROM into a table with row-level
-- security to a role subject to it, and request_log forces row-level
-- security; the role bypasses it only to be allowed COPY, and may do
-- nothing but insert history:
--
--   INSERT on request_log (COPY; and the replay after a writer crash,
--       INSERT ... ON CONFLICT DO NOTHING from a temporary table);
--   EXECUTE on append_events(), the audit events the writer carries;
--   USAGE on the schema, to name them; TEMPORARY on the database, for
--       the replay's temporary table (PUBLIC has it by default; granted
--       here in case a DBA revoked it from PUBLIC).
--
-- No SELECT, UPDATE or DELETE anywhere: it cannot read a row it wrote.

GRANT USAGE ON SCHEMA latchkey TO latchkey_writer;
GRANT INSERT ON latchkey.request_log TO latchkey_writer;
GRANT EXECUTE ON FUNCTION latchkey.append_events(jsonb) TO latchkey_writer;

DO $$
BEGIN
	-- A database name takes no parameter: format(%I) quotes it.
	EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO latchkey_writer',
	    current_database());
END
$$;
