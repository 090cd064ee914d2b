-- One fixed GET, the URL and headers from wrk's command line (bench/auth_schemes.py:
-- `wrk ... -H "Authorization: ..." -s get_fixed.lua URL`); common.lua counts the
-- non-2xx answers and prints the RESULT line.
dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "common.lua")
