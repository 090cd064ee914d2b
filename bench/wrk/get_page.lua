-- (b) GET a page filtered on a non-unique, indexed field, sorted:
--     /api/v1/people?where={"age":<X>}&sort=lastname&max_results=25
-- with X drawn at random from the seeded ages (about 66 people each; query values
-- percent-encoded). Both servers index `age` (the spec's `indexes = { by_age =
-- ["age"] }`, the reference's `people_by_age`).
-- wrk ... -s get_page.lua URL -- AGES_FILE
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
   for i, age in ipairs(read_lines(args[1])) do
      local where = '{"age":' .. age .. '}'
      reqs[i] = wrk.format("GET", "/api/v1/people?where=" .. urlencode(where) ..
                           "&sort=" .. urlencode("lastname") .. "&max_results=25",
                           with_key(nil))
   end
end

function request()
   return reqs[math.random(#reqs)]
end
