-- wrk script for bench/gateway.sh: POST real UCI digits rows as Open
-- Inference Protocol v2 requests, a different row per request (rotating),
-- so the gateway's extraction detectors see varied input as they would in
-- use; every target (upstream, nginx, gateway) gets the same sequence.
--
-- Environment (read once per wrk thread):
--   BENCH_BODIES  file of request bodies, one JSON document per line
--   BENCH_TOKEN   bearer token sent to every target (ignored by all but
--                 the gateway, so the requests stay byte-identical)
--
--   BENCH_INTERVAL_US  paced mode: each wrk thread sends one request per
--                 this many microseconds (threads * 1e6 / total rate)
--   BENCH_DELAY_MS the same pace per connection (connections * 1000 /
--                 rate), used only when LuaJIT's ffi is missing
--
-- Results go to standard output as one "BENCH" line (parsed by the shell
-- script) after wrk's own report. Latencies are in microseconds; wrk
-- measures each from the request's first byte, so a paced wait is not
-- counted as latency.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local bodies = {}
local prepared = {}
-- Globals, not locals: done() reads them from each thread with thread:get.
bad = 0          -- responses whose status is not exactly 200
first_bad = ""   -- the first such status and body, for the log

local function load_bodies(path)
  local f = assert(io.open(path, "r"), "cannot open BENCH_BODIES " .. tostring(path))
  for line in f:lines() do
    if #line > 0 then table.insert(bodies, line) end
  end
  f:close()
  assert(#bodies > 0, "no request bodies in " .. path)
end

function init(args)
  load_bodies(os.getenv("BENCH_BODIES"))
  local token = os.getenv("BENCH_TOKEN") or ""
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }
  -- Pre-format every request once: wrk.format per request would make the
  -- load generator, which shares the machine's cores, costlier than needed.
  for i, b in ipairs(bodies) do
    prepared[i] = wrk.format("POST", wrk.path, headers, b)
  end
  -- Threads start at different rows so that they do not send in lockstep.
  counter = (id or 0) * 7
end

-- Paced mode. wrk drives a closed loop (a fixed number of connections,
-- each sending as soon as its answer arrives); defining delay() makes it
-- wait that many milliseconds (an integer) before each request. To offer a
-- rate that does not depend on the target's latency, each thread keeps a
-- schedule of send slots one interval apart on the monotonic clock (read
-- through LuaJIT's ffi) and each request takes the next slot: waits are
-- truncated to whole milliseconds, but the slots, so the average rate,
-- keep the exact interval. A slot that passes with every connection busy
-- is lost rather than caught up later, so an overloaded target shows a
-- lower achieved rate instead of a burst. Without ffi it falls back to a
-- fixed wait per connection, whose fraction of a millisecond is carried
-- over: then the latency adds to each connection's period, and the
-- achieved rate falls below the offered one.
local interval_us = tonumber(os.getenv("BENCH_INTERVAL_US") or "")
pacing = "none"  -- a global: done() reports it from wrk's main Lua state

local function clock_us()
  local ok, ffi = pcall(require, "ffi")
  if not ok then return nil end
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk, bench_timespec *ts);
  ]]
  local ts = ffi.new("bench_timespec")
  local CLOCK_MONOTONIC = 1  -- Linux's value, clock_gettime(2)
  return function()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
  end
end

if interval_us and interval_us > 0 then
  local now_us = clock_us()
  if now_us then
    pacing = "clock"
    local next_us
    function delay()
      local now = now_us()
      -- Threads start at phases spread by the golden ratio, not in step.
      next_us = next_us or now + interval_us * (((id or 0) * 0.618) % 1)
      local slot = math.max(next_us, now)
      next_us = slot + interval_us
      return math.floor((slot - now) / 1000)
    end
  else
    pacing = "fixed"
    local fixed_ms = assert(tonumber(os.getenv("BENCH_DELAY_MS") or ""), "BENCH_DELAY_MS unset")
    local carry = 0
    function delay()
      carry = carry + fixed_ms
      local whole = math.floor(carry)
      carry = carry - whole
      return whole
    end
  end
end

function request()
  counter = counter + 1
  return prepared[(counter % #prepared) + 1]
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency)
  local non200, sample = 0, ""
  for _, t in ipairs(threads) do
    non200 = non200 + (t:get("bad") or 0)
    local s = t:get("first_bad")
    if sample == "" and s and s ~= "" then sample = s end
  end
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH rps=%.1f p50=%d p90=%d p99=%d requests=%d non200=%d status=%d sockerr=%d pacing=%s\n",
    summary.requests / secs, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), summary.requests, non200, e.status, sockerr, pacing))
  if sample ~= "" then
    io.write("BENCH_FIRST_BAD " .. string.gsub(sample, "\n", " ") .. "\n")
  end
end
