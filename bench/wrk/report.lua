-- Shared by every scenario: sends the request described by the environment and prints one result line.
--   BENCH_METHOD, BENCH_PATH (may contain {page} or {q}), BENCH_BODY, BENCH_TOKEN, BENCH_AUTH
--   BENCH_PAGES: pages drawn at random for {page}; BENCH_QUERIES: comma-separated values drawn for {q}
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local auth = os.getenv("BENCH_AUTH")
local pages = tonumber(os.getenv("BENCH_PAGES") or "1")
local users = tonumber(os.getenv("BENCH_USERS") or "1")
local domains = {"example.com", "example.org", "corp.example", "mail.example.net", "uni.example.edu"}
local queries = {}
for q in string.gmatch(os.getenv("BENCH_QUERIES") or "", "[^,]+") do queries[#queries + 1] = q end

local headers = {["Content-Type"] = "application/json"}
if auth then headers["Authorization"] = auth end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

-- gsub replacement text with `%` escaped (query values must already be percent-encoded: `m%C3%BCl`)
local function literal(s) return (string.gsub(s, "%%", "%%%%")) end

-- the email of a seeded account that may sign in (every 97th is banned)
local function seeded_email()
  local i = math.random(1, users)
  if i % 97 == 0 then i = i - 1 end
  if i < 1 then i = 1 end
  return "user" .. i .. "@" .. domains[i % 5 + 1]
end

function request()
  local p, b = path, body
  if string.find(p, "{page}", 1, true) then p = string.gsub(p, "{page}", tostring(math.random(1, pages))) end
  if string.find(p, "{q}", 1, true) and #queries > 0 then p = string.gsub(p, "{q}", literal(queries[math.random(1, #queries)])) end
  if b and string.find(b, "{email}", 1, true) then b = string.gsub(b, "{email}", literal(seeded_email())) end
  return wrk.format(method, p, headers, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  -- e.status counts answers with a status of 400 or more
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, errors))
end
