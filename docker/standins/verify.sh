#!/usr/bin/env bash
# Check the local stand-in images for real, in the private engine
# (scripts/docker-engine.sh start; scripts/docker-base-images.sh first).
#
#   docker/standins/verify.sh [redis] [postgres] [haproxy] [compose] [rust]   (default: all)
#
# Everything it creates is named vlverify-* and removed at the end; images
# and caches are kept. Prints one line per check and "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
eval "$("$repo/scripts/docker-engine.sh" env)"
# shellcheck disable=SC2032
docker() { /usr/bin/docker "$@"; }
compose() { /usr/bin/docker-compose "$@"; }

P=vlverify
NET=$P-net
pass=0 fail=0
tmp=$(mktemp -d)

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # description command...
    local d=$1; shift
    if "$@" >"$tmp/out" 2>&1; then ok "$d"; else bad "$d"; sed 's/^/     | /' "$tmp/out" | tail -n 15; fi
}
eq() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'"; return 1; }; }

cleanup() {
    docker ps -aq --filter "name=^$P" | xargs -r /usr/bin/docker rm -f -v >/dev/null 2>&1
    [ -f "$tmp/compose.yml" ] && compose -p $P -f "$tmp/compose.yml" down -v >/dev/null 2>&1
    docker network rm $NET >/dev/null 2>&1
    docker volume ls -q --filter "name=^$P" | xargs -r /usr/bin/docker volume rm >/dev/null 2>&1
    docker image rm ${P}_app >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_healthy() { # container [seconds]
    for _ in $(seq 1 "$((${2:-30} * 4))"); do
        case "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" in
        healthy) return 0 ;;
        "") return 1 ;;
        esac
        sleep 0.25
    done
    docker logs "$1" 2>&1 | tail -n 20
    return 1
}

stop_fast() { # container: docker stop within 3 s and exit code 0
    local t0 t1 code
    t0=$(date +%s%N)
    docker stop "$1" >/dev/null || return 1
    t1=$(date +%s%N)
    code=$(docker inspect -f '{{.State.ExitCode}}' "$1")
    echo "stopped in $(((t1 - t0) / 1000000)) ms, exit code $code"
    [ $(((t1 - t0) / 1000000)) -lt 3000 ] && [ "$code" = 0 ]
}

lb_get() { # container: one request to its port 80, from inside (the image has bash, no HTTP client)
    docker exec "$1" bash -c 'exec 3<>/dev/tcp/127.0.0.1/80 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3' |
        tail -n 1
}

replicas_seen() { # container N: N distinct answers over 10 requests through it, within 10 s
    local _ seen
    for _ in $(seq 1 40); do
        seen=$(for _ in $(seq 1 10); do lb_get "$1"; echo; done | grep . | sort -u | wc -l)
        [ "$seen" = "$2" ] && return 0
        sleep 0.25
    done
    echo "distinct answers: $seen, wanted $2"
    return 1
}

pid1_user() { docker exec "$1" sh -c 'sed -n "s/^Name:\t//p; s/^Uid:\t\([0-9]*\).*/\1/p" /proc/1/status | paste -sd" "'; }

docker network create $NET >/dev/null

# ---------------------------------------------------------------------------
t_redis() {
    local img=redis:7-bookworm c=$P-redis
    docker volume create $P-redis >/dev/null
    docker run -d --name $c --network $NET -v $P-redis:/data \
        --health-cmd 'redis-cli ping' --health-interval 1s $img redis-server --appendonly yes >/dev/null
    check "redis: healthcheck 'redis-cli ping' turns healthy" wait_healthy $c
    check "redis: redis-cli ping answers PONG" eq "$(docker exec $c redis-cli ping)" PONG
    check "redis: PID 1 is redis-server as uid 999 (redis)" eq "$(pid1_user $c)" "redis-server 999"
    check "redis: --appendonly yes took effect" eq "$(docker exec $c redis-cli config get appendonly | tail -1)" yes
    check "redis: SET a key" eq "$(docker exec $c redis-cli set vl:key kept)" OK
    docker rm -f $c >/dev/null
    docker run -d --name $c --network $NET -v $P-redis:/data $img redis-server --appendonly yes >/dev/null
    sleep 1
    check "redis: key survives docker rm -f + re-run on the same volume" \
        eq "$(docker exec $c redis-cli get vl:key)" kept
    check "redis: reachable from another container (protected mode off)" \
        eq "$(docker run --rm --network $NET $img redis-cli -h $c get vl:key)" kept
    check "redis: docker stop is fast and clean" stop_fast $c
    docker rm -f $c >/dev/null
    docker run -d --name $c $img --appendonly yes >/dev/null
    sleep 1
    check "redis: flags-only command runs redis-server" \
        eq "$(docker exec $c redis-cli config get appendonly | tail -1)" yes
    docker rm -f -v $c >/dev/null
}

