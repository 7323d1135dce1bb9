# shellcheck shell=bash disable=SC2034,SC2154  # Shares variables with bench/run, which sources it.
# Redis, PostgreSQL and the four services, each on a free loopback port, all under $BENCH_DIR.
# Sourced by bench/run (after scripts/lib/postgres-programs.sh: pg_bin, as_pg), which calls
# bench_cleanup on exit (success, failure or Ctrl-C).

declare -A service_pid=()
declare -A service_peak_kib=()
redis_pid=

die() { echo "bench: $*" >&2; exit 1; }

check_tools() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-benchmark >/dev/null || missing+=(redis-tools)
  command -v psql >/dev/null || missing+=(postgresql-client)
  [ -x "$pg_bin/initdb" ] || missing+=(postgresql)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v jq >/dev/null || missing+=(jq)
  command -v curl >/dev/null || missing+=(curl)
  ((${#missing[@]} == 0)) || die "missing tools: apt-get install ${missing[*]}"
}

# A TCP port nothing listens on. A race with another program remains possible, but each
# server below fails loudly if its port is taken.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# Waits (bounded) until a URL answers 2xx.
wait_http() {
  local url=$1 name=$2
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.05
  done
  die "$name did not answer $url within 10 s (log: $BENCH_DIR/$name.log)"
}

start_redis() {
  REDIS_PORT=$(free_port)
  # No persistence: the benchmark measures the services, not Redis's disk.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$BENCH_DIR" --save '' \
    --appendonly no --logfile "$BENCH_DIR/redis.log" &
  redis_pid=$!
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/"
  for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  die "redis-server did not start (log: $BENCH_DIR/redis.log)"
}

start_postgres() {
  PG_PORT=$(free_port)
  [ "${#as_pg[@]}" = 0 ] || chown postgres "$BENCH_DIR"
  "${as_pg[@]}" "$pg_bin/initdb" -D "$BENCH_DIR/pg" -U postgres --auth=trust >/dev/null
  # Durable as shipped (fsync, synchronous_commit on); only sized so the 10 M-row load does not
  # spend its time checkpointing.
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$BENCH_DIR/pg" -l "$BENCH_DIR/pg.log" -w -o \
    "-p $PG_PORT -k $BENCH_DIR -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=8GB -c maintenance_work_mem=512MB" \
    start >/dev/null
  PG_URL_BASE="postgres://postgres@127.0.0.1:$PG_PORT"
  DATABASE_URL="$PG_URL_BASE/postgres"
}

psql_at() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# start_service NAME PORT_VARIABLE PORT [VAR=VALUE...]: runs target/release/BINARY in the
# background, where BINARY is NAME up to its first "-" (worker-drain runs the worker), and waits
# until it answers /healthz. Called directly, never in $(...), so its pid stays known here.
# Each service gets SERVICE_THREADS runtime threads unless VAR=VALUE sets TOKIO_WORKER_THREADS.
start_service() {
  local name=$1 port_var=$2 port=$3
  shift 3
  env "TOKIO_WORKER_THREADS=$SERVICE_THREADS" "$port_var=$port" "$@" "$ROOT/target/release/${name%%-*}" \
    >"$BENCH_DIR/$name.log" 2>&1 &
  service_pid[$name]=$!
  wait_http "http://127.0.0.1:$port/healthz" "$name"
}

# Peak resident memory so far (VmHWM), in KiB; remembered so a stopped service keeps its peak.
sample_peak() {
  local name=$1 pid=${service_pid[$1]} kib
  kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  if [ -n "$kib" ] && [ "$kib" -gt "${service_peak_kib[${name%%-*}]:-0}" ]; then
    service_peak_kib[${name%%-*}]=$kib
  fi
}

stop_service() {
  local name=$1 pid=${service_pid[$1]:-}
  [ -n "$pid" ] || return 0
  sample_peak "$name"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "service_pid[$name]"
}

bench_cleanup() {
  trap - EXIT INT TERM
  local name
  for name in "${!service_pid[@]}"; do kill -TERM "${service_pid[$name]}" 2>/dev/null || true; done
  for name in "${!service_pid[@]}"; do wait "${service_pid[$name]}" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null || true; fi
  if [ -d "$BENCH_DIR/pg" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$BENCH_DIR/pg" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$BENCH_DIR"
}
