-- Shared by the wrk scripts of bench/run.sh: the headers, and a count of GraphQL answers
-- by outcome (ok, the expected refusal BENCH_EXPECT_CODE, anything else), printed by done().
local M = {}

M.threads = {}

function M.setup(thread)
  thread:set("id", #M.threads)
  table.insert(M.threads, thread)
end

function M.headers()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

ok, expected, errors = 0, 0, 0
local expect_code = os.getenv("BENCH_EXPECT_CODE") or ""
first_error = nil

function M.response(status, headers, body)
  if status == 200 and not string.find(body, '"errors"', 1, true) then
    ok = ok + 1
  elseif expect_code ~= "" and string.find(body, '"' .. expect_code .. '"', 1, true) then
    expected = expected + 1
  else
    errors = errors + 1
    if first_error == nil then first_error = status .. " " .. string.sub(body, 1, 300) end
  end
end

function M.done(summary, latency, requests)
  local o, x, e, first = 0, 0, 0, nil
  for _, t in ipairs(M.threads) do
    o = o + t:get("ok")
    x = x + t:get("expected")
    e = e + t:get("errors")
    first = first or t:get("first_error")
  end
  -- One line bench/run.sh reads back.
  io.write(string.format("BENCH_OUTCOMES ok=%d expected=%d errors=%d\n", o, x, e))
  if first then io.write("BENCH_FIRST_ERROR " .. first .. "\n") end
end

return M
