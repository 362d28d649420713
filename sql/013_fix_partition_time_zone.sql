-- 013: monthly partitions are UTC months whatever the session's time
-- zone.  Adding a month to a timestamptz follows the session's zone, so
-- under America/New_York request_log_ensure_partitions() made a partition
-- ending on the 28th at 23:00 UTC.

ALTER FUNCTION latchkey.request_log_ensure_partitions(timestamptz, integer)
    SET TimeZone = 'UTC';
