--
-- identity.lua: passes the identity that latchkey's FastCGI authorizer
-- granted on to a proxied upstream, as request headers, and makes sure no
-- client can forge those headers.  lighttpd 1.4 mod_magnet, attached with
-- magnet.attract-physical-path-to where an upstream is behind latchkey in
-- the AUTHORIZER role (see authorizer.conf).
--
-- Why a script: an authorizer's "Variable-LK_ORG_ID: ..." answer becomes
-- the request environment variable LK_ORG_ID (lighty.r.req_env), which
-- FastCGI and CGI backends receive but mod_proxy never forwards.
--
-- When it runs (measured with lighttpd 1.4.69): the physical-path hook
-- runs TWICE for a request that an authorizer grants: once before the
-- authorizer is asked (no LK_* variables yet), and once after its 200,
-- when the request is restarted for mod_proxy (LK_* set).  If the
-- authorizer were skipped (a configuration mistake) it would run only
-- once, without LK_* variables.  So every run does the same, safe thing:
--
--   1. remove every identity header the client sent (X-Org-Id and every
--      X-Latchkey-*, also look-alikes such as X_Org_Id that an upstream
--      mapping names the CGI way would read as X-Org-Id);
--   2. set each identity header from its LK_* variable, where there is one.
--
-- Removing the headers in the first run would hide two of them from the
-- authorizer, which needs them: a service key names the org it acts for
-- with X-Org-Id and the mode with X-Latchkey-Mode.  So the first run moves
-- the client's values of those two into the request environment under the
-- FastCGI param names lighttpd would have used for the headers
-- (HTTP_X_ORG_ID, HTTP_X_LATCHKEY_MODE): mod_fastcgi passes the request
-- environment to the authorizer as params.  The second run finds them gone
-- from the headers and leaves the environment alone; mod_proxy never sends
-- the environment upstream.  The client can set neither LK_* nor those
-- environment entries: only the server's modules write lighty.r.req_env.
--
-- The outcome: the upstream sees exactly the identity latchkey granted, or
-- no identity header at all, never a value the client chose.
--
-- Secrets: once latchkey has granted the request (LK_REQUEST_ID is set
-- only by its 200), the credential it read is removed too, so the
-- upstream gets identity, never the caller's secret:
--
--   3. X-API-Key and X-Internal-Key (and look-alikes such as X_API_Key,
--      which lighttpd hands the authorizer as HTTP_X_API_KEY), always:
--      only latchkey reads them;
--   4. Authorization, only when latchkey says it carried latchkey's
--      credential (Variable-LK_CREDENTIAL_IN: authorization); otherwise
--      it is the upstream's own scheme and passes;
--   5. the accesskey and token query parameters (names compared after
--      %-decoding), always; every other parameter stays, in order, as
--      the client sent it.  mod_proxy sends the request line from
--      request.uri.
--
-- Not in the first run: the authorizer must still read them.
--

local env = lighty.r.req_env
local hdr = lighty.r.req_header

-- Identity headers and the authorizer variables they carry.
local IDENTITY = {
	{ "X-Org-Id", "LK_ORG_ID" },
	{ "X-Latchkey-Mode", "LK_MODE" },
	{ "X-Latchkey-Key-Id", "LK_KEY_ID" },
	{ "X-Latchkey-User-Id", "LK_USER_ID" },
	{ "X-Latchkey-Permissions", "LK_PERMISSIONS" },
	{ "X-Latchkey-Request-Id", "LK_REQUEST_ID" },
	{ "X-Latchkey-Credential-Kind", "LK_CREDENTIAL_KIND" },
	{ "X-Latchkey-Resource-Type", "LK_RESOURCE_TYPE" },
	{ "X-Latchkey-Resource-Id", "LK_RESOURCE_ID" },
}

-- Client headers the authorizer reads, by normalized name (see below),
-- and the FastCGI param lighttpd makes of such a header.
local AUTHORIZER_INPUTS = {
	["x-org-id"] = "HTTP_X_ORG_ID",
	["x-latchkey-mode"] = "HTTP_X_LATCHKEY_MODE",
}

