-- 036: the operator as an actor of audit events.  latchkeyctl's changes
-- to one org (its plan, its limit, a key's limit) are recorded in that
-- org's trail, so GET /v1/activity shows why a limit moved; no user, key
-- or service key made them, so they get an actor kind of their own.

ALTER TABLE latchkey.audit_events
    DROP CONSTRAINT audit_events_actor_kind_check;
ALTER TABLE latchkey.audit_events
    ADD CONSTRAINT audit_events_actor_kind_check
    CHECK (actor_kind IN ('none', 'user', 'api_key', 'service', 'direct',
	'operator'));

COMMENT ON COLUMN latchkey.audit_events.actor_kind IS
    'who acted: none, user, api_key, service, direct, or operator '
    '(latchkeyctl, with no actor_id)';
