-- 046: GET /v1/requests?status=4xx (and ?status=404) without a scan.
-- With only the (org_id, mode, created_at, id) index, a filter that
-- matches few or no rows walks the org's whole history backwards before
-- the first page is full.  Keyed by the status class, the newest rows
-- of a class are the end of one range: the first page of ?status=4xx
-- reads its rows and stops, and reads nothing when there are none.  An
-- exact status (?status=404) uses the same range with a filter: it
-- reads the class's rows newer than the page, not the org's.
--
-- A stored column rather than an index on (status / 100): under
-- row-level security PostgreSQL uses a condition of the query as an
-- index condition only if its functions are leakproof, and integer
-- division is not (it can raise an error), so "status / 100 = 4" was
-- only a filter on the index's rows: a walk of the org's history.
-- Comparing a smallint column is leakproof.
--
-- Adding the column rewrites request_log, and CREATE INDEX on a
-- partitioned table blocks history writes while it builds (rows wait in
-- latchkeyd's ring): on a large history, run this migration when a pause
-- is fine (see 030).  Ascending like 030, so new rows land at the right
-- end of their range.

ALTER TABLE latchkey.request_log
    ADD COLUMN status_class smallint
    GENERATED ALWAYS AS ((status / 100)::smallint) STORED;

COMMENT ON COLUMN latchkey.request_log.status_class IS
    'status / 100 (2 for 2xx...), for GET /v1/requests?status=4xx';

CREATE INDEX request_log_status_class_idx
    ON latchkey.request_log (org_id, mode, status_class, created_at, id);
