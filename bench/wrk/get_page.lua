-- (b) GET a filtered, sorted page:
--     /api/v1/people?where={"lastname":"<X>"}&sort=-age&max_results=25
-- with X drawn at random from the seeded lastnames (query values percent-encoded).
-- wrk ... -s get_page.lua URL -- LASTNAMES_FILE
dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "common.lua")

local reqs

local function urlencode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function init(args)
   math.randomseed(os.time() * 1000 + tid * 7919 + 1)
   reqs = {}
   for i, lastname in ipairs(read_lines(args[1])) do
      local where = '{"lastname":"' .. lastname .. '"}'
      reqs[i] = wrk.format("GET", "/api/v1/people?where=" .. urlencode(where) ..
                           "&sort=" .. urlencode("-age") .. "&max_results=25")
   end
end

function request()
   return reqs[math.random(#reqs)]
end