t_postgres() {
    local img=postgres:15-bookworm c=$P-pg
    psql_as() { # password host sql
        docker run --rm --network $NET -e PGPASSWORD="$1" $img \
            psql -h "$2" -U postgres -d votes -v ON_ERROR_STOP=1 -tAc "$3"
    }
    mkdir -p "$tmp/initdb"
    echo 'CREATE TABLE from_initdb(x int);' >"$tmp/initdb/01.sql"
    docker volume create $P-pg >/dev/null
    docker run -d --name $c --network $NET -v $P-pg:/var/lib/postgresql/data \
        -v "$tmp/initdb:/docker-entrypoint-initdb.d:ro" \
        -e POSTGRES_PASSWORD=s3cret -e POSTGRES_DB=votes \
        --health-cmd 'pg_isready -U postgres -d votes' --health-interval 1s $img >/dev/null
    check "postgres: healthcheck 'pg_isready' turns healthy" wait_healthy $c 60
    check "postgres: PID 1 is postgres as uid 999 (postgres)" eq "$(pid1_user $c)" "postgres 999"
    check "postgres: psql from another container with the password" \
        psql_as s3cret $c 'CREATE TABLE t(x int); INSERT INTO t VALUES (42)'
    check "postgres: wrong password is refused" \
        bash -c "! docker run --rm --network $NET -e PGPASSWORD=wrong $img psql -h $c -U postgres -d votes -c 'select 1'"
    check "postgres: /docker-entrypoint-initdb.d/*.sql ran" \
        eq "$(psql_as s3cret $c "SELECT to_regclass('from_initdb') IS NOT NULL")" t
    docker rm -f $c >/dev/null
    docker run -d --name $c --network $NET -v $P-pg:/var/lib/postgresql/data \
        --health-cmd 'pg_isready -U postgres' --health-interval 1s $img >/dev/null
    wait_healthy $c 60 >/dev/null
    check "postgres: table survives docker rm -f + re-run on the same volume (no init)" \
        eq "$(psql_as s3cret $c 'SELECT x FROM t')" 42
    check "postgres: docker stop is fast and clean (SIGINT, fast shutdown)" stop_fast $c
    check "postgres: server log shows a fast shutdown" \
        bash -c "docker logs $c 2>&1 | grep -q 'received fast shutdown request'"
    docker rm -f $c >/dev/null
    docker run -d --name $c --network $NET -e POSTGRES_PASSWORD=s3cret -e POSTGRES_DB=votes \
        --health-cmd 'pg_isready -U postgres' --health-interval 1s $img >/dev/null
    wait_healthy $c 60 >/dev/null
    check "postgres: without the volume the table is gone" \
        eq "$(psql_as s3cret $c "SELECT to_regclass('t') IS NULL")" t
    docker rm -f -v $c >/dev/null
    check "postgres: refuses to init without POSTGRES_PASSWORD" \
        bash -c "docker run --rm $img 2>&1 | grep -q 'superuser password is not specified'"
}

