#!/usr/bin/env bash
# Private Docker engine for the persistence lab (local and CI).
#
#   scripts/docker-engine.sh start   install docker.io/docker-compose/debootstrap if
#                                    missing, start our own dockerd, wait for it
#   scripts/docker-engine.sh stop    stop exactly that dockerd (by its pidfile) and wait
#   scripts/docker-engine.sh status  exit 0 if it answers, 1 otherwise
#   scripts/docker-engine.sh env     print `export ...` lines; use as
#                                    eval "$(scripts/docker-engine.sh env)"
#
# The engine is isolated from any other dockerd on the machine: its own
# socket, pidfile, exec-root, data-root, containerd namespace, bridge device
# and address pools. Its data-root lives in the cache (VOTELAB_CACHE), so the
# images it builds survive between runs on the same machine.
#
# Docker's client: use /usr/bin/docker (20.10, from docker.io), not the newer
# /usr/local/bin/docker that shadows it on this machine. `env` puts a
# directory first on PATH whose `docker` is /usr/bin/docker, so that
# docker-compose (v1, which shells out to `docker` for builds) uses it too.
set -euo pipefail

CACHE=${VOTELAB_CACHE:-/var/cache/votelab}
RUN=${VOTELAB_RUN:-/run/votelab}
DATA_ROOT=$CACHE/docker
LOG=$CACHE/log/dockerd.log
SOCK=$RUN/docker.sock
PIDFILE=$RUN/dockerd.pid
EXEC_ROOT=$RUN/exec
BIN_DIR=$RUN/bin
BRIDGE=${VOTELAB_BRIDGE:-votelab0}
BRIDGE_CIDR=${VOTELAB_BRIDGE_CIDR:-172.29.0.1/24}
ADDR_POOL=${VOTELAB_ADDR_POOL:-172.30.0.0/16}
DOCKER=/usr/bin/docker

say() { echo "docker-engine: $*" >&2; }

install_packages() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    [ -x /usr/bin/docker ] || missing+=(docker.io)
    [ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # docker.io's postinst tries to start the system service: harmless without
    # systemd, and we never use that service.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" iptables >/dev/null
}

pid_alive() {
    local pid
    [ -s "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -qa dockerd "/proc/$pid/cmdline"
}

answers() { DOCKER_HOST=unix://$SOCK timeout 10 "$DOCKER" info >/dev/null 2>&1; }

ensure_bridge() {
    # A bridge of our own, so we never touch docker0 of another engine.
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add "$BRIDGE" type bridge
        ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
    fi
    ip link set "$BRIDGE" up
}

ensure_bin_dir() {
    mkdir -p "$BIN_DIR"
    ln -sfn "$DOCKER" "$BIN_DIR/docker"
    ln -sfn /usr/bin/docker-compose "$BIN_DIR/docker-compose"
}

start() {
    install_packages
    mkdir -p "$DATA_ROOT" "$(dirname "$LOG")" "$RUN" "$EXEC_ROOT"
    ensure_bin_dir
    if pid_alive; then
        if answers; then say "already running (pid $(cat "$PIDFILE"))"; return 0; fi
        say "pid $(cat "$PIDFILE") is up but not answering yet; waiting"
    else
        rm -f "$PIDFILE" "$SOCK"
        ensure_bridge
        say "starting dockerd (data-root $DATA_ROOT, log $LOG)"
        # setsid: the daemon must not die with the caller's session or get its
        # terminal signals; it is stopped only through `stop`.
        setsid /usr/sbin/dockerd \
            --host "unix://$SOCK" \
            --pidfile "$PIDFILE" \
            --data-root "$DATA_ROOT" \
            --exec-root "$EXEC_ROOT" \
            --storage-driver overlay2 \
            --containerd-namespace votelab \
            --containerd-plugins-namespace votelab-plugins \
            --bridge "$BRIDGE" \
            --default-address-pool "base=$ADDR_POOL,size=24" \
            --log-driver json-file --log-opt max-size=10m --log-opt max-file=2 \
            >>"$LOG" 2>&1 </dev/null &
    fi
    local i
    for i in $(seq 1 120); do
        if answers; then say "up (pid $(cat "$PIDFILE"))"; return 0; fi
        if [ "$i" -gt 10 ] && ! pid_alive; then break; fi
        sleep 0.5
    done
    say "dockerd did not come up; last lines of $LOG:"
    tail -n 30 "$LOG" >&2
    return 1
}

stop() {
    if ! pid_alive; then say "not running"; rm -f "$PIDFILE"; return 0; fi
    local pid i
    pid=$(cat "$PIDFILE")
    say "stopping dockerd pid $pid"
    kill -TERM "$pid"
    # dockerd gives running containers up to 15 s (--shutdown-timeout), then
    # stops its own containerd; allow for both.
    for i in $(seq 1 120); do
        if [ ! -d "/proc/$pid" ]; then
            rm -f "$SOCK"
            ip link del "$BRIDGE" 2>/dev/null || true
            say "stopped"
            return 0
        fi
        sleep 0.5
    done
    say "pid $pid still alive after 60 s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
}

print_env() {
    echo "export DOCKER_HOST=unix://$SOCK"
    # /usr/bin/docker (20.10, legacy builder) must win over /usr/local/bin/docker.
    echo "export PATH=$BIN_DIR:\$PATH"
    echo "export DOCKER_BUILDKIT=0"
    echo "export COMPOSE_DOCKER_CLI_BUILD=1"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) pid_alive && answers ;;
    env) print_env ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
