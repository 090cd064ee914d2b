-- (c) POST one new document, valid against the schema, with a lastname unique to the
-- run: PREFIX .. wrk thread number (2 digits) .. counter, at most 15 characters. It
-- has no age: the page scenario filters on ages, and the documents a server inserted
-- here (as many as it was fast) must not change what its pages hold.
-- wrk ... -s post.lua URL -- PREFIX
dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "common.lua")

local prefix, counter = "P", 0
local headers = with_key({ ["Content-Type"] = "application/json" })
local cities = { "Paris", "Rome", "Berlin", "Madrid", "Lisbon", "Vienna" }

function init(args)
   prefix = args[1] or prefix
   assert(#prefix <= 4, "prefix too long for a 15-character lastname")
end

function request()
   counter = counter + 1
   local lastname = string.format("%s%02d%d", prefix, tid, counter)
   local body = string.format(
      '{"firstname":"Bench","lastname":"%s","role":["author","copy"],' ..
      '"born":"Tue, 19 Apr 2016 08:19:00 GMT","email":"b%d@example.com",' ..
      '"location":{"address":"%d Main St","city":"%s"}}',
      lastname, counter, counter % 1000, cities[counter % #cities + 1])
   return wrk.format("POST", "/api/v1/people", headers, body)
end
