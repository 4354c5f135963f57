-- wrk -s bench/wrk/post.lua: POSTs the GraphQL body in the file BENCH_BODY_FILE (the same
-- body every request), with BENCH_TOKEN as bearer token; counts answers by outcome.
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local c = require("common")

setup = c.setup
response = c.response
done = c.done

function init(args)
  c.headers()
  local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "r"))
  wrk.body = f:read("*a")
  f:close()
end
