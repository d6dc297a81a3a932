#!/usr/bin/env bash
# accountd benchmarks against local Postgres (see docs/BENCHMARKS.md). Prints a table per scenario with its ratio
# to the bound measured in the same run, and appends the run to docs/BENCHMARKS.md.
#
#   BENCH_ACCOUNTS   population (default 1000000; 10000 for a quick run)
#   BENCH_CONNECTIONS  concurrent connections of the load generator (default 64)
#   BENCH_SECONDS    seconds per scenario (default 15)
#   BENCH_PG         Postgres server URL without a database (default postgres://postgres@127.0.0.1:5432)
#   BENCH_RECORD     append the run to docs/BENCHMARKS.md (default 1)
#   BENCH_BIN        a built accountd to measure instead of building the release binary (to measure the binary of
#                    before a change against the one after it, each on a database seeded afresh)
#   BENCH_PERF       a scenario's name: record where the CPU goes during it (`perf record -a -g`, Debian's
#                    linux-perf) into target/bench/perf-<name>.data and print the shares by process and object
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS=${BENCH_ACCOUNTS:-1000000}
CONNS=${BENCH_CONNECTIONS:-64}
SECS=${BENCH_SECONDS:-15}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
RECORD=${BENCH_RECORD:-1}
DB=accountd_bench_${ACCOUNTS}
PORT=5099
BASE=http://127.0.0.1:$PORT
ADMIN=admin@bench.example
ADMIN_PASSWORD=admin1234
OUT=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$OUT"' EXIT

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk; then
  echo "installing wrk (Debian package)"; apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
need pgbench || { echo "pgbench is needed (it ships with Postgres)"; exit 1; }
PERF_SCENARIO=${BENCH_PERF:-}
if [ -n "$PERF_SCENARIO" ] && ! need perf; then
  echo "installing perf (Debian package linux-perf)"; apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null
fi
need psql || { echo "psql is needed"; exit 1; }

if [ -n "${BENCH_BIN:-}" ]; then
  BIN=$BENCH_BIN
else
  echo "building the release binary"
  cargo build --release --quiet --bin accountd
  BIN=target/release/accountd
fi

# The server as the README recommends for production: one worker per core, four pooled connections per core of
# the database host (here one host: more connections only add context switches, and the tail with them).
CORES=$(nproc)
export APP_ENV=development DATABASE_URL="$PG/$DB" SECRET_KEY=bench-secret-key-0123456789abcdef BIND_ADDR=127.0.0.1:$PORT \
  DATA_DIR="$OUT/data" DATABASE_POOL_SIZE=${BENCH_POOL_SIZE:-$((4 * CORES))} LOG_LEVEL=warn RUST_LOG=warn AUTO_MIGRATE=true

seeded=$(psql "$PG/$DB" -tAc "SELECT count(*) FROM accounts" 2>/dev/null || echo 0)
if [ "${seeded:-0}" -lt "$ACCOUNTS" ]; then
  echo "seeding $DB with $ACCOUNTS accounts"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  $BIN migrate >/dev/null
  $BIN create-admin --email $ADMIN --name Bench --password $ADMIN_PASSWORD >/dev/null
  $BIN seed --accounts "$ACCOUNTS" --manager $ADMIN
else
  echo "reusing $DB ($seeded accounts)"
fi

# Bound 1: one indexed read on this Postgres at the same concurrency: `pgbench -S -M prepared`, since Diesel
# prepares and caches its statements too (the simple-protocol figure is kept beside it for history).
if ! psql "$PG/accountd_pgbench" -tAc "SELECT 1 FROM pgbench_accounts LIMIT 1" >/dev/null 2>&1; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS accountd_pgbench" -c "CREATE DATABASE accountd_pgbench" >/dev/null
  pgbench -q -i -s 10 "$PG/accountd_pgbench" >/dev/null 2>&1
fi
PGBENCH_SIMPLE_TPS=$(pgbench -S -n -c "$CONNS" -j "$CORES" -T "$SECS" "$PG/accountd_pgbench" 2>/dev/null | awk '/^tps/ {print $3; exit}')
PGBENCH_TPS=$(pgbench -S -n -M prepared -c "$CONNS" -j "$CORES" -T "$SECS" "$PG/accountd_pgbench" 2>/dev/null \
  | awk '/^tps/ {print $3; exit}')
# Bound 2: bcrypt verifications per second at the configured cost on all cores, measured around the login scenario
# (below): a 5 s sample alone moves by 4 % and more on this kind of host within a minute.
bcrypt_rate() { $BIN bench-hash --seconds 5 | awk '{print $NF}' | tr -d '/s'; }

$BIN serve >"$OUT/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }
hwm() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }
IDLE_RSS=$(rss)

