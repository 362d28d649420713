-- 046: GET /v1/requests?status=4xx (and ?status=404) without a scan.
-- With only the (org_id, mode, created_at, id) index, a filter that
-- matches few or no rows walks the org's whole history backwards before
-- the first page is full.  Keyed by the status class, the newest rows
-- of a class are the end of one range: the first page of ?status=4xx
-- reads its rows and stops, and reads nothing when there are none.  An
-- exact status (?status=404) uses the same range with a filter: it
-- reads the class's rows newer than the page, not the org's.
--
-- Ascending like 030, so new rows land at the right end of their range.
-- CREATE INDEX on a partitioned table blocks history writes while it
-- builds (rows wait in latchkeyd's ring): see 030.

CREATE INDEX request_log_status_class_idx
    ON latchkey.request_log (org_id, mode, (status / 100), created_at, id);
