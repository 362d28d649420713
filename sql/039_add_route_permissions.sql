-- 039: the permissions of GET/POST /v1/routes and DELETE /v1/routes/{id}.
-- owner and admin hold them through '*'; member and viewer may read the
-- org's routes (what their own keys will be asked for), not change them.

INSERT INTO latchkey.permissions (name, description, builtin) VALUES
    ('routes.read', 'List the org''s upstream routes', true),
    ('routes.write', 'Add and remove the org''s upstream routes', true);

INSERT INTO latchkey.role_permissions (role, pattern) VALUES
    ('member', 'routes.read'),
    ('viewer', 'routes.read');
