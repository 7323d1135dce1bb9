# shellcheck shell=bash
# The four services for scripts/run-local, each in a session of its own (see servers.sh).

service_pids=()

# start_service BINARY [NAME=VALUE...]: the variables are the service's settings.
start_service() {
  local binary=$1
  shift
  env "$@" setsid "$LAB_BIN_DIR/$binary" </dev/null &
  service_pids+=($!)
}

# SIGTERM is each service's graceful stop; the worker hands its batch back to Redis.
stop_services() {
  local pid
  for pid in "${service_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${service_pids[@]}"; do wait "$pid" 2>/dev/null; done
  service_pids=()
}
