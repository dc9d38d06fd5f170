-- wrk script for webhook_ingest.py: POST /webhook with pre-generated signed bodies.
--
-- Run with as many threads as connections (-t N -c N): each thread then has one connection,
-- its requests go one after the other, and the answer response() sees is the answer to
-- the body request() handed out last. That is how the script knows which bodies were
-- acknowledged (2xx), not only how many.
--
-- Environment:
--   WEBHOOK_BODIES  a directory holding bodies-<thread>.txt, one body per line:
--                   "<X-Hub-Signature-256 value>\t<JSON body>" (thread numbers from 0)
--   WEBHOOK_RESULT  the JSON file done() writes: wrk's summary, latency percentiles
--                   (microseconds), and per thread the bodies sent, the statuses seen
--                   and the indexes (from 0) of the bodies answered 2xx
--
-- A thread that reaches the end of its bodies starts again from the first (counted in
-- "wrapped"): the caller sizes the files so that this does not happen. Before starting,
-- wrk calls request() once on thread 0 to check the script: that body is counted in
-- "sent" but never goes out.

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local requests = {}
sent = 0        -- request() calls: bodies handed out, answered or not
answered = 0    -- response() calls
wrapped = 0
acked = {}      -- indexes of the bodies answered 2xx
statuses = {}   -- HTTP status -> answers
local count = 0
local current = -1

function init(args)
  local path = os.getenv("WEBHOOK_BODIES") .. "/bodies-" .. thread_number .. ".txt"
  local file = assert(io.open(path, "rb"))
  for line in file:lines() do
    local signature, body = line:match("^([^\t]+)\t(.*)$")
    count = count + 1
    requests[count] = wrk.format("POST", "/webhook", {
      ["Content-Type"] = "application/json",
      ["X-Hub-Signature-256"] = signature,
    }, body)
  end
  file:close()
  assert(count > 0, "no bodies in " .. path)
end

function request()
  current = sent % count
  if sent > 0 and current == 0 then
    wrapped = wrapped + 1
  end
  sent = sent + 1
  return requests[current + 1]
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 200 and status < 300 then
    acked[#acked + 1] = current
  end
end

local function json_object(map)
  local parts = {}
  for key, value in pairs(map) do
    parts[#parts + 1] = string.format('"%s": %d', tostring(key), value)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests_stats)
  local out = assert(io.open(os.getenv("WEBHOOK_RESULT"), "w"))
  local e = summary.errors
  out:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
  out:write(string.format(
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d, "mean": %.1f}, ',
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
  out:write('"threads": [')
  for i, thread in ipairs(threads) do
    if i > 1 then out:write(", ") end
    out:write(string.format(
      '{"thread": %d, "sent": %d, "answered": %d, "wrapped": %d, "statuses": %s, "acked": [%s]}',
      thread:get("thread_number"), thread:get("sent"), thread:get("answered"),
      thread:get("wrapped"), json_object(thread:get("statuses")),
      table.concat(thread:get("acked"), ",")))
  end
  out:write("]}\n")
  out:close()
end
