-- (d) PATCH one document with If-Match.
--
-- wrk's Lua API does not say which connection a response belongs to, so documents
-- are owned through a queue instead: each wrk thread takes its own share of the
-- slice of seeded documents given on the command line, a request takes the document
-- at the head of the thread's queue (so no two in-flight requests ever touch the
-- same document), and its response puts it back at the tail with the new etag from
-- the `ETag` header (or `_etag` in the body). A document whose PATCH fails is
-- dropped; if the queue ever runs dry the script falls back to the seeded etags,
-- which then fail with 412 and are counted, never hidden.
--
-- wrk ... -s patch.lua URL -- PATCH_FILE FIRST COUNT THREADS
--   PATCH_FILE: "<_id> <_etag>" lines from seed.py; the slice is lines
--   FIRST+1..FIRST+COUNT (so the warm-up and the measured run use different ones).
dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "common.lua")

local queue, head, tail = {}, 1, 0
local seeded = {}
local fallback = 0
local counter = 0

local function push(id, etag)
   tail = tail + 1
   queue[tail] = { id, etag }
end

function init(args)
   local lines = read_lines(args[1])
   local first, count, nthreads = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
   for i = first + 1, math.min(first + count, #lines) do
      if (i - first - 1) % nthreads == tid then
         local id, etag = string.match(lines[i], "^(%x+)%s+(%x+)$")
         push(id, etag)
         seeded[#seeded + 1] = { id, etag }
      end
   end
   assert(tail > 0, "no documents for thread " .. tid)
end

function request()
   local doc
   if head <= tail then
      doc = queue[head]
      queue[head] = nil
      head = head + 1
   else
      fallback = fallback + 1
      doc = seeded[(fallback - 1) % #seeded + 1]
   end
   counter = counter + 1
   local body = string.format('{"age":%d,"firstname":"P%d"}', counter % 151, counter % 100000)
   return wrk.format("PATCH", "/api/v1/people/" .. doc[1], with_key({
      ["Content-Type"] = "application/json",
      ["If-Match"] = '"' .. doc[2] .. '"',
   }), body)
end

function response(status, headers, body)
   if not count_response(status, body) then return end
   local id = string.match(body, '"_id"%s*:%s*"(%x+)"')
   local etag = headers["ETag"] or headers["etag"] or headers["Etag"]
   if etag then
      etag = string.match(etag, '^W?/?"?(%x+)"?$')
   else
      etag = string.match(body, '"_etag"%s*:%s*"(%x+)"')
   end
   if id and etag then
      push(id, etag)
   else
      non2xx = non2xx + 1
      if first_bad == nil then
         first_bad = "2xx without _id/etag: " .. string.sub(body, 1, 300)
      end
   end
end
