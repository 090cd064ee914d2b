-- Shared by the scenario scripts (loaded with dofile from each of them).
--
-- Every scenario counts the responses outside 2xx per thread and done() prints one
-- machine-readable RESULT line for bench/run.sh, plus the first such response seen,
-- so a run with errors is never mistaken for a fast one.

local threads = {}

-- run.sh's GEN_API_KEY=1: every request carries the key (bench/variants.sh api_key).
local api_key = os.getenv("BENCH_API_KEY")
if api_key == "" then api_key = nil end

-- The headers of a request with the API key added when there is one; without a key,
-- `headers` itself (nil included, which wrk.format reads as wrk.headers), so the
-- requests are exactly those of a run without it.
function with_key(headers)
   if api_key == nil then return headers end
   local out = {}
   for name, value in pairs(headers or wrk.headers) do out[name] = value end
   out["x-api-key"] = api_key
   return out
end

function setup(thread)
   thread:set("tid", #threads)          -- 0-based wrk thread number, seen by init()
   table.insert(threads, thread)
end

non2xx = 0
first_bad = nil

function count_response(status, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_bad == nil then
         first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300)
      end
      return false
   end
   return true
end

function response(status, headers, body)
   count_response(status, body)
end

function read_lines(path)
   local lines = {}
   local f = assert(io.open(path, "r"))
   for line in f:lines() do
      if line ~= "" then lines[#lines + 1] = line end
   end
   f:close()
   assert(#lines > 0, "no lines in " .. path)
   return lines
end

function done(summary, latency, requests)
   local bad, sample = 0, nil
   for _, t in ipairs(threads) do
      bad = bad + (t:get("non2xx") or 0)
      sample = sample or t:get("first_bad")
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d\n",
      summary.requests, summary.requests / secs, latency:percentile(50), latency:percentile(99),
      latency.max, bad, e.connect, e.read, e.write, e.timeout))
   if sample then
      io.write("FIRST_NON2XX " .. string.gsub(sample, "\n", " ") .. "\n")
   end
end
