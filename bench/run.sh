#!/usr/bin/env bash
# bench/run.sh — the benchmarks of BENCHMARKS.md (issue 13 item 7), against the release
# binary running as its own process, driven by an external load tool (wrk).
#
#   cargo build --release                  # once; the script never builds
#   bench/run.sh                           # SQLite and PostgreSQL, city scale (2020 plan)
#   BACKENDS=postgres NATIONAL=1 bench/run.sh   # also the national scale (45,000 holders)
#
# Needs: wrk (apt-get install wrk), python3 with aiosmtpd (pip install aiosmtpd), curl, psql
# and pgbench, perf for PERF=1, a PostgreSQL on 127.0.0.1:5432 where user postgres may create
# databases without a password (trust).
#
# Settings (environment):
#   BIN        the binary [${CARGO_TARGET_DIR:-target}/release/bloodplan]
#   IMPORT_BIN the binary that generates and imports the national data [BIN]
#   BACKENDS   "sqlite postgres" (default), one of them, or "" (with NATIONAL=1)
#   DURATION   each wrk/pgbench run [10s]
#   CONNS      connections of the read scenarios and the contested booking [32]
#   VEHICLES   vehicles created for the bookings [120]
#   NATIONAL   1: after the city runs, the national scale on PostgreSQL (gen 300 × 150,
#              import; when this binary has `import-activity`, `gen --activity` and
#              `import-activity` load a year of visits and collections too)
#   PERF       1: profile the whole machine with `perf record -a` during every wrk run
#              (OUT/*.perf.txt: samples by process, then serve's and PostgreSQL's symbols); the
#              profiler takes CPU too, so figures of a PERF run are not the benchmark's
#   ANALYZE    0: no ANALYZE before the PostgreSQL reads (1, the default, runs it after the
#              bookings and after the national import: this server has autovacuum off)
#   KEEP       1: keep the PostgreSQL databases (for EXPLAIN ANALYZE afterwards; drop them by hand)
#   PG         the PostgreSQL server [postgres://postgres@127.0.0.1:5432]
#   OUT        where raw outputs go [bench/results/<UTC time>]
#
# What it does, per backend: a fresh database (a SQLite file in a temp dir, or a database
# bloodplan_bench_<pid>_<backend>), `bloodplan serve` on a free loopback port with the service
# clock at 2020-02-01 09:00 (+08:00) so that 2020 can be booked (serve migrates and loads the
# 2020 plan itself), an office account made with `bloodplan user add` and a token from the
# `login` mutation, VEHICLES vehicles; then, each for DURATION with `wrk --latency`:
#   - bookVisit at 1, 16 and 128 connections, every request on its own vehicle, date and
#     half-day session (no two requests of the whole run share one), then the same at 1, 16
#     and 128 connections all racing for one session (one wins, the rest must be SLOT_TAKEN);
#     afterwards the live visits are counted: every distinct booking that was answered ok is
#     there (plus at most the requests in flight when wrk stopped), and each contested
#     session holds exactly one visit;
#   - the read queries at CONNS connections (on the data the bookings left: booked donors in
#     the kept totals; the first two anonymous, the plan being public, the others with the
#     office's token): { __typename }, every holder's name and quota (plan.units), README's
#     fulfilment query, section totals (fulfilment.bySection), a page of 50 holders'
#     fulfilment, every holder's fulfilment (157 rows);
#   - on PostgreSQL, the SQL each read query runs, run directly by pgbench (-c CONNS, same
#     duration, bench/sql/*.sql), for the API/SQL ratio;
#   - serve's own CPU time per request of each run (utime + stime of /proc/PID/stat), and its
#     peak RSS (VmHWM of /proc/PID/status) after all of that;
#   - reminders: 2 days × 2 sessions × VEHICLES visits booked and confirmed (each confirm
#     queues a NOTICE), serve stopped, then `bloodplan remind run-once` without SMTP (queues
#     the VISIT reminders due, timed) and again with SMTP_URL to bench/smtp_sink.py, an
#     aiosmtpd sink on loopback (sends everything queued, timed; the sink's count is checked).
# The uptime (load average) before every run is in the raw output, the 1-minute load at its end
# in the tables: the machine may be shared.
# Everything started is stopped, and every database and temp dir removed, on exit.
# Output: raw wrk/pgbench outputs under OUT, and Markdown tables on standard output (and in
# OUT/summary.md).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$REPO/bench
BIN=${BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/bloodplan}
IMPORT_BIN=${IMPORT_BIN:-$BIN}
BACKENDS=${BACKENDS:-sqlite postgres}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
VEHICLES=${VEHICLES:-120}
NATIONAL=${NATIONAL:-0}
PERF=${PERF:-0}
KEEP=${KEEP:-0}
ANALYZE=${ANALYZE:-1}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)}
NOW=2020-02-01T09:00:00+08:00
# The reminder commands start their clock later the same day: serve queued the notices at
# its own (running) clock, and a message is only sent once it is due.
REMIND_NOW=2020-02-01T12:00:00+08:00
PASSWORD=bench-office-password
export BENCH_DIR

