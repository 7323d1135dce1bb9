# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Setup (sourced by scripts/lab): engine, stand-in base images, vendored crates, compose, ports, image build.

title "setup"
if [ "$mode" = private ]; then
    if ! engine status; then
        engine_started=1
        quiet engine start || die "start the private Docker engine"
    fi
    eval "$(engine env)"
    export REDIS_IMAGE=${REDIS_IMAGE:-redis:7-bookworm} POSTGRES_IMAGE=${POSTGRES_IMAGE:-postgres:15-bookworm}
    # the images the build needs now; Redis and PostgreSQL are built during the cargo build
    base_images debian rust || die "build the stand-in base images debian:bookworm-slim, rust:1-bookworm"
    # Containers here cannot reach crates.io: the build uses crates vendored on the host.
    if [ ! -f vendor.tar ]; then vendor_created=1; fi
    t0=$(now_ms)
    scripts/vendor-crates >"$tmp/vendor.log" 2>&1 || { tail -n 20 "$tmp/vendor.log"; die "scripts/vendor-crates"; }
    note "$(tail -n 1 "$tmp/vendor.log"), in $(secs_since "$t0") s"
else
    export REDIS_IMAGE=${REDIS_IMAGE:-redis:7-alpine} POSTGRES_IMAGE=${POSTGRES_IMAGE:-postgres:15-alpine}
fi
docker info >/dev/null 2>&1 || die "a Docker engine answers (docker info)"
# One builder for every build, so that they share one cache: the legacy one, which Compose v2+
# uses when buildx is missing (as here) and docker-compose 1.29 by default. BuildKit would
# keep a cache of its own, and step 1's `docker build` would compile the workspace again.
export DOCKER_BUILDKIT=0
unset COMPOSE_DOCKER_CLI_BUILD
if [ -n "${LAB_COMPOSE:-}" ]; then
    read -r -a COMPOSE <<<"$LAB_COMPOSE"
elif docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
else
    COMPOSE=(docker-compose)
fi
COUNTER_PORT=$(pick_port 5000)
VOTE_PORT=$(pick_port 8080)
RESULT_PORT=$(pick_port 8081)
LB_STATS_PORT=$(pick_port 8404)
WALK_PORT=$(pick_port 5001)
export COUNTER_PORT VOTE_PORT RESULT_PORT LB_STATS_PORT PUBLISH_IP=127.0.0.1 IMAGE_PREFIX=votelab IMAGE_TAG=latest
note "engine: $(docker version -f 'server {{.Server.Version}}, client {{.Client.Version}}'); compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?'))"
note "images: REDIS_IMAGE=$REDIS_IMAGE POSTGRES_IMAGE=$POSTGRES_IMAGE; ports on 127.0.0.1: counter $COUNTER_PORT, vote $VOTE_PORT, result $RESULT_PORT, lb stats $LB_STATS_PORT (walkthrough: $WALK_PORT)"

# leftovers of an interrupted run
remove_project
for c in web db; do
    if docker container inspect "$c" >/dev/null 2>&1 &&
        [ "$(docker container inspect -f '{{index .Config.Labels "votelab.lab"}}' "$c")" != 1 ]; then
        die "a container named $c exists that the lab did not create: remove it or use another engine"
    fi
done
step1_started=1
step1_cleanup

title "build the image (compose build: one cargo build, one image every service runs)"
# the commit every service's /metrics shows (build_info): compose passes it to the image build
GIT_COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || true); export GIT_COMMIT
t0=$(now_ms)
printf '$ %s\n' "$(shown compose --profile seed build)"
timeout 1800 "${COMPOSE[@]}" "${compose_files[@]}" --profile seed build >"$tmp/build.log" 2>&1 &
build_pid=$!
if [ "$mode" = private ]; then
    note "meanwhile, the stand-ins of Redis and PostgreSQL:"
    base_images redis postgres haproxy || die "build the stand-in base images redis:7-bookworm, postgres:15-bookworm, haproxy:2.6-bookworm"
fi
wait "$build_pid"
build_rc=$?
build_pid=
if [ "$build_rc" != 0 ]; then
    grep -vE '^#[0-9]+ (sha256:|CACHED|DONE 0)' "$tmp/build.log" | tail -n 40 | indent
    die "compose build (exit code $build_rc$([ "$build_rc" != 124 ] || echo ': timed out after 30 min'))"
fi
build_s=$(secs_since "$t0")
# cargo's lines: the dependencies (deps stage), then the workspace (build stage); none if cached
# (BuildKit prefixes its lines with "#N seconds"; the legacy builder colours cargo's stderr)
sed -E 's/\x1b\[[0-9;]*m//g; s/^#[0-9]+ [0-9.]+ +//' "$tmp/build.log" |
    grep -E '^crates: |^ +Finished .release. ' | sed -E 's/^ +//' >"$tmp/cargo.log"
indent <"$tmp/cargo.log"
ok "images built in $build_s s"
check "the workspace compiled once for every service: at most 2 cargo builds (dependencies, workspace)" \
    test "$(grep -c Finished "$tmp/cargo.log")" -le 2
# What building in Docker costs over cargo's own build of the same workspace, in the same run:
# the image build's wall time against the time cargo reported for its two builds.
cargo_s=$(cargo_seconds <"$tmp/cargo.log")
if [ "$(grep -c Finished "$tmp/cargo.log")" = 2 ]; then
    note "image build $build_s s, of which cargo (dependencies + workspace) $cargo_s s: $(awk -v b="$build_s" -v c="$cargo_s" 'BEGIN { printf "%.2f", b / c }')x cargo's own time (goal: 1.3x at most)"
fi
run docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' --filter "reference=$IMAGE_PREFIX/*:$IMAGE_TAG"
LAB_IMAGE=$IMAGE_PREFIX/lab:$IMAGE_TAG
lab_bytes=$(docker image inspect -f '{{.Size}}' "$LAB_IMAGE")
check "one image for every service ($LAB_IMAGE), under 20 MB: $((lab_bytes / 1000000)) MB" test "$lab_bytes" -lt 20000000
check "it runs as the non-root user 10001, with no shell in it" eq \
    "$(docker image inspect -f '{{.Config.User}}' "$LAB_IMAGE") $(docker run --rm --entrypoint /bin/sh "$LAB_IMAGE" -c true >/dev/null 2>&1 && echo shell || echo no-shell)" \
    "10001:10001 no-shell"
check "OCI labels (org.opencontainers.image.*)" eq \
    "$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.title"}}' "$LAB_IMAGE")" votelab
