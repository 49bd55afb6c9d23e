-- wrk script for tools/bench-server: replays pre-signed HTTP requests read from a file (one
-- request a line, CR LF written as a tab) and prints the results as one JSON line.
--
--   wrk -t T -c C -d D -s replay.lua URL -- FILE T cycle       every thread cycles through all the
--                                                              requests until D
--   wrk -t T -c C -d D -s replay.lua URL -- FILE T once DONE   send each request once (thread k
--                                          takes lines k, k+T, ...); each thread appends a line to
--                                          DONE when its last response is in, so the caller can
--                                          end wrk early with SIGINT; the first failed
--                                          responses of each thread go to DONE.errors
--
-- The JSON line starts with "BENCH-RESULT " and holds the request count, errors (socket
-- errors, and responses with status >= 400, which wrk counts as non-2xx/3xx; the server sends
-- no 3xx), the duration and the latency percentiles in microseconds.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } bench_timeval;
  int gettimeofday(bench_timeval *tv, void *tz);
]]
local function now_us()
  local tv = ffi.new("bench_timeval")
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local path, total, mode = args[1], tonumber(args[2]), args[3]
  done_path = args[4]
  once = mode == "once"
  requests = {}
  local line_no = 0
  for line in io.lines(path) do
    -- In once mode each thread keeps its share of the lines; in cycle mode, all of them.
    if not once or (line_no % total) == (id - 1) then
      requests[#requests + 1] = line:gsub("\t", "\r\n")
    end
    line_no = line_no + 1
  end
  if #requests == 0 then
    error("no requests for thread " .. id .. " in " .. path)
  end
  -- Threads start at different places in the cycle.
  next_index = once and 1 or ((id - 1) % #requests) + 1
  responses = 0
  first_us, last_us = 0, 0
  -- wrk builds one request on the first thread to check it before the run; that one is not
  -- sent, so it must not use up a request.
  checking = id == 1
  if once then
    -- Each connection takes its next request here, before wrk asks for it: several connections
    -- can pass delay() before the first of them calls request(). A connection with nothing left
    -- to send waits (far beyond the run) instead of sending.
    taken = 0
    delay = function()
      if taken >= #requests then
        return 3600000
      end
      taken = taken + 1
      return 0
    end
    failures = 0
    response = function(status, headers, body)
      responses = responses + 1
      if status >= 400 and failures < 5 then
        -- The first few failures go to DONE.errors, for the report.
        failures = failures + 1
        local f = io.open(done_path .. ".errors", "a")
        f:write(status, " ", (body:gsub("%s+", " ")), "\n")
        f:close()
      end
      if responses == #requests then
        last_us = now_us()
        local f = io.open(done_path, "a")
        f:write(id, "\n")
        f:close()
        wrk.thread:stop()
      end
    end
  end
end

function request()
  if checking then
    checking = false
    return requests[1]
  end
  if first_us == 0 then
    first_us = now_us()
  end
  if next_index > #requests then
    if once then
      -- Only after a reconnect (wrk then sends again without asking delay()): never send a
      -- request twice; a health check keeps the connection busy instead.
      return "GET /healthz HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port .. "\r\n\r\n"
    end
    next_index = 1
  end
  local r = requests[next_index]
  next_index = next_index + 1
  return r
end

function done(summary, latency, requests)
  local first, last, sent = nil, 0, 0
  for _, t in ipairs(threads) do
    local f, l = t:get("first_us"), t:get("last_us")
    if f and f > 0 and (first == nil or f < first) then first = f end
    if l and l > last then last = l end
    sent = sent + (t:get("responses") or 0)
  end
  local e = summary.errors
  local duration_us = summary.duration
  if threads[1]:get("once") and first and last > first then
    duration_us = last - first
  end
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"p50": %.1f, "p90": %.1f, ' ..
    '"p99": %.1f, "p999": %.1f, "max": %.1f, "mean": %.1f}}\n',
    summary.requests, duration_us, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
