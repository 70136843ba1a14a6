-- wrk script for the ReadModifyWrite load test (bench/cmd/load).
--
-- Every request carries the cookie of one session, and no session is in two
-- requests at once, so each session really is read, modified and written,
-- one request after the other, as one browser tab would do it. wrk's Lua
-- API does not say which connection a response belongs to, so each request
-- takes a free "slot" (a session: its cookie and its last counter) and names
-- it in an X-Slot header; the load server echoes X-Slot back (for every
-- implementation, the floor too), and the response returns the slot,
-- with the new cookie if one was set. A thread has as many slots as it has
-- connections in flight.
--
-- With "check" as the script argument, every 200 response must carry the
-- slot's previous counter plus one (1 for a new session), which proves the
-- session was read and written; "nocheck" (the floor, which has no session)
-- does the same work without the verdict.

local free = {}    -- slots waiting for a request
local busy = {}    -- slot id -> slot, while its request is in flight
local nslots = 0
local check = true

-- Globals, read by done() through thread:get().
requests, ok, bad, unmatched, non200 = 0, 0, 0, 0, 0

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   check = args[1] ~= "nocheck"
end

function request()
   local slot = table.remove(free)
   if slot == nil then
      nslots = nslots + 1
      slot = { id = nslots, cookie = nil, count = 0 }
   end
   busy[slot.id] = slot
   local headers = { ["X-Slot"] = tostring(slot.id) }
   if slot.cookie then
      headers["Cookie"] = slot.cookie
   end
   return wrk.format("GET", "/", headers)
end

function response(status, headers, body)
   requests = requests + 1
   local id = tonumber(headers["X-Slot"])
   local slot = id and busy[id]
   if slot == nil then
      unmatched = unmatched + 1
      return
   end
   busy[id] = nil
   if status ~= 200 then
      non200 = non200 + 1
   else
      local set = headers["Set-Cookie"]
      if set then
         slot.cookie = set:match("^[^;]*")
      end
      -- The floor ("nocheck") does the same work and only skips the
      -- verdict, so that the script costs every implementation alike.
      local n = tonumber(body)
      local good = n ~= nil and n == slot.count + 1
      if good or not check then
         ok = ok + 1
      else
         bad = bad + 1
      end
      slot.count = n or slot.count
   end
   table.insert(free, slot)
end

function done(summary, latency, reqs)
   local t = { requests = 0, ok = 0, bad = 0, unmatched = 0, non200 = 0 }
   for _, thread in ipairs(threads) do
      for k, _ in pairs(t) do
         t[k] = t[k] + (thread:get(k) or 0)
      end
   end
   io.write(string.format("session-check: requests=%d ok=%d bad=%d unmatched=%d non200=%d\n",
      t.requests, t.ok, t.bad, t.unmatched, t.non200))
end