[[ -x $BIN ]] || { echo "no binary at $BIN: cargo build --release first" >&2; exit 1; }
python3 -c "import aiosmtpd" 2>/dev/null || { echo "aiosmtpd is missing: pip install aiosmtpd" >&2; exit 1; }
for tool in wrk python3 curl psql pgbench; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/bloodplan-bench.XXXXXX)
SERVE_PID= SMTP_PID=
DATABASES=()
SUMMARY=$OUT/summary.md
: >"$SUMMARY"

cleanup() {
  local rc=$?
  [[ -n $SERVE_PID ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  [[ -n $SMTP_PID ]] && kill "$SMTP_PID" 2>/dev/null && wait "$SMTP_PID" 2>/dev/null || true
  for db in "${DATABASES[@]}"; do
    [[ $KEEP == 1 ]] && { echo "kept database $db" >&2; continue; }
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT INT TERM

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
say() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
seconds() { date +%s.%N; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
# serve_cpu: serve's CPU time so far (utime + stime), in milliseconds.
serve_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f", ($12 + $13) * 1000 / hz }' "/proc/$SERVE_PID/stat"; }

# serve_start DATABASE_URL: starts serve, waits for /health, sets SERVE_PID, URL, BASE.
serve_start() {
  local port
  port=$(free_port)
  BASE=http://127.0.0.1:$port
  URL=$BASE/graphql
  (cd "$WORK" && exec env DATABASE_URL="$1" BLOODPLAN_BIND=127.0.0.1:$port BLOODPLAN_SEEDS="$REPO/seeds" \
    BLOODPLAN_NOW=$NOW "$BIN" serve >>"$OUT/serve-$BACKEND.log" 2>&1) &
  SERVE_PID=$!
  for _ in $(seq 600); do
    curl -fs "$BASE/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || { echo "serve exited; see $OUT/serve-$BACKEND.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "serve did not answer /health" >&2
  exit 1
}

serve_stop() {
  kill "$SERVE_PID"
  wait "$SERVE_PID" || true
  SERVE_PID=
}

# to_ms VALUE: wrk's "1.23ms", "456.00us", "1.02s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

# wrk_run NAME CONNECTIONS SCRIPT [ENV...]: one wrk run; appends a row to ROWS.
wrk_run() {
  local name=$1 conns=$2 script=$3; shift 3
  local threads=2 file
  ((conns < threads)) && threads=$conns
  file=$OUT/$BACKEND-$(echo "$name" | tr -c 'A-Za-z0-9' '_' | sed 's/__*/_/g')c$conns.wrk.txt
  { echo "# uptime before: $(load_avg)"; echo "# wrk -t$threads -c$conns -d$DURATION --latency -s $script"; } >"$file"
  log "$BACKEND: $name, $conns connections (load $(load_avg))"
  local perf_pid= cpu0
  cpu0=$(serve_cpu)
  if [[ $PERF == 1 ]]; then
    # The whole machine (wrk, serve, PostgreSQL, other builds), 499 samples/s a CPU.
    perf record -a -F 499 -o "${file%.wrk.txt}.perf.data" -- sleep "${DURATION%s}" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  env BENCH_TOKEN="$TOKEN" BENCH_THREADS=$threads "$@" \
    wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout 30s --latency -s "$script" "$URL" >>"$file" 2>&1
  if [[ -n $perf_pid ]]; then
    wait "$perf_pid" || true
    { perf report -i "${file%.wrk.txt}.perf.data" --stdio --sort pid 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15 || true
      echo
      echo "serve (pid $SERVE_PID) alone, by library and symbol:"
      perf report -i "${file%.wrk.txt}.perf.data" --stdio --pid "$SERVE_PID" --sort dso,sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
      echo
      echo "postgres processes alone, by symbol:"
      perf report -i "${file%.wrk.txt}.perf.data" --stdio --comms postgres --sort sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
    } >"${file%.wrk.txt}.perf.txt" || true
    rm -f "${file%.wrk.txt}.perf.data"
  fi
  local rps p50 p99 outcomes socket cpu_ms requests
  requests=$(awk '/requests in/ { print $1; exit }' "$file")
  # serve's own CPU time (user + system, all threads) over the run, per request answered.
  cpu_ms=$(awk -v a="$cpu0" -v b="$(serve_cpu)" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0 ? (b - a) / n : 0) }')
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$file")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2; exit }' "$file")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$file")")
  outcomes=$(grep '^BENCH_OUTCOMES' "$file" | cut -d' ' -f2-)
  socket=$(grep -o 'Socket errors:.*' "$file" || true)
  LAST_OK=$(sed -E 's/.*ok=([0-9]+).*/\1/' <<<"$outcomes")
  LAST_ERRORS=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$outcomes")
  LAST_EXPECTED=$(sed -E 's/.*expected=([0-9]+).*/\1/' <<<"$outcomes")
  LAST_RPS=$rps
  ROWS+=("| $name | $conns | $rps | $p50 | $p99 | $LAST_OK | $LAST_EXPECTED | $LAST_ERRORS${socket:+ ($socket)} | $cpu_ms | $(load_avg | cut -d' ' -f1) |")
}

# pgbench_run NAME SQLFILE DATABASE: the SQL alone; sets LAST_TPS.
pgbench_run() {
  local name=$1 sql=$2 db=$3 file
  file=$OUT/$BACKEND-sql-$name.pgbench.txt
  { echo "# uptime before: $(load_avg)"; echo "# pgbench -n -f $sql -c $CONNS -j 2 -T ${DURATION%s}"; } >"$file"
  log "$BACKEND: pgbench $name (load $(load_avg))"
  pgbench -n -f "$sql" -c "$CONNS" -j 2 -T "${DURATION%s}" "$PG/$db" >>"$file" 2>&1 ||
    { echo "pgbench $name failed: see $file" >&2; exit 1; }
  LAST_TPS=$(awk '/^tps = / { printf "%.0f", $3 }' "$file")
  grep -q 'number of failed transactions: 0 ' "$file" || { echo "pgbench $name failed: see $file" >&2; exit 1; }
}

body() { python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$1" >"$WORK/$2.json"; echo "$WORK/$2.json"; }

city() {
  local url db=
  ROWS=()
  if [[ $BACKEND == sqlite ]]; then
    url="sqlite://$WORK/bench.db?mode=rwc"
  else
    db=bloodplan_bench_$$_city
    DATABASES+=("$db")
    psql "$PG/postgres" -qc "CREATE DATABASE $db" >/dev/null
    url=$PG/$db
  fi
  serve_start "$url"
  echo "$PASSWORD" | DATABASE_URL=$url BLOODPLAN_NOW=$NOW BLOODPLAN_SEEDS="$REPO/seeds" "$BIN" user add --username office --role office --password-stdin >/dev/null
  TOKEN=$(python3 "$BENCH_DIR/gql.py" "$URL" login office "$PASSWORD")
  log "$BACKEND: $VEHICLES vehicles, contacts, free sessions"
  python3 "$BENCH_DIR/gql.py" "$URL" vehicles "$TOKEN" "$VEHICLES" >"$WORK/vehicles"
  python3 "$BENCH_DIR/gql.py" "$URL" contacts "$TOKEN"
  # 3–4 Feb: the reminders' visits; 5 Feb – 30 Dec: distinct bookings; 31 Dec: contested.
  python3 "$BENCH_DIR/gql.py" "$URL" slots "$TOKEN" "$WORK/vehicles" 2020-02-03 2020-02-04 "$WORK/remind-slots"
  python3 "$BENCH_DIR/gql.py" "$URL" slots "$TOKEN" "$WORK/vehicles" 2020-02-05 2020-12-30 "$WORK/slots"
  local total per first=0 booked=0 v1 v2 unit
  total=$(wc -l <"$WORK/slots")
  per=$((total / 3))
  for c in 1 16 128; do
    wrk_run "bookVisit, distinct sessions" "$c" "$BENCH_DIR/wrk/book.lua" \
      BENCH_SLOTS="$WORK/slots" BENCH_FIRST=$first BENCH_COUNT=$per
    booked=$((booked + LAST_OK))
    first=$((first + per))
  done
  v1=$(sed -n 1p "$WORK/vehicles")
  v2=$(sed -n 2p "$WORK/vehicles")
  unit=$(head -1 "$WORK/slots" | cut -d' ' -f1)
  local contested=("$v1 MORNING" "$v1 AFTERNOON" "$v2 MORNING") i=0 won=0
  for c in 1 16 128; do
    read -r v s <<<"${contested[$i]}"
    printf '{"query":"mutation($i: BookVisitInput!) { bookVisit(input: $i) { id } }","variables":{"i":{"unitId":"%s","vehicleId":"%s","date":"2020-12-31","session":"%s","expectedDonors":20}}}' \
      "$unit" "$v" "$s" >"$WORK/contested-$c.json"
    wrk_run "bookVisit, one contested session" "$c" "$BENCH_DIR/wrk/post.lua" \
      BENCH_BODY_FILE="$WORK/contested-$c.json" BENCH_EXPECT_CODE=SLOT_TAKEN
    won=$((won + LAST_OK))
    CHECKS+=("$BACKEND contested at $c connections: $LAST_OK won, $LAST_EXPECTED SLOT_TAKEN, $LAST_ERRORS other")
    i=$((i + 1))
  done
  local live_distinct live_contested
  live_distinct=$(python3 "$BENCH_DIR/gql.py" "$URL" query "$TOKEN" \
    '{ visits(from: "2020-02-05", to: "2020-12-30", status: [REQUESTED, CONFIRMED], first: 1) { totalCount } }' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["visits"]["totalCount"])')
  # Exactly one visit in each contested session: "vehicle session" of every live visit of 31 Dec.
  live_contested=$(python3 "$BENCH_DIR/gql.py" "$URL" query "$TOKEN" \
    '{ visits(from: "2020-12-31", to: "2020-12-31", status: [REQUESTED, CONFIRMED], first: 500) { nodes { vehicle { id } session } } }' |
    python3 -c 'import json,sys; print(" ".join(sorted(n["vehicle"]["id"] + ":" + n["session"] for n in json.load(sys.stdin)["visits"]["nodes"])))')
  # wrk stops with requests in flight: those bookings commit without being counted, so the
  # visits may exceed the answers by at most the connections (1 + 16 + 128), never fall short.
  CHECKS+=("$BACKEND distinct bookings: $booked answered ok, $live_distinct live visits in 5 Feb–30 Dec (the difference: requests in flight when wrk stopped)")
  CHECKS+=("$BACKEND contested sessions (3, one per run): $won answered ok before wrk stopped; live visits on 31 Dec (vehicle:session): $live_contested")
  ((live_distinct >= booked && live_distinct <= booked + 145)) || { echo "distinct bookings: $booked ok, $live_distinct visits" >&2; exit 1; }
  [[ $live_contested == "$(printf '%s\n' "$v1:AFTERNOON" "$v1:MORNING" "$v2:MORNING" | sort | tr '\n' ' ' | sed 's/ $//')" ]] ||
    { echo "contested sessions: visits $live_contested, expected one in each" >&2; exit 1; }

  # This PostgreSQL runs with autovacuum off (see BENCHMARKS.md): without statistics the
  # planner takes every table for empty and nests loops. A default server would have
  # analyzed these tables by itself by now; ANALYZE=0 measures without.
  if [[ $BACKEND == postgres && $ANALYZE == 1 ]]; then psql "$PG/$db" -qc ANALYZE; fi
  body '{ __typename }' typename >/dev/null
  body '{ plan(year: 2020) { units(first: 500) { nodes { name quota } } } }' names >/dev/null
  body '{ fulfilment(year: 2020, asOf: "2020-06-30") { quota collectedDonations collectedVolumeMl donationTarget volumeTargetMl bySection { kind quota printedTotal difference collectedDonations collectedVolumeMl behindCount } units(first: 20, behindSchedule: true, orderBy: SHARE_ASC) { totalCount nodes { name quota collectedDonations remaining } } monthly { month donations volumeMl } } }' contract >/dev/null
  body '{ fulfilment(year: 2020, asOf: "2020-06-30") { bySection { kind quota bookedDonors collectedDonations collectedVolumeMl behindCount } } }' sections >/dev/null
  body '{ fulfilment(year: 2020, asOf: "2020-06-30") { units(first: 50, offset: 50) { nodes { name quota bookedDonors collectedDonations collectedVolumeMl remaining behindSchedule } } } }' page >/dev/null
  body '{ fulfilment(year: 2020, asOf: "2020-06-30") { units(first: 500) { nodes { name quota bookedDonors collectedDonations collectedVolumeMl remaining behindSchedule } } } }' all >/dev/null
  local name file sql
  for pair in "typename:{ __typename }" "names:plan.units, every holder's name and quota" \
    "contract:README's fulfilment query" "sections:fulfilment.bySection" \
    "page:fulfilment.units, a page of 50" "all:fulfilment.units, every holder (157)"; do
    name=${pair%%:*}
    file=$WORK/$name.json
    # The plan is public: its reads go without a token, as anonymous readers send them.
    local auth=()
    [[ $name == typename || $name == names ]] && auth=(BENCH_TOKEN=)
    wrk_run "${pair#*:}" "$CONNS" "$BENCH_DIR/wrk/post.lua" BENCH_BODY_FILE="$file" "${auth[@]}"
    local api=$LAST_RPS
    sql=$BENCH_DIR/sql/$name.sql
    if [[ $BACKEND == postgres && -f $sql ]]; then
      pgbench_run "$name" "$sql" "$db"
      local last=${ROWS[-1]}
      ROWS[-1]="$last $LAST_TPS | $(awk -v a="$api" -v s="$LAST_TPS" 'BEGIN { printf "%.2f", a / s }') |"
    else
      ROWS[-1]="${ROWS[-1]} — | — |"
    fi
  done
  # Bookings have no SQL-alone figure.
  for i in "${!ROWS[@]}"; do
    [[ ${ROWS[$i]} == "| bookVisit"* ]] && ROWS[$i]="${ROWS[$i]} — | — |"
  done

  local rss
  rss=$(awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVE_PID/status")

  # Reminders: confirmed visits 3–4 Feb (the VISIT rule is 3 days ahead), a NOTICE each.
  log "$BACKEND: reminders"
  local t0 t1 visits
  visits=$(wc -l <"$WORK/remind-slots")
  t0=$(seconds)
  python3 "$BENCH_DIR/gql.py" "$URL" book-confirm "$TOKEN" "$WORK/remind-slots"
  t1=$(seconds)
  local confirm_s
  confirm_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  serve_stop
  local remind_env=(DATABASE_URL="$url" BLOODPLAN_NOW=$REMIND_NOW BLOODPLAN_SEEDS="$REPO/seeds" OFFICE_CONTACT_PHONE=0715-8000000)
  echo "# uptime before: $(load_avg)" >"$OUT/$BACKEND-remind.txt"
  t0=$(seconds)
  (cd "$WORK" && env "${remind_env[@]}" "$BIN" remind run-once) >>"$OUT/$BACKEND-remind.txt" 2>&1
  t1=$(seconds)
  local queued queue_s
  queued=$(grep -o '新加入发件箱：[0-9]*' "$OUT/$BACKEND-remind.txt" | grep -o '[0-9]*$')
  queue_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  local smtp_port
  smtp_port=$(free_port)
  python3 -u "$BENCH_DIR/smtp_sink.py" 127.0.0.1 "$smtp_port" "$WORK/smtp.count" >"$WORK/smtp.out" 2>&1 &
  SMTP_PID=$!
  sleep 2
  echo "# uptime before: $(load_avg)" >>"$OUT/$BACKEND-remind.txt"
  t0=$(seconds)
  (cd "$WORK" && env "${remind_env[@]}" SMTP_URL="smtp://127.0.0.1:$smtp_port" MAIL_FROM='市献血办 <bench@example.org>' \
    "$BIN" remind run-once) >>"$OUT/$BACKEND-remind.txt" 2>&1
  t1=$(seconds)
  local sent send_s received
  sent=$(grep -o '已发送 [0-9]*' "$OUT/$BACKEND-remind.txt" | tail -1 | grep -o '[0-9]*$')
  send_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  sleep 1
  received=$(cat "$WORK/smtp.count")
  kill "$SMTP_PID"
  wait "$SMTP_PID" 2>/dev/null || true
  SMTP_PID=

  say ""
  say "### $BACKEND, city scale (2020 plan, 157 holders), $DURATION a run"
  say ""
  say "| scenario | connections | req/s | p50 ms | p99 ms | ok | SLOT_TAKEN | errors | serve CPU ms/req | load (1 min, at the end) | SQL alone tps | API/SQL |"
  say "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for row in "${ROWS[@]}"; do say "$row"; done
  say ""
  say "- serve's peak RSS (VmHWM) after the runs above: $rss"
  say "- $visits visits booked and confirmed one request at a time (python, 2 requests each): ${confirm_s} s"
  say "- \`remind run-once\` without SMTP: $queued reminders queued in $queue_s s (the whole command: start, migrations check, plan, queue)"
  say "- \`remind run-once\` to the loopback SMTP sink: $sent sent in $send_s s ($(awk -v n="$sent" -v s="$send_s" 'BEGIN { printf "%.0f", n / s }')/s), the sink received $received"
  for c in "${CHECKS[@]}"; do say "- check: $c"; done
  CHECKS=()
}

national() {
  BACKEND=postgres-national
  ROWS=()
  local db=bloodplan_bench_$$_national url t0 t1
  DATABASES+=("$db")
  psql "$PG/postgres" -qc "CREATE DATABASE $db" >/dev/null
  url=$PG/$db
  log "national: gen"
  local with_activity=0
  [[ $("$IMPORT_BIN" --help) == *import-activity* ]] && with_activity=1
  "$IMPORT_BIN" gen --cities 300 --units-per-city 150 --year 2021 --seed 1 --out "$WORK/natl" \
    $( ((with_activity)) && echo --activity) >"$OUT/national-gen.txt" 2>&1
  serve_start "$url"
  serve_stop
  echo "# uptime before: $(load_avg)" >"$OUT/national-import.txt"
  t0=$(seconds)
  (cd "$WORK" && DATABASE_URL=$url BLOODPLAN_NOW=$NOW "$IMPORT_BIN" import "$WORK/natl") >>"$OUT/national-import.txt" 2>&1
  t1=$(seconds)
  local import_s
  import_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  [[ $ANALYZE == 1 ]] && psql "$PG/$db" -qc ANALYZE
  local activity="none (this binary has no import-activity)"
  if ((with_activity)); then
    log "national: import-activity"
    t0=$(seconds)
    (cd "$WORK" && DATABASE_URL=$url BLOODPLAN_NOW=$NOW "$IMPORT_BIN" import-activity "$WORK/natl") >>"$OUT/national-import.txt" 2>&1
    t1=$(seconds)
    activity="loaded by import-activity in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $(psql "$PG/$db" -Atc \
      "SELECT count(*) FROM visit WHERE date >= '2021-01-01'") visits, $(psql "$PG/$db" -Atc \
      "SELECT count(*) FROM collection WHERE date >= '2021-01-01'") collection records"
  fi
  [[ $ANALYZE == 1 ]] && psql "$PG/$db" -qc ANALYZE
  serve_start "$url"
  echo "$PASSWORD" | DATABASE_URL=$url BLOODPLAN_NOW=$NOW BLOODPLAN_SEEDS="$REPO/seeds" "$BIN" user add --username office --role office --password-stdin >/dev/null
  TOKEN=$(python3 "$BENCH_DIR/gql.py" "$URL" login office "$PASSWORD")
  body '{ fulfilment(year: 2021, asOf: "2021-06-30") { bySection { kind quota bookedDonors collectedDonations collectedVolumeMl behindCount } } }' n-sections >/dev/null
  body '{ fulfilment(year: 2021, asOf: "2021-06-30") { units(first: 50, offset: 50) { nodes { name quota bookedDonors collectedDonations collectedVolumeMl remaining behindSchedule } } } }' n-page >/dev/null
  # Alone: one request at a time, 5 times each.
  local alone=()
  for pair in "n-sections:fulfilment.bySection" "n-page:fulfilment.units, a page of 50"; do
    local times=()
    for _ in 1 2 3 4 5; do
      times+=("$(curl -s -o /dev/null -w '%{time_total}\n' -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
        --data-binary "@$WORK/${pair%%:*}.json" "$URL" | awk '{ printf "%.0f", $1 * 1000 }')")
    done
    alone+=("${pair#*:} alone, 5 requests one after another: ${times[*]} ms")
  done
  local times=() bytes
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o "$WORK/all.csv" -w '%{time_total}\n' -H "authorization: Bearer $TOKEN" "$BASE/exports/fulfilment.csv?year=2021&asOf=2021-06-30" |
      awk '{ printf "%.0f", $1 * 1000 }')")
  done
  bytes=$(wc -l <"$WORK/all.csv")
  alone+=("every holder's fulfilment (GET /exports/fulfilment.csv?year=2021, $bytes lines), 5 requests one after another: ${times[*]} ms")
  wrk_run "fulfilment.bySection" "$CONNS" "$BENCH_DIR/wrk/post.lua" BENCH_BODY_FILE="$WORK/n-sections.json"
  wrk_run "fulfilment.units, a page of 50" "$CONNS" "$BENCH_DIR/wrk/post.lua" BENCH_BODY_FILE="$WORK/n-page.json"
  local rss
  rss=$(awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVE_PID/status")
  serve_stop
  say ""
  say "### PostgreSQL, national scale (2021: 45,000 generated holders), $DURATION a run"
  say ""
  say "- import of the 45,000 holders (into a database holding the 2020 plan): $import_s s"
  say "- activity of the year: $activity"
  for a in "${alone[@]}"; do say "- $a"; done
  say ""
  say "| scenario | connections | req/s | p50 ms | p99 ms | ok | SLOT_TAKEN | errors | serve CPU ms/req | load (1 min, at the end) |"
  say "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for row in "${ROWS[@]}"; do say "$row"; done
  say ""
  say "- serve's peak RSS (VmHWM): $rss"
}

CHECKS=()
{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $("$BIN" --version), $(rustc --version 2>/dev/null || true)"
  echo "# uptime: $(uptime)"
} >"$OUT/machine.txt"
for BACKEND in $BACKENDS; do
  city
done
[[ $NATIONAL == 1 ]] && national
log "raw outputs in $OUT; summary in $SUMMARY"
