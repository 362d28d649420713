--
-- path-guard.lua: refuses (400, JSON) a request for an upstream guarded by
-- latchkey's authorizer whose path is not already in the normal form that
-- lighttpd forwards.  lighttpd 1.4 mod_magnet, attached with
-- magnet.attract-raw-url-to in authorizer.conf, so it runs before the
-- authorizer is asked.
--
-- Why: the authorizer is handed the path as the client sent it
-- (REQUEST_URI), but lighttpd serves or proxies the normalized one: dot
-- segments removed ("/a/../b" and "/a/%2e%2e/b" become "/b"), "//"
-- collapsed, "%2F" decoded to "/", escapes of unreserved characters
-- decoded ("%61" becomes "a").  With a public route GET /demo/pub/* and a
-- guarded GET /demo/admin/*, "/demo/pub/../admin/x" would be checked as a
-- public path and delivered as /demo/admin/x.  No client of an API needs
-- such a path, so it is refused; what remains is matched by the
-- authorizer exactly as the upstream receives it.  (latchkey should not
-- rely on this alone: a deployment may use its own config.)
--

local target = lighty.r.req_attr["request.orig-uri"] or ""
local path = string.match(target, "^[^?#]*") or ""
local lower = string.lower(path)

local function refuse()
	lighty.r.resp_header["Content-Type"] = "application/json; charset=utf-8"
	lighty.r.resp_header["Cache-Control"] = "no-store"
	lighty.r.resp_body.set({
		'{"error":{"code":"malformed_path","message":"the path has dot ' ..
		'segments, empty segments or escaped characters that need none; ' ..
		'send it in normal form"}}\n'
	})
	return 400
end

-- An empty segment ("//"), a backslash, a ';': Tomcat-style upstreams
-- read ";..." as path parameters, so "..;" is a dot segment to them and
-- "/demo/pub/..;/admin" (judged public) would arrive as /demo/admin.  No
-- API path needs one.
if string.find(path, "//", 1, true) or string.find(path, "\\", 1, true) or
    string.find(path, ";", 1, true) then
	return refuse()
end

-- A dot segment: "/." or "/.." followed by "/" or the end.
if string.find(path .. "/", "/%.%.?/") then
	return refuse()
end

-- An escape lighttpd decodes before matching or forwarding: "/" (2f),
-- "\" (5c) and every unreserved character (ALPHA DIGIT "-" "." "_" "~"),
-- and ";" (3b), which an upstream may decode before it splits off path
-- parameters.
for hex in string.gmatch(lower, "%%(%x%x)") do
	local c = string.char(tonumber(hex, 16))
	if c == "/" or c == "\\" or c == ";" or
	    string.find(c, "^[%w%-%._~]$") then
		return refuse()
	end
end

-- Carry on.
return 0