-- A header name as an upstream that maps names the CGI way sees it:
-- case and the difference between "-" and "_" do not count.
local function normalized(name)
	return (string.gsub(string.lower(name), "_", "-"))
end

local function is_identity(norm)
	return norm == "x-org-id" or string.sub(norm, 1, 11) == "x-latchkey-"
end

-- 1. Collect the client's identity headers first: a table must not be
-- changed while pairs() walks it.  A removed header stays in lighttpd's
-- list with an empty value (and is not forwarded), hence the "" test.
local forged = {}
for name, value in pairs(hdr) do
	if value ~= "" and is_identity(normalized(name)) then
		forged[#forged + 1] = name
	end
end

for _, name in ipairs(forged) do
	local param = AUTHORIZER_INPUTS[normalized(name)]
	if param ~= nil then
		-- The authorizer still gets to read it (first run only: in the
		-- second the header is gone).  Two spellings of one header
		-- are joined, as lighttpd joins repeated headers, so that an
		-- ambiguous value is refused rather than one picked.
		local seen = env[param]
		if seen ~= nil and seen ~= "" then
			env[param] = seen .. ", " .. hdr[name]
		else
			env[param] = hdr[name]
		end
	end
	hdr[name] = nil
end

-- 2. The granted identity, where the authorizer has answered.  A variable
-- it did not send (a user's JWT has no key id; a direct token has a
-- resource) leaves its header absent.
for _, pair in ipairs(IDENTITY) do
	local value = env[pair[2]]
	if value ~= nil and value ~= "" then
		hdr[pair[1]] = value
	end
end

-- Secrets, after the grant only (see the top).
if env["LK_REQUEST_ID"] == nil or env["LK_REQUEST_ID"] == "" then
	return 0
end

-- 3 and 4.
local SECRET_HEADERS = { ["x-api-key"] = true, ["x-internal-key"] = true }
local strip_authorization = env["LK_CREDENTIAL_IN"] == "authorization"
local secrets = {}
for name, value in pairs(hdr) do
	local norm = normalized(name)
	if value ~= "" and (SECRET_HEADERS[norm] or
	    (strip_authorization and norm == "authorization")) then
		secrets[#secrets + 1] = name
	end
end
for _, name in ipairs(secrets) do
	hdr[name] = nil
end

-- 5.  The name of a query parameter, decoded as a server would.
local function param_name(part)
	local name = string.match(part, "^[^=]*")
	name = string.gsub(name, "%+", " ")
	return (string.gsub(name, "%%(%x%x)", function(h)
		return string.char(tonumber(h, 16))
	end))
end

-- The query as the client sent it (request.orig-uri), which is what
-- latchkey judged: lighttpd's own request.uri has escapes of unreserved
-- characters decoded ("%41" is "A" there).  The path is lighttpd's.
local QUERY_SECRETS = { accesskey = true, token = true }
local uri = lighty.r.req_attr["request.uri"] or ""
local orig = lighty.r.req_attr["request.orig-uri"] or ""
local qmark = string.find(uri, "?", 1, true)
local oqmark = string.find(orig, "?", 1, true)
if qmark ~= nil and oqmark ~= nil then
	local query = string.sub(orig, oqmark + 1)
	local kept, pos = {}, 1
	-- Each round consumes one parameter and its "&": bounded by #query.
	while pos <= #query + 1 do
		local amp = string.find(query, "&", pos, true) or (#query + 1)
		local part = string.sub(query, pos, amp - 1)
		if not QUERY_SECRETS[param_name(part)] then
			kept[#kept + 1] = part
		end
		pos = amp + 1
	end
	local rest = table.concat(kept, "&")
	local path = string.sub(uri, 1, qmark - 1)
	if rest == "" then
		lighty.r.req_attr["request.uri"] = path
	else
		lighty.r.req_attr["request.uri"] = path .. "?" .. rest
	end
	lighty.r.req_attr["uri.query"] = rest
end

-- 0: carry on with the request (to mod_proxy).
return 0
