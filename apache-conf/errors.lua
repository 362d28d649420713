--
-- errors.lua: JSON error answers that Apache cannot give with a string
-- ErrorDocument because the status must change.  Apache httpd 2.4
-- mod_lua, mapped to /latchkey-errors/ in httpd.conf.
--
-- mod_authnz_fcgi turns an authorizer it cannot reach (latchkeyd down)
-- into 500; the client should see what lighttpd says in that case and
-- what latchkey's own outages say: 503.  authorizer.conf points
-- "ErrorDocument 500" of the guarded upstream here; Apache serves the
-- error document with the status this handler sets.
--

local BODY = '{"error":{"code":"service_unavailable","message":' ..
	'"the authorization service is not reachable; try again shortly"}}'

function authorizer_unavailable(r)
	r.status = 503
	r.content_type = "application/json; charset=utf-8"
	r.headers_out["Cache-Control"] = "no-store"
	r.headers_out["Retry-After"] = "1"
	r:puts(BODY)
	return apache2.OK
end