t_haproxy() {
    local img=haproxy:2.6-bookworm c=$P-lb i
    # two replicas of an "app" (HAProxy answering its own hostname), one DNS name for both
    mkdir -p "$tmp/app" "$tmp/lb"
    cat >"$tmp/app/haproxy.cfg" <<'EOF2'
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend app
    bind :8080
    http-request return status 200 content-type text/plain lf-string "%[hostname]"
EOF2
    cat >"$tmp/lb/haproxy.cfg" <<'EOF2'
resolvers docker
    nameserver dns 127.0.0.11:53
    hold valid 1s
    hold nx 1s
    hold obsolete 1s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    retries 3
    option redispatch 1
frontend web
    bind :80
    default_backend app
backend app
    option httpchk GET /
    server-template app 4 app:8080 check inter 500ms fall 2 rise 1 resolvers docker init-addr none
EOF2
    for i in 1 2; do
        docker run -d --name $P-app$i --hostname app$i --network $NET --network-alias app \
            -v "$tmp/app:/usr/local/etc/haproxy:ro" $img >/dev/null
    done
    docker run -d --name $c --network $NET -v "$tmp/lb:/usr/local/etc/haproxy:ro" $img >/dev/null
    check "haproxy: PID 1 is haproxy as uid 99 (haproxy)" eq "$(pid1_user $c)" "haproxy 99"
    check "haproxy: default CMD reads /usr/local/etc/haproxy/haproxy.cfg, with -W -db added" \
        eq "$(docker exec $c cat /proc/1/cmdline | tr '\0' ' ')" "haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg "
    check "haproxy: flags-only command runs haproxy (-c: config valid)" \
        bash -c "docker run --rm -v '$tmp/lb:/usr/local/etc/haproxy:ro' $img -c -f /usr/local/etc/haproxy/haproxy.cfg | grep -q 'Configuration file is valid'"
    check "haproxy: finds both replicas through Docker's DNS (server-template) and balances" replicas_seen $c 2
    docker stop $P-app2 >/dev/null
    check "haproxy: a stopped replica is taken out, the other answers every request" replicas_seen $c 1
    docker start $P-app2 >/dev/null
    check "haproxy: the replica back is found again" replicas_seen $c 2
    check "haproxy: docker stop is fast and clean (SIGUSR1)" stop_fast $c
    docker rm -f $c $P-app1 $P-app2 >/dev/null
}

t_compose() {
    cat >"$tmp/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
CMD ["sh", "-c", "echo built-by-compose"]
EOF
    cat >"$tmp/compose.yml" <<'EOF'
version: "3.8"
services:
  redis:
    image: redis:7-bookworm
    command: ["redis-server", "--appendonly", "yes"]
    healthcheck: {test: ["CMD", "redis-cli", "ping"], interval: 1s, retries: 30}
  db:
    image: postgres:15-bookworm
    environment: {POSTGRES_PASSWORD: s3cret}
    healthcheck: {test: ["CMD", "pg_isready", "-U", "postgres"], interval: 1s, retries: 60}
  app:
    build: .
    depends_on:
      redis: {condition: service_healthy}
      db: {condition: service_healthy}
EOF
    check "compose: docker-compose 1.29 reaches the engine" compose version
    check "compose: build a service" compose -p $P -f "$tmp/compose.yml" build app
    check "compose: up with depends_on: service_healthy" compose -p $P -f "$tmp/compose.yml" up -d
    check "compose: app ran after healthy deps" \
        bash -c "sleep 1; /usr/bin/docker-compose -p $P -f '$tmp/compose.yml' logs app | grep -q built-by-compose"
    check "compose: down -v" compose -p $P -f "$tmp/compose.yml" down -v
}

t_rust() {
    local img=rust:1-bookworm
    check "rust: ENV as the official image" eq \
        "$(docker run --rm $img sh -c 'echo $RUSTUP_HOME $CARGO_HOME; echo $PATH | cut -d: -f1')" \
        "/usr/local/rustup /usr/local/cargo
/usr/local/cargo/bin"
    check "rust: rustup, cargo, rustc, clippy, rustfmt answer" \
        docker run --rm $img sh -c 'rustup show && cargo -V && rustc -V && cargo clippy -V && rustfmt -V'
    # shellcheck disable=SC2016 # runs in the container's shell
    check "rust: builds and runs a crate with a C build step (cc)" docker run --rm $img sh -c '
        set -e; cd /tmp; cargo new -q hello; cd hello
        printf "int forty_two(void) { return 42; }\n" > f.c
        cc -c f.c -o f.o && ar rcs libf.a f.o
        printf "fn main() { println!(\"cargo:rustc-link-search=native=.\"); println!(\"cargo:rustc-link-lib=static=f\"); }\n" > build.rs
        printf "unsafe extern \"C\" { fn forty_two() -> i32; }\nfn main() { println!(\"{}\", unsafe { forty_two() }); }\n" > src/main.rs
        test "$(cargo run -q --offline)" = 42'
    # Not counted as a check: this machine's egress re-signs TLS with a CA that
    # only the host trusts, so containers may not reach crates.io.
    if docker run --rm $img curl -sSf -o /dev/null https://index.crates.io/config.json >"$tmp/out" 2>&1; then
        echo "info crates.io (https://index.crates.io) is reachable from a container"
    else
        echo "info crates.io is NOT reachable from a container: $(head -n 1 "$tmp/out")"
    fi
}

sel=("$@")
[ ${#sel[@]} -gt 0 ] || sel=(redis postgres haproxy compose rust)
for t in "${sel[@]}"; do "t_$t"; done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
