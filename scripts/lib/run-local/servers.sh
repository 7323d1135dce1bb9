# shellcheck shell=bash disable=SC2154  # lab_dir, pg_bin, as_pg: set by scripts/run-local.
# Redis and PostgreSQL for scripts/run-local, in $lab_dir. Each runs in a session of its own
# (setsid): a Ctrl-C in the terminal reaches only the script, which then stops them in order.

redis_pid=

start_redis() {
  setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$lab_dir" --save '' \
    --appendonly no --logfile "$lab_dir/redis.log" </dev/null &
  redis_pid=$!
}

stop_redis() {
  [ -n "$redis_pid" ] || return 0
  kill -TERM "$redis_pid" 2>/dev/null
  wait "$redis_pid" 2>/dev/null
  redis_pid=
}

start_postgres() {
  [ "${#as_pg[@]}" = 0 ] || chown postgres "$lab_dir"
  "${as_pg[@]}" "$pg_bin/initdb" -D "$lab_dir/pg" -U postgres --auth=trust >/dev/null
  # pg_ctl returns once the server answers; the server stays in the session setsid made.
  if ! setsid "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$lab_dir/pg" -l "$lab_dir/pg.log" -w \
    -o "-p $PG_PORT -k $lab_dir -c listen_addresses=127.0.0.1" start </dev/null >/dev/null; then
    # Shown now: the directory, and the log with it, is removed on exit.
    cat "$lab_dir/pg.log" >&2
    die "PostgreSQL did not start on port $PG_PORT (its log is above)"
  fi
}

stop_postgres() {
  [ -f "$lab_dir/pg/postmaster.pid" ] || return 0
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$lab_dir/pg" -m fast -w stop >/dev/null 2>&1
}
