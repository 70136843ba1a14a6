-- wrk script for the shared-session load test (bench/cmd/load -shared).
--
-- Every connection of a wrk thread sends the same cookie, so with -t1 -c16
-- sixteen requests of ONE session are in flight at any time, as when a
-- browser opens many tabs or a page fires many requests at once. The load
-- driver signs in one session per thread beforehand and passes the cookies
-- as the script's arguments (wrk ... -- COOKIE1 COOKIE2 ...); thread i sends
-- COOKIE<i>. The cookie is never replaced by a Set-Cookie: every request
-- names the session the driver created.
--
-- The handler (ReadModifyWrite) increments the session's counter and
-- answers the new value. The script counts the 2xx and other answers of
-- its session and keeps the largest counter it saw; the driver then
-- compares the session's final counter, read once more after the run, with
-- the number of 2xx answers the server gave (wrk abandons the requests in
-- flight when its time is up, so it sees a few fewer than were answered).

local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("id", nthreads)
   table.insert(threads, thread)
end

-- Globals, read by done() through thread:get().
ok, non2xx, maxcount = 0, 0, 0

function init(args)
   local cookie = args[id]
   if cookie == nil then
      error("shared.lua: no cookie for thread " .. id .. ": pass one per thread after --")
   end
   wrk.headers["Cookie"] = cookie
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
      local n = tonumber(body)
      if n ~= nil and n > maxcount then
         maxcount = n
      end
   else
      non2xx = non2xx + 1
   end
end

function done(summary, latency, reqs)
   for _, thread in ipairs(threads) do
      io.write(string.format("shared-check: session=%d ok=%d non2xx=%d max=%d\n",
         thread:get("id"), thread:get("ok"), thread:get("non2xx"), thread:get("maxcount")))
   end
end