login() {
  curl -fs -X POST "$BASE/console/api/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$ADMIN\",\"password\":\"$ADMIN_PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])'
}
TOKEN=$(login)
# one fresh key per run (an account holds at most two active keys)
psql "$PG/$DB" -qc "UPDATE access_keys SET deleted_at = now() WHERE name LIKE 'bench %' AND deleted_at IS NULL" >/dev/null
KEY=$($BIN access-key create --email $ADMIN --name "bench $(date +%s)" | awk '/^access_key:/{a=$2} /^secret_key:/{s=$2} END{print a"."s}')
GROUP1=$(psql "$PG/$DB" -tAc "SELECT md5('group1')::uuid::text")
ACCOUNT7=$(psql "$PG/$DB" -tAc "SELECT md5('acct7')::uuid::text")
MEMBERS=$(psql "$PG/$DB" -tAc "SELECT count(*) FROM group_members WHERE group_id = '$GROUP1'")

RESULTS="$OUT/results" BOUNDS="$OUT/bounds"
: >"$RESULTS"
: >"$BOUNDS"
# statements NAME PGBENCH-ARGS…: a scenario's statements run by pgbench alone (prepared, at the scenario's
# concurrency), recorded as "name tps p50 p99" from its per-transaction log: what Postgres alone can do for it.
statements() {
  local name=$1 tps; shift
  rm -f "$OUT"/pgb.*
  tps=$(pgbench -n -M prepared -c "$CONNS" -j "$CORES" -T "$SECS" -l --log-prefix="$OUT/pgb" "$@" "$PG/$DB" 2>/dev/null \
    | awk '/^tps/ {print $3; exit}')
  cat "$OUT"/pgb.* | awk '{print $3}' | sort -n | awk -v n="$name" -v t="${tps:-0}" \
    '{a[NR]=$1} END {if (NR) printf "%s tps=%s p50_ms=%.2f p99_ms=%.2f\n", n, t, a[int(NR*0.5)+1]/1000, a[int(NR*0.99)+1]/1000}' \
    >>"$BOUNDS"
}
# scenario NAME CONNECTIONS [env assignments…]: runs wrk and records "name rps p50 p99 errors rss".
scenario() {
  local name=$1 conns=$2 perf=""; shift 2
  local line
  if [ "$name" = "$PERF_SCENARIO" ]; then
    mkdir -p target/bench
    perf record -F 499 -a -g -o "target/bench/perf-$name.data" -- sleep "$SECS" >/dev/null 2>&1 &
    perf=$!
  fi
  line=$(env "$@" wrk -t "$CORES" -c "$conns" -d "${SECS}s" --timeout 10s -s bench/wrk/report.lua "$BASE" | grep '^RESULT')
  echo "$name $conns $line rss_mb=$(rss)" | tee -a "$RESULTS"
  if [ -n "$perf" ]; then
    wait "$perf" || true
    echo "where the CPU went during $name (perf report -i target/bench/perf-$name.data for more):"
    perf report -i "target/bench/perf-$name.data" --no-children --sort comm,dso -g none 2>/dev/null | grep -v '^#' | grep . | head -15
  fi
}

bearer="Bearer $TOKEN"
scenario profile "$CONNS" BENCH_PATH=/console/api/account/profile BENCH_AUTH="$bearer"
# logins of seeded accounts drawn at random (one address would trip its own lockout under parallel attempts)
LOGIN_BODY='{"email":"{email}","password":"bench1234"}'
# the bcrypt bound: the mean of a sample just before the scenario and one just after, each with the server idle
# (the logins still queued when wrk stops are hashed first: the server's CPU time stops moving)
settle() {
  local before after
  for _ in $(seq 1 40); do
    before=$(awk '{print $14 + $15}' "/proc/$SERVER/stat"); sleep 0.5; after=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    [ $((after - before)) -lt 5 ] && break
  done
}
BCRYPT_BEFORE=$(bcrypt_rate)
scenario login "$CONNS" BENCH_METHOD=POST BENCH_PATH=/console/api/login BENCH_BODY="$LOGIN_BODY" BENCH_USERS="$ACCOUNTS"
settle
BCRYPT_AFTER=$(bcrypt_rate)
BCRYPT_RATE=$(awk -v a="$BCRYPT_BEFORE" -v b="$BCRYPT_AFTER" 'BEGIN {printf "%.1f", (a + b) / 2}')
echo "bcrypt bound: $BCRYPT_BEFORE/s before the login scenario, $BCRYPT_AFTER/s after, mean $BCRYPT_RATE/s"
# profile while logins saturate the hashing pool
env BENCH_METHOD=POST BENCH_PATH=/console/api/login BENCH_BODY="$LOGIN_BODY" BENCH_USERS="$ACCOUNTS" \
  wrk -t 1 -c 32 -d "$((SECS + 2))s" -s bench/wrk/report.lua "$BASE" >/dev/null &
LOGINS=$!
sleep 1
scenario profile-under-logins 16 BENCH_PATH=/console/api/account/profile BENCH_AUTH="$bearer"
wait $LOGINS || true
TOKEN=$(login); bearer="Bearer $TOKEN"
# Bound: the statements of one page of the current group's accounts alone.
ADMIN_ID=$(psql "$PG/$DB" -tAc "SELECT id FROM accounts WHERE email_key = '$ADMIN' AND deleted_at IS NULL")
statements account-ex-list-pages -D account="$ADMIN_ID" -D group="$GROUP1" -D pages=$(( (MEMBERS + 19) / 20 )) \
  -f bench/pgbench/account-ex-list.sql
