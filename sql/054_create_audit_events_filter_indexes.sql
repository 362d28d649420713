-- 054: GET /v1/activity without a walk of the org's trail.  The list
-- reads the newest events of an org by audit_events_org_created_idx
-- (009); a filter that matches few of them (?action=api_key.revoked
-- among a million logins), or a test-mode caller, who sees only the
-- test events (020) of an org whose trail is mostly live, walked the
-- trail backwards until the page was full: all of it when nothing
-- matched.  Audit events are written a few at a time (one per change),
-- so indexes cost their writers nothing that matters.
--
-- The test-mode indexes are partial (WHERE mode = 'test'): the list's
-- test-mode statement says mode = 'test' itself (activity.c), which the
-- planner matches to them; the policy's condition, which compares with
-- current_mode(), it cannot.

CREATE INDEX audit_events_org_action_idx
    ON latchkey.audit_events (org_id, action, created_at DESC, id DESC);
CREATE INDEX audit_events_org_test_idx
    ON latchkey.audit_events (org_id, created_at DESC, id DESC)
    WHERE mode = 'test';
CREATE INDEX audit_events_org_test_action_idx
    ON latchkey.audit_events (org_id, action, created_at DESC, id DESC)
    WHERE mode = 'test';
