--
-- strip-query.lua: removes latchkey's credential parameters, accesskey
-- and token, from the query string of a request latchkey's authorizer
-- guards, before mod_proxy sends it to the upstream.  Apache httpd 2.4
-- mod_lua, attached in authorizer.conf with
--
--   LuaHookAccessChecker ${LK_APACHE_CONF_DIR}/strip-query.lua strip
--
-- It changes r.args only, which mod_proxy's fixup turns into the
-- upstream URL's query.  The authorizer, which runs after it, still reads
-- the query as sent: mod_authnz_fcgi's REQUEST_URI comes from the request
-- line, not from r.args.  (LuaHookFixups would run after mod_proxy's
-- fixup.)  Every other parameter stays exactly as sent, in order; names
-- are compared after %-decoding ("%74oken" is token too), case-sensitively
-- as latchkey reads them.  Same rules as lighttpd-conf/identity.lua.
--

local SECRETS = { accesskey = true, token = true }

-- The name of a parameter, decoded as a server would.
local function param_name(part)
	local name = string.match(part, "^[^=]*")
	name = string.gsub(name, "%+", " ")
	return (string.gsub(name, "%%(%x%x)", function(h)
		return string.char(tonumber(h, 16))
	end))
end

function strip(r)
	local query = r.args
	if query == nil or query == "" then
		return apache2.DECLINED
	end
	local kept, removed, pos = {}, false, 1
	-- Each round consumes one parameter and its "&": bounded by #query.
	while pos <= #query + 1 do
		local amp = string.find(query, "&", pos, true) or (#query + 1)
		local part = string.sub(query, pos, amp - 1)
		if SECRETS[param_name(part)] then
			removed = true
		else
			kept[#kept + 1] = part
		end
		pos = amp + 1
	end
	if removed then
		r.args = table.concat(kept, "&")
	end
	return apache2.DECLINED
end