scenario account-ex-list-pages "$CONNS" BENCH_PATH="/console/api/account-ex/list?page={page}&limit=20" \
  BENCH_PAGES=$(( (MEMBERS + 19) / 20 )) BENCH_AUTH="$bearer"
scenario openapi-q-3chars "$CONNS" BENCH_PATH="/openapi/v1/accounts/?q={q}&limit=20" \
  BENCH_QUERIES="wan,zha,ser9,12345,ample.org,nna,m%C3%BCl,r77" BENCH_AUTH="Bearer $KEY"
# Bound: the search statements of those terms alone (bench/pgbench/q-search.sql, one script per term), each term
# with the statements the server chooses for it: the ordered index when the sample of the trigram index's statistics
# expects at least max(√live, 20) matches and holds it twice (crates/db/src/repo/account_search.rs).
ordered_term() {
  psql "$PG/$DB" -tAc "WITH sample AS (SELECT unnest(histogram_bounds::text::text[]) AS text FROM pg_stats
      WHERE tablename = 'accounts_search_trgm'), live AS (SELECT reltuples::float8 AS n FROM pg_class
      WHERE oid = 'accounts_search_trgm'::regclass)
    SELECT CASE WHEN count(*) FILTER (WHERE text LIKE '%$1%') >= greatest(2, ceil(count(*) * greatest(sqrt(n), 20) / n))
      THEN 1 ELSE 0 END FROM sample, live GROUP BY n"
}
SEARCH_SCRIPTS=()
for term in wan zha ser9 12345 ample.org nna mül r77; do
  ordered=$(ordered_term "$term" || true)
  sed "s/TERM/%$term%/g; s/ORDERED/${ordered:-0}/" bench/pgbench/q-search.sql >"$OUT/q-$term.sql"
  SEARCH_SCRIPTS+=(-f "$OUT/q-$term.sql")
done
statements openapi-q-3chars "${SEARCH_SCRIPTS[@]}"
scenario openapi-q-short "$CONNS" BENCH_PATH="/openapi/v1/accounts/?q={q}&limit=20" \
  BENCH_QUERIES="a,z,%25,_,w,7" BENCH_AUTH="Bearer $KEY"
# Bound: the statements of one member page alone.
statements group-members -D group="$GROUP1" -D pages=$(( (MEMBERS + 19) / 20 )) -f bench/pgbench/group-members.sql
scenario group-members "$CONNS" BENCH_PATH="/console/api/enterprise-groups/$GROUP1/members?page={page}&limit=20" \
  BENCH_PAGES=$(( (MEMBERS + 19) / 20 )) BENCH_AUTH="$bearer"
# Bound: the statements of the managed workspaces' first page alone.
statements managed-tenants -D group="$GROUP1" -f bench/pgbench/managed-tenants.sql
scenario managed-tenants "$CONNS" BENCH_PATH="/console/api/enterprise-groups/$GROUP1/managed-tenants" BENCH_AUTH="$bearer"
scenario joined-tenants "$CONNS" BENCH_PATH="/console/api/enterprise-groups/$GROUP1/joined-tenants/$ACCOUNT7" BENCH_AUTH="$bearer"
# Bound: the statements of the group's first dataset page alone, as the admin (not the group's super admin) sees it.
statements group-datasets -D group="$GROUP1" -D account="$ADMIN_ID" -f bench/pgbench/group-datasets.sql
scenario group-datasets "$CONNS" BENCH_PATH="/console/api/enterprise-groups/$GROUP1/datasets?page=1&limit=20" BENCH_AUTH="$bearer"

# Batch create: 1000 accounts with passwords in one request, against 1000 hashes spread over the cores.
BATCH=$(python3 - "$(date +%s%N)" <<'PY'
import json, sys
run = sys.argv[1]
print(json.dumps({"accounts": [{"username": f"b{run[-9:]}x{i}", "password": "bench1234", "email": f"b{run}.{i}@batch.example"} for i in range(1000)]}))
PY
)
BATCH_SECS=$(curl -s -o "$OUT/batch.json" -w '%{time_total}' -X POST "$BASE/openapi/v1/accounts/create-accounts/" \
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' --data-binary "$BATCH")
BATCH_CODE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errcode"])' "$OUT/batch.json")
PEAK_RSS=$(hwm)
# the batch joined the admin's current group: remove it again, so that every run sees the same population
psql "$PG/$DB" -qc "DELETE FROM accounts WHERE email_key LIKE '%@batch.example'" >/dev/null
# and vacuum what it touched: dead membership rows in the first group would make the next run's member lists
# visit the table instead of reading the index alone
psql "$PG/$DB" -qc "VACUUM (ANALYZE) accounts, group_members, tenant_members, login_sessions" >/dev/null

python3 bench/report.py "$RESULTS" "$PGBENCH_TPS" "$BCRYPT_RATE" "$BATCH_SECS" "$BATCH_CODE" "$IDLE_RSS" "$PEAK_RSS" \
  "$ACCOUNTS" "$CONNS" "$SECS" "$CORES" "$RECORD" "$BOUNDS" "$PGBENCH_SIMPLE_TPS"
