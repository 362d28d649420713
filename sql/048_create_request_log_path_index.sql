-- 048: GET /v1/requests?path=/v1/api (a path prefix) without a scan.
-- requests.c matches the prefix with LIKE (its wildcards escaped) and
-- plans each call for its values, so the planner turns a constant
-- prefix into a range of this index (text_pattern_ops compares bytes,
-- as LIKE's prefix range needs whatever the database's collation).  A
-- rare prefix reads its few rows and sorts them; a common one is
-- cheaper by the time index (030) with a filter, which the planner
-- picks from the statistics.

CREATE INDEX request_log_path_idx
    ON latchkey.request_log (org_id, mode, path text_pattern_ops);
