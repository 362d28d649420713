-- 047: GET /v1/requests?method=POST without a scan: the newest rows of
-- one method are the end of one range of this index (see 046).

CREATE INDEX request_log_method_idx
    ON latchkey.request_log (org_id, mode, method, created_at, id);
