-- bench/soak.lua: the mixed traffic of bench/soak, for wrk 4.
--
-- Each connection cycles through SLOTS (a fixed, interleaved mix) and
-- waits SOAK_DELAY_MS before each request, which is how bench/soak holds
-- the load near its target rate.  Every answer is written, one line each,
-- to SOAK_OUT/answers-SOAK_SEGMENT-THREAD.txt as "STATUS REQUEST_ID"
-- ("-" when the answer carried none: an error page of the web server
-- itself).  The id is X-Request-Id, or for an answer of the demo upstream
-- (which the client gets from behind the authorizer) the request_id the
-- upstream echoes.
--
-- Environment: SOAK_KEY (live key with "*", generous plan), SOAK_TIGHT_KEY
-- (a key of an org on the 60/min default plan: mostly 429), SOAK_JWT (the
-- owner's login token), SOAK_KEY_ID (a key to rename), SOAK_USER_ID (a
-- member to update), SOAK_OUT, SOAK_SEGMENT, SOAK_DELAY_MS, and
-- SOAK_HOSTILE (which hostile bodies: "utf8 nul escnul big notjson").

local threads = {}
local next_tid = 1

function setup(thread)
	thread:set("tid", next_tid)
	next_tid = next_tid + 1
	table.insert(threads, thread)
end

local key = os.getenv("SOAK_KEY")
local tight = os.getenv("SOAK_TIGHT_KEY")
local jwt = os.getenv("SOAK_JWT")
local key_id = os.getenv("SOAK_KEY_ID")
local user_id = os.getenv("SOAK_USER_ID")
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")

local json = "application/json"
local big = '{"name":"' .. string.rep("x", 100 * 1024) .. '"}'

-- One request kind per slot; 20 slots.
local SLOTS = {
	"key", "demo", "jwt", "key", "malformed", "write", "demo", "key",
	"hostile", "tight", "key", "jwt", "demo", "key", "write", "jwt",
	"malformed", "demo", "hostile", "tight",
}

local n = 0
local writes = 0	-- each kind has its own counter, so that every
local hostiles = 0	-- variant comes round whatever the slot pattern
local out

function init(args)
	local name = os.getenv("SOAK_OUT") .. "/answers-" ..
	    os.getenv("SOAK_SEGMENT") .. "-" .. tid .. ".txt"
	out = assert(io.open(name, "a"))
	out:setvbuf("line")
end

local function bearer(t)
	return { ["Authorization"] = "Bearer " .. t }
end

local function with_json(h)
	h["Content-Type"] = json
	return h
end

local function write_request(i)
	local w = i % 4
	local tag = tid .. "-" .. i .. "-" .. os.time()
	if w == 0 then
		return wrk.format("POST", "/v1/api-keys", with_json(bearer(jwt)),
		    '{"name":"soak ' .. tag .. '","permissions":["demo.read"]}')
	elseif w == 1 then
		return wrk.format("PATCH", "/v1/api-keys/" .. key_id,
		    with_json(bearer(jwt)), '{"name":"soak renamed ' .. tag .. '"}')
	elseif w == 2 then
		return wrk.format("POST", "/v1/users", with_json(bearer(jwt)),
		    '{"email":"soak-' .. tag .. '@soak.test",' ..
		    '"password":"soak password ' .. tag .. '","role":"member"}')
	end
	return wrk.format("PATCH", "/v1/users/" .. user_id,
	    with_json(bearer(jwt)), '{"role":"member"}')
end

-- The hostile bodies, by name (SOAK_HOSTILE picks some; default all).
local HOSTILE = {
	-- Invalid UTF-8 in a string.
	utf8 = { "POST", "/v1/api-keys", '{"name":"\255\254 soak"}' },
	-- A raw NUL inside the JSON text.
	nul = { "POST", "/v1/api-keys", '{"name":"a\0b"}' },
	-- An escaped NUL in a string.
	escnul = { "POST", "/v1/users",
	    '{"email":"a\\u0000@soak.test","password":"x\\u0000y"}' },
	-- Over max_body_bytes (64 KiB by default).
	big = { "POST", "/v1/api-keys", big },
	-- Not JSON at all, and a query string with a bad escape.
	notjson = { "POST", "/v1/api-keys?limit=%zz", "{'name': 'x', /* */}" },
}
local hostile_names = {}
for name in string.gmatch(os.getenv("SOAK_HOSTILE") or
    "utf8 nul escnul big notjson", "%S+") do
	assert(HOSTILE[name], "SOAK_HOSTILE: no hostile body " .. name)
	table.insert(hostile_names, name)
end

local function hostile_request(i)
	local h = HOSTILE[hostile_names[i % #hostile_names + 1]]
	return wrk.format(h[1], h[2], with_json(bearer(jwt)), h[3])
end

function request()
	n = n + 1
	local kind = SLOTS[(n + tid) % #SLOTS + 1]
	if kind == "key" then
		return wrk.format("GET", "/v1/me", { ["X-API-Key"] = key })
	elseif kind == "jwt" then
		return wrk.format("GET", "/v1/me", bearer(jwt))
	elseif kind == "demo" then
		return wrk.format("GET", "/demo/soak/" .. (n % 100),
		    { ["X-API-Key"] = key })
	elseif kind == "malformed" then
		return wrk.format("GET", "/v1/users",
		    { ["X-API-Key"] = "lk_live_0000000000000000000000000000" })
	elseif kind == "tight" then
		return wrk.format("GET", "/v1/me", { ["X-API-Key"] = tight })
	elseif kind == "write" then
		writes = writes + 1
		return write_request(writes)
	end
	hostiles = hostiles + 1
	return hostile_request(hostiles)
end

function delay()
	return delay_ms
end

function response(status, headers, body)
	local id = headers["X-Request-Id"] or headers["x-request-id"]
	if id == nil and body ~= nil then
		id = string.match(body, '"request_id": *"([^"]+)"')
	end
	out:write(status, " ", id or "-", "\n")
end
