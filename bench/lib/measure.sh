# Measuring and reporting: wrk and loadgen runs, numbers out of their JSON, the results table.
# Sourced by bench/run.

LOADGEN="$ROOT/target/release/loadgen"
rows=()

# wrk_run NAME URL SCRIPT: WRK_THREADS threads, CONNECTIONS connections, DURATION seconds;
# leaves the run's numbers in $BENCH_DIR/NAME.json.
wrk_run() {
  local name=$1 url=$2 script=$3
  cat "$BENCH_ROOT/wrk/$script" "$BENCH_ROOT/wrk/report.lua" >"$BENCH_DIR/$name.lua"
  wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 5s \
    -s "$BENCH_DIR/$name.lua" "$url" >"$BENCH_DIR/$name.wrk.txt" 2>&1 ||
    die "wrk failed: $(cat "$BENCH_DIR/$name.wrk.txt")"
  sed -n 's/^WRK //p' "$BENCH_DIR/$name.wrk.txt" >"$BENCH_DIR/$name.json"
  local errors
  errors=$(j "$name" .errors)
  [ "$errors" = 0 ] || echo "bench: warning: $errors wrk errors in $name" >&2
  echo "  $name: $(j "$name" '.requests / .seconds | floor') req/s, p99 $(j "$name" .p99_ms) ms"
}

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
    "client and servers on the same cores; wrk $WRK_THREADS threads, $CONNECTIONS connections, ${DURATION} s per HTTP line;" \
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
