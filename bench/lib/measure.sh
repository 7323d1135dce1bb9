# shellcheck shell=bash disable=SC2034,SC2154  # Shares variables with bench/run, which sources it.
# Measuring and reporting: wrk and loadgen runs, numbers out of their JSON, the results table.
# Sourced by bench/run.

LOADGEN="$ROOT/target/release/loadgen"
rows=()

# wrk_run NAME URL SCRIPT: REPEATS runs of DURATION seconds, WRK_THREADS threads, CONNECTIONS
# connections each; leaves the numbers of the fastest run in $BENCH_DIR/NAME.json, every
# run's rate in $BENCH_DIR/NAME.runs and the requests of all runs in $BENCH_DIR/NAME.total. Other tenants of a shared machine take its cores away at
# times (see the steal figure in the table's header): the fastest run is the one they disturbed
# least, and the others are reported beside it.
wrk_run() {
  local name=$1 url=$2 script=$3 run best=-1 rate total=0
  cat "$BENCH_ROOT/wrk/$script" "$BENCH_ROOT/wrk/report.lua" >"$BENCH_DIR/$name.lua"
  : >"$BENCH_DIR/$name.runs"
  for ((run = 1; run <= REPEATS; run++)); do
    wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 5s \
      -s "$BENCH_DIR/$name.lua" "$url" >"$BENCH_DIR/$name.wrk.txt" 2>&1 ||
      die "wrk failed: $(cat "$BENCH_DIR/$name.wrk.txt")"
    sed -n 's/^WRK //p' "$BENCH_DIR/$name.wrk.txt" >"$BENCH_DIR/$name.$run.json"
    local errors
    errors=$(j "$name.$run" .errors)
    [ "$errors" = 0 ] || echo "bench: warning: $errors wrk errors in $name" >&2
    rate=$(j "$name.$run" '.requests / .seconds | floor')
    echo "$rate" >>"$BENCH_DIR/$name.runs"
    total=$((total + $(j "$name.$run" .requests)))
    if [ "$rate" -gt "$best" ]; then
      best=$rate
      cp "$BENCH_DIR/$name.$run.json" "$BENCH_DIR/$name.json"
    fi
  done
  echo "$total" >"$BENCH_DIR/$name.total"
  echo "  $name: $(runs "$name"), best p99 $(j "$name" .p99_ms) ms"
}

# runs NAME: "best of 3 runs: 35,353 (31,002, 33,100) req/s"
runs() {
  local all
  all=$(sort -rn "$BENCH_DIR/$1.runs" | tail -n +2 | while read -r r; do thousands "$r"; echo; done | paste -sd, | sed 's/,/, /g')
  if [ -n "$all" ]; then
    echo "best of $REPEATS runs: $(thousands "$(sort -rn "$BENCH_DIR/$1.runs" | head -1)") req/s (others: $all)"
  else
    echo "$(thousands "$(head -1 "$BENCH_DIR/$1.runs")") req/s"
  fi
}

# CPU time the hypervisor gave to other machines, as a percentage of this machine's CPU time
# since cpu_mark was called.
cpu_mark() { read -r _ CPU_MARK <<<"$(head -1 /proc/stat)"; }
steal_since_mark() {
  local now
  read -r _ now <<<"$(head -1 /proc/stat)"
  awk -v a="$CPU_MARK" -v b="$now" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); total = 0
    for (i = 1; i <= n; i++) total += y[i] - x[i]
    printf "%.1f", (total > 0 ? (y[8] - x[8]) * 100 / total : 0) }'
}

# total NAME: the requests of all of a wrk line's runs.
total() { cat "$BENCH_DIR/$1.total"; }

# j NAME JQ_EXPR: a number from $BENCH_DIR/NAME.json.
j() { jq -r "$2" "$BENCH_DIR/$1.json"; }

# Arithmetic and comparisons on decimals.
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
# 12345.6 -> 12,346
thousands() { printf "%'.0f" "$1"; }

# row WHAT TARGET MEASURED CONDITION: one line of the table; CONDITION is an awk expression.
row() {
  local verdict=fail
  if holds "$4"; then verdict=pass; fi
  rows+=("| $1 | $2 | $3 | **$verdict** |")
  echo "  -> $verdict: $1: $3"
}

# table: the markdown table, with how it was measured.
table() {
  echo "# Benchmark results"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
    "client and servers on the same cores; wrk $WRK_THREADS threads, $CONNECTIONS connections, best of $REPEATS runs of ${DURATION} s per HTTP line;" \
    "each service with $SERVICE_THREADS runtime thread(s) (TOKIO_WORKER_THREADS);" \
    "CPU stolen by the hypervisor for other machines during the run: $(steal_since_mark)%;" \
    "load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (other programs share these cores: compare the ratios and CPU per request, which they disturb least)."
  echo
  echo "| what | target | measured | result |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
}

# CPU time a process has used so far, in clock ticks; with per_request, a noise-resistant
# measure: other programs on the machine change req/s and p99, not a request's own CPU time.
CLK_TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# per_request TICKS_BEFORE TICKS_AFTER REQUESTS: microseconds of CPU per request.
per_request() { calc "($2 - $1) * 1000000 / $CLK_TCK / $3"; }
