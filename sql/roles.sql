-- roles.sql: the database roles latchkey needs.  Run once by a superuser
-- (the DBA) before creating the database:
--
--   psql -v ON_ERROR_STOP=1 -f sql/roles.sql
--   createdb -O latchkey_owner latchkey
--   latchkeyctl migrate --database-url 'dbname=latchkey user=latchkey_owner'
--
-- latchkey_owner owns the schema and its objects; latchkeyctl (migrate,
-- bootstrap, prune...) connects as it.  It is never used at request time.
--
-- latchkey_app is the runtime role of latchkeyd: it owns nothing, cannot
-- bypass row-level security, and receives only the grants the migrations
-- give it, table by table.  Every org-owned table forces row-level security,
-- so without `latchkey.org_id` set in its transaction it sees no rows.
--
-- latchkey_writer is the request-history writer's role (latchkeyd's
-- history_database_url): it bypasses row-level security only so that it
-- may COPY history rows in (PostgreSQL refuses COPY FROM on a table with
-- row-level security to a role subject to it), and the migrations give
-- it INSERT on latchkey.request_log, the audit-event function and
-- nothing else: it cannot read a row of any table.
--
-- Set passwords (or configure peer/cert authentication in pg_hba.conf) as
-- your site requires; this file sets none.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'latchkey_owner')
	THEN
		CREATE ROLE latchkey_owner LOGIN NOSUPERUSER NOCREATEDB
		    NOCREATEROLE NOBYPASSRLS;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'latchkey_app')
	THEN
		CREATE ROLE latchkey_app LOGIN NOSUPERUSER NOCREATEDB
		    NOCREATEROLE NOBYPASSRLS NOINHERIT;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles
	    WHERE rolname = 'latchkey_writer') THEN
		CREATE ROLE latchkey_writer LOGIN NOSUPERUSER NOCREATEDB
		    NOCREATEROLE BYPASSRLS NOINHERIT;
	END IF;
END
$$;

-- Re-assert the attributes in case the roles existed with others.
ALTER ROLE latchkey_owner NOSUPERUSER NOBYPASSRLS;
ALTER ROLE latchkey_app NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
ALTER ROLE latchkey_writer NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE
    NOINHERIT;

COMMENT ON ROLE latchkey_owner IS
    'latchkey: owns the schema; used by latchkeyctl, never at request time';
COMMENT ON ROLE latchkey_app IS
    'latchkey: runtime role of latchkeyd; subject to row-level security';
COMMENT ON ROLE latchkey_writer IS
    'latchkey: request-history writer; may only insert history (COPY)';
