-- (a) GET one item by id, ids drawn at random from the seeded ids.
-- wrk ... -s get_item.lua URL -- IDS_FILE
dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "common.lua")

local reqs

function init(args)
   math.randomseed(os.time() * 1000 + tid * 7919)
   reqs = {}
   for i, id in ipairs(read_lines(args[1])) do
      reqs[i] = wrk.format("GET", "/api/v1/people/" .. id, with_key(nil))
   end
end

function request()
   return reqs[math.random(#reqs)]
end
