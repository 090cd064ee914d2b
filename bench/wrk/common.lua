-- Shared by the scenario scripts (loaded with dofile from each of them).
--
-- Every scenario counts the responses outside 2xx per thread and done() prints one
-- machine-readable RESULT line for bench/run.sh, plus the first such response seen,
-- so a run with errors is never mistaken for a fast one.

local threads = {}

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
