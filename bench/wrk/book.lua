-- wrk -s bench/wrk/book.lua: one bookVisit per request, each on its own vehicle, date and
-- session: lines BENCH_FIRST .. BENCH_FIRST+BENCH_COUNT-1 of BENCH_SLOTS ("unitId vehicleId
-- date session"), thread i of n taking every n-th line. A thread that runs out of lines
-- books its last one again (a SLOT_TAKEN, counted as an error), so BENCH_COUNT must exceed
-- what the run can book.
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local c = require("common")

setup = c.setup
response = c.response
done = c.done

local bodies = {}
local next_body = 1

function init(args)
  c.headers()
  local first = tonumber(os.getenv("BENCH_FIRST"))
  local count = tonumber(os.getenv("BENCH_COUNT"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local n = 0
  for line in io.lines(os.getenv("BENCH_SLOTS")) do
    if n >= first and n < first + count and (n - first) % nthreads == id then
      local unit, vehicle, date, session = line:match("(%S+) (%S+) (%S+) (%S+)")
      table.insert(bodies, string.format(
        '{"query":"mutation($i: BookVisitInput!) { bookVisit(input: $i) { id } }","variables":{"i":{"unitId":"%s","vehicleId":"%s","date":"%s","session":"%s","expectedDonors":20}}}',
        unit, vehicle, date, session))
    end
    n = n + 1
  end
end

function request()
  local body = bodies[next_body]
  if next_body < #bodies then next_body = next_body + 1 end
  return wrk.format(nil, nil, nil, body)
end
