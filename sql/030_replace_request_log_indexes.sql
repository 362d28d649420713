-- 030: request_log's two secondary indexes in ascending order.  History
-- rows arrive in created_at order, so an ascending key puts each new
-- entry at the right end of its org's (or key's) range, where B-tree
-- page splits leave full pages (PostgreSQL keeps rightmost and
-- "localized monotonic" inserts packed); the DESC keys of 008 put it at
-- the left end, splitting pages in half and comparing more per insert.
-- Measured with bench/ingest (binary COPY of 100 000 rows): about 3 to 5
-- of PostgreSQL's CPU microseconds per row less.  Reads are unchanged:
-- ORDER BY created_at DESC, id DESC scans the same index backwards.
--
-- CREATE INDEX on a partitioned table locks it against writes while it
-- builds (CONCURRENTLY is not supported on the parent): on a large
-- history, run this migration when a pause of history writes is fine
-- (rows wait in latchkeyd's ring meanwhile).

CREATE INDEX request_log_org_created_asc_idx
    ON latchkey.request_log (org_id, mode, created_at, id);
DROP INDEX latchkey.request_log_org_created_idx;
ALTER INDEX latchkey.request_log_org_created_asc_idx
    RENAME TO request_log_org_created_idx;

CREATE INDEX request_log_credential_asc_idx
    ON latchkey.request_log (credential_id, created_at)
    WHERE credential_id IS NOT NULL;
DROP INDEX latchkey.request_log_credential_idx;
ALTER INDEX latchkey.request_log_credential_asc_idx
    RENAME TO request_log_credential_idx;
