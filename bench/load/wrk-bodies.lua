-- wrk script (bench/load/wrk.ts): POSTs the request bodies of a file in turn, each thread starting
-- at its own place in the list, and prints one JSON line of figures when the run is done.
--   wrk -t<threads> … -s wrk-bodies.lua <url> -- <bodies file> <path> <content type> <threads>
-- The bodies file holds each body after its length as 2 bytes, big-endian.
-- Every answer is checked: HTTP status (wrk counts >= 400 itself) and, for OCSP, that the body is
-- an OCSPResponse whose responseStatus is successful (RFC 6960 §4.2.1): a 200 carrying
-- "malformedRequest" or "unauthorized" is a refusal, not an answer.

-- wrk's own resolve() tests each address by opening and closing a connection to it. OpenSSL 3.0's
-- `openssl ocsp -port` responder never recovers from a connection that closes before sending a
-- request: it reads end-of-file in a loop, at full CPU, and accepts no one else. Take the
-- addresses as they are; a refused connection still shows as wrk's connect errors.
function wrk.resolve(host, service)
  wrk.addrs = wrk.lookup(host, service)
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local requests = {}
local nextRequest = 1
unsuccessful = 0 -- global: read by done() through thread:get

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local at = 1
  while at <= #data do
    local high, low = data:byte(at, at + 1)
    local length = high * 256 + low
    local body = data:sub(at + 2, at + 1 + length)
    requests[#requests + 1] = wrk.format("POST", args[2], { ["Content-Type"] = args[3] }, body)
    at = at + 2 + length
  end
  assert(#requests > 0, "no request bodies in " .. args[1])
  -- With n threads, thread k starts k/n of the way down the list: no two send the same body at once.
  nextRequest = (id * math.floor(#requests / tonumber(args[4]))) % #requests + 1
end

function request()
  -- wrk also calls request() once on its main Lua state, where init() never ran, to check that
  -- a request parses: any complete request will do there.
  if #requests == 0 then return wrk.format() end
  local r = requests[nextRequest]
  nextRequest = nextRequest % #requests + 1
  return r
end

-- OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, … }: 30 <length> 0A 01 <status>, where
-- the SEQUENCE's length takes 1, 2 or 3 bytes (DER short form, or long form 81 xx / 82 xx xx).
local function successfulOcsp(body)
  if body == nil or body:byte(1) ~= 0x30 then return false end
  local lengthByte = body:byte(2)
  if lengthByte == nil then return false end
  local at = 3
  if lengthByte > 0x80 then at = 3 + (lengthByte - 0x80) end
  local tag, size, status = body:byte(at, at + 2)
  return tag == 0x0A and size == 0x01 and status == 0x00
end

function response(status, headers, body)
  if status < 400 and not successfulOcsp(body) then unsuccessful = unsuccessful + 1 end
end

function done(summary, latency, _)
  local refused = 0
  for _, thread in ipairs(threads) do refused = refused + thread:get("unsuccessful") end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"unsuccessful":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, refused,
    latency:percentile(50), latency:percentile(99)))
end
