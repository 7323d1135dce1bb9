# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# The lab's helpers (sourced by scripts/lab): transcript, docker/compose, HTTP, cleanup.

# --- transcript helpers ----------------------------------------------------------------------
now_ms() { date +%s%3N; }
secs_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
title() { printf '\n=== %s\n' "$*"; }
note() { printf '# %s\n' "$*"; }
indent() { awk '{ print "  | " $0 }'; }
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
die() { bad "$*"; exit 1; }

# shown CMD...: the command as a student would type it
shown() {
    if [ "$1" = compose ]; then
        shift
        local files=()
        [ "${#compose_files[@]}" = 2 ] || files=("${compose_files[@]}")
        echo "${COMPOSE[*]} ${files[*]:+${files[*]} }$*"
    else
        echo "$*"
    fi
}
# run CMD...: print it as typed, run it, print its output indented; returns its status
run() {
    printf '$ %s\n' "$(shown "$@")"
    "$@" >"$tmp/run.out" 2>&1
    local rc=$?
    indent <"$tmp/run.out"
    [ "$rc" = 0 ] || printf '  (exit code %s)\n' "$rc"
    return "$rc"
}
# quiet CMD...: run without printing unless it fails
quiet() {
    "$@" >"$tmp/quiet.out" 2>&1 && return 0
    local rc=$?
    printf '$ %s\n' "$(shown "$@")"; indent <"$tmp/quiet.out"; printf '  (exit code %s)\n' "$rc"
    return "$rc"
}
# check DESCRIPTION CMD...: one assertion
check() {
    local d=$1; shift
    if "$@" >"$tmp/check.out" 2>&1; then ok "$d"; else bad "$d"; indent <"$tmp/check.out" | tail -n 20; fi
}
eq() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'"; return 1; }; }
# wait_for SECONDS CMD...: until CMD succeeds (every 0.25 s)
wait_for() {
    local deadline=$(($(now_ms) + $1 * 1000)); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.25
    done
}

# cargo_seconds < LINES: the sum of the times of cargo's "Finished ... in 3m 41s" lines
cargo_seconds() {
    awk '/Finished/ {
        t = $NF; m = 0
        if (t !~ /m$/ && $(NF - 1) ~ /m$/) { m = $(NF - 1); sub(/m$/, "", m) }
        sub(/s$/, "", t); total += m * 60 + t
    } END { printf "%.0f", total }'
}

# --- Prometheus (steps 7 and 8), on 127.0.0.1:$PROMETHEUS_PORT -------------------------------------
prom_api() { curl -sS --fail --max-time 5 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/$1" "${@:2}"; }
prom_query() { prom_api query --data-urlencode "query=$1"; }
prom_ready() { curl -sS --fail --max-time 5 "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; }
# scraped: "job: N up of M" for each job, N and M as Prometheus sees them
scraped() {
    prom_query 'count by (job) (up == 1) or count by (job) (up) * 0' |
        jq -r '.data.result[] | "\(.metric.job) \(.value[1])"' | sort >"$tmp/up.txt"
    prom_query 'count by (job) (up)' | jq -r '.data.result[] | "\(.metric.job) \(.value[1])"' | sort |
        join "$tmp/up.txt" - | awk '{ print $1 ": " $2 " up of " $3 }'
}

# --- the guide's checkpoints (docs/guide.*.md), as a student runs them ---------------------------
# checkpoint_passes N LANGUAGE: `scripts/checkpoint N` in the lab's compose project, with the
# lab's own checkpoint state; its output shown; one assertion that it passed
checkpoint_passes() {
    checkpoint_run "$1" "$2"
    if [ "$checkpoint_rc" = 0 ]; then ok "guide checkpoint $1 passes"; else bad "guide checkpoint $1 passes"; fi
}
# checkpoint_fails N LANGUAGE TEXT: it fails, and says TEXT
checkpoint_fails() {
    checkpoint_run "$1" "$2"
    if [ "$checkpoint_rc" = 1 ] && grep -qF "$3" "$tmp/checkpoint.out"; then
        ok "guide checkpoint $1 fails, saying \"$3\""
    else
        bad "guide checkpoint $1 fails (exit $checkpoint_rc), saying \"$3\""
    fi
}
# failure_lesson OPTION...: scripts/failure-lesson on the lab's project, its messages in Spanish
failure_lesson() { run env COMPOSE_PROJECT_NAME="$PROJECT" LAB_LANGUAGE=es scripts/failure-lesson "$@"; }
# run_said TEXT / checkpoint_said TEXT: the last `run`'s / checkpoint's output holds TEXT
run_said() { grep -qF -- "$1" "$tmp/run.out"; }
checkpoint_said() { grep -qF -- "$1" "$tmp/checkpoint.out"; }
# lesson_says LABEL VALUE: the failure lesson's report (the last `run`'s output, in Spanish) has
# that line
lesson_says() { grep -qE "^$1 +$2\$" "$tmp/run.out"; }
# lesson_passed KILLS: each of the KILLS kills happened, 0 votes lost, and the verdict passed
lesson_passed() {
    [ "$(grep -cE " [1-9][0-9]*/$1\$" "$tmp/run.out")" = "$1" ] && lesson_says perdidos 0 &&
        grep -q "^Todo en orden" "$tmp/run.out"
}
two_clients_passed() {
    lesson_says enviados 200 && lesson_says aplicados 200 && lesson_says perdidos 0 &&
        grep -q "exactamente 200 votos más" "$tmp/run.out"
}
# partial_passed: a partial-failure lesson's report: nothing lost or wrong, the queue recovered
partial_passed() {
    lesson_says perdidos 0 && ! grep -q '^equivocados' "$tmp/run.out" &&
        grep -qE '^recuperado +en [0-9]+ s$' "$tmp/run.out" && grep -q "^Todo en orden" "$tmp/run.out"
}
checkpoint_run() {
    printf '$ LAB_LANGUAGE=%s scripts/checkpoint %s\n' "$2" "$1"
    LAB_LANGUAGE=$2 COMPOSE_PROJECT_NAME=$PROJECT CHECKPOINT_STATE=$tmp/checkpoints \
        scripts/checkpoint "$1" >"$tmp/checkpoint.out" 2>&1
    checkpoint_rc=$?
    indent <"$tmp/checkpoint.out"
}

# --- engine, images, compose -------------------------------------------------------------------
docker_() { timeout 120 docker "$@"; }
compose_files=(-f docker-compose.yml)
compose() { timeout 600 "${COMPOSE[@]}" "${compose_files[@]}" "$@"; }
use_volumes() { compose_files=(-f docker-compose.yml); }
# with_compose_v1 CMD...: CMD with docker-compose 1.29 (Debian 12's) as `compose`
with_compose_v1() { local COMPOSE=(docker-compose); "$@"; }
use_no_volumes() { compose_files=(-f docker-compose.yml -f docker-compose.no-volumes.yml); }

# the container (name) of a compose service (not one-off `run` containers), running or not
cid() {
    docker ps -a --format '{{.Names}}' --filter "label=com.docker.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.oneoff=False" | head -n 1
}
# the containers (names) of all of a compose service's replicas, running or not
cids() {
    docker ps -a --format '{{.Names}}' --filter "label=com.docker.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.oneoff=False" | sort
}
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null; }
is_healthy() { [ "$(health "$1")" = healthy ]; }
svc_healthy() { local c; c=$(cid "$1"); [ -n "$c" ] && is_healthy "$c"; }
wait_healthy() { # SECONDS service...
    local s=$1 svc; shift
    for svc in "$@"; do
        if ! wait_for "$s" svc_healthy "$svc"; then
            echo "service $svc is not healthy (state: $(health "$(cid "$svc")"))"
            docker logs --tail 20 "$(cid "$svc")" 2>&1
            return 1
        fi
    done
}
# all_healthy N CONTAINER...: N containers, all healthy
all_healthy() {
    local c
    [ "$#" = "$(($1 + 1))" ] || return 1
    for c in "${@:2}"; do is_healthy "$c" || return 1; done
}
# replicas_healthy SERVICE N: the service has N replicas, all healthy
# shellcheck disable=SC2046 # container names, one a line, without spaces
replicas_healthy() { all_healthy "$2" $(cids "$1"); }

# --- HTTP -----------------------------------------------------------------------------------
# count PORT: one visit to the counter; prints N from "... seen N times." (fails unless 200)
count() {
    local body
    body=$(curl -sS --fail --max-time 5 -H 'Accept: text/plain' "http://127.0.0.1:$1/") || return 1
    sed -n 's/^Hello from Redis! I have been seen \([0-9][0-9]*\) times\.$/\1/p' <<<"$body" | grep . ||
        { echo "unexpected answer: $body" >&2; return 1; }
}
# count_eventually PORT: first successful visit within 20 s (Redis may be coming back)
count_eventually() {
    local deadline=$(($(now_ms) + 20000)) n
    while :; do
        if n=$(count "$1" 2>/dev/null); then echo "$n"; return 0; fi
        [ "$(now_ms)" -lt "$deadline" ] || { count "$1"; return 1; }
        sleep 0.25
    done
}
# visits PORT N: N visits, prints the N counts on one line
visits() {
    local i out=()
    local n
    for ((i = 0; i < $2; i++)); do
        n=$(count_eventually "$1") || return 1
        out+=("$n")
    done
    echo "${out[*]}"
}
# vote VOTER CHOICE: one POST to vote with the voter's cookie; prints the status code
vote() {
    curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -b "voter_id=$1" \
        --data "vote=$2" "http://127.0.0.1:$VOTE_PORT/"
}
results() { curl -sS --fail --max-time 5 "http://127.0.0.1:$RESULT_PORT/api/results"; }
# scores: prints "A B" from /api/results
scores() { results | jq -r '"\(.a) \(.b)"'; }
# results_are A B: /api/results says a=A, b=B and is not stale
results_are() {
    local r; r=$(results) || return 1
    jq -e --argjson a "$1" --argjson b "$2" '.a == $a and .b == $b and .stale == false' <<<"$r" >/dev/null
}
# total_is N: /api/results counts N votes and is not stale
total_is() {
    local r; r=$(results) || return 1
    jq -e --argjson n "$1" '.total == $n and .stale == false' <<<"$r" >/dev/null
}
wait_results() { # A B: within 20 s
    if wait_for 20 results_are "$1" "$2"; then results | jq -c '{a, b, total, stale}'; return 0; fi
    echo "expected a=$1 b=$2, /api/results says: $(results)"
    return 1
}
queue_len() { docker exec "$(cid redis)" redis-cli llen votes; }
psql_() { docker exec "$(cid db)" psql -U postgres -d postgres -tAc "$1"; }

# --- a steady stream of votes through lb, from a container (steps 6 and 7) ---------------------
lb_csv() { curl -sS --fail --max-time 5 "http://127.0.0.1:$LB_STATS_PORT/stats;csv"; }
# lb_up BACKEND N: lb sees exactly N servers of BACKEND up
lb_up() { eq "$(lb_csv | awk -F, -v b="$1" '$1 == b && $2 !~ /END$/ && $18 ~ /^UP/' | wc -l)" "$2"; }
# requests lb has forwarded to vote so far (its backend's sessions: one per request)
lb_vote_total() { lb_csv | awk -F, '$1 == "vote" && $2 == "BACKEND" { print $8 }'; }
lb_vote_total_over() { [ "$(lb_vote_total)" -ge "$1" ]; }

# load_args VOTES PASSWORD: the load is 20 voters who change their mind VOTES times each, 80
# votes a second, bounded in time, then checked in db (PASSWORD: postgres's); the URLs are the
# lab's own services, seen from its networks
load_args() {
    LOAD_ARGS=(--clients 20 --votes "$1" --rate 80 --max-seconds 60 --quiet
        --verify "postgres://postgres:$2@db/postgres" --redis redis://redis:6379/ --wait-seconds 60)
    load_password=$2
}
# how many of the load's requests lb forwards before the fault: the load is under way
LOAD_BEFORE_FAULT=150

# load_start NAME: loadgen (the lab image) on the front tier (to reach lb) and the back tier (to
# verify in db and redis) of $LOAD_ON (the compose project or the stack), in the background;
# its output goes to $tmp/NAME.out
load_start() {
    local c=$PROJECT-loadgen-$1 shown="${LOAD_ARGS[*]}"
    printf '$ docker run --rm --network %s_front-tier (+ %s_back-tier) --entrypoint /usr/local/bin/loadgen %s vote http://lb/ %s &\n' \
        "$LOAD_ON" "$LOAD_ON" "$LAB_IMAGE" "${shown//":$load_password@"/":***@"}"
    # the project's label: `compose down --remove-orphans` removes it too, if the lab is stopped
    docker_ create --rm --name "$c" --label "com.docker.compose.project=$PROJECT" \
        --network "${LOAD_ON}_front-tier" --entrypoint /usr/local/bin/loadgen "$LAB_IMAGE" \
        vote http://lb/ "${LOAD_ARGS[@]}" >/dev/null &&
        docker_ network connect "${LOAD_ON}_back-tier" "$c" || return 1
    timeout 300 docker start -a "$c" >"$tmp/$1.out" 2>&1 &
    load_pid=$!
}
# load_end NAME: waits for it, shows its report; fails if loadgen failed
load_end() {
    wait "$load_pid"
    local rc=$?
    load_pid=
    indent <"$tmp/$1.out"
    return "$rc"
}
load_running() { [ -n "$load_pid" ] && kill -0 "$load_pid" 2>/dev/null; }
failed_votes() { awk '$1 == "errors" { print $2 }' "$tmp/$1.out"; }
verified() { grep -q '^verify *OK: .* 0 lost, 0 wrong' "$tmp/$1.out"; }
lost_votes() { sed -n 's/^verify .* \([0-9][0-9]*\) lost,.*/\1/p' "$tmp/$1.out"; }
# under_load NAME CMD...: the load NAME, and CMD once it is under way; sets fault_failed (the
# load's failed votes)
under_load() {
    local name=$1 before
    shift
    before=$(lb_vote_total)
    load_start "$name" || { bad "start loadgen"; return 1; }
    check "the load is under way ($LOAD_BEFORE_FAULT votes through lb)" \
        wait_for 30 lb_vote_total_over "$((before + LOAD_BEFORE_FAULT))"
    "$@"
    load_end "$name"
    fault_failed=$(failed_votes "$name")
}

# a free TCP port on 127.0.0.1, the preferred one if it is free
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
pick_port() {
    local p=$1
    if port_free "$p"; then echo "$p"; return; fi
    for p in $(shuf -i 20000-32000 -n 50); do port_free "$p" && { echo "$p"; return; }; done
    echo "$1"
}

# docker stop timing: prints "N ms, exit code C"; fails if >= 5 s (or exit code != expected)
stop_timed() { # container expected-exit-code
    local t0 ms code
    t0=$(now_ms)
    docker_ stop "$1" >/dev/null || return 1
    ms=$(($(now_ms) - t0))
    code=$(docker inspect -f '{{.State.ExitCode}}' "$1")
    echo "$ms ms, exit code $code"
    [ "$ms" -lt 5000 ] && [ "$code" = "$2" ]
}

# the engine script, without our lock and output descriptors (a dockerd it starts lives on and
# would keep them open)
engine() { "$here/docker-engine.sh" "$@" {lock_fd}>&- {out_fd}>&- {err_fd}>&-; }

# stand-ins of the official base images (private engine only); prints what it did
base_images() {
    local t0 rc
    t0=$(now_ms)
    printf '$ scripts/docker-base-images.sh %s\n' "$*"
    "$here/docker-base-images.sh" "$@" >"$tmp/base-$1.log" 2>&1 {lock_fd}>&- {out_fd}>&- {err_fd}>&-
    rc=$?
    grep -E 'built|up to date|imported|rootfs in' "$tmp/base-$1.log" | sed 's/^base-images: //' | indent
    [ "$rc" = 0 ] || { tail -n 30 "$tmp/base-$1.log" | indent; return "$rc"; }
    note "stand-ins $* ready in $(secs_since "$t0") s"
}

# everything of the compose project, also what `compose down` cannot remove
remove_project() {
    local f="label=com.docker.compose.project=$PROJECT"
    use_no_volumes; compose --profile seed down -v --remove-orphans >/dev/null 2>&1
    use_volumes; compose --profile seed down -v --remove-orphans >/dev/null 2>&1
    docker ps -aq --filter "$f" | xargs -r docker rm -f -v >/dev/null 2>&1
    docker network ls -q --filter "$f" | xargs -r docker network rm >/dev/null 2>&1
    docker volume ls -q --filter "$f" | xargs -r docker volume rm >/dev/null 2>&1
    return 0
}

# --- cleanup (also on failure and Ctrl-C) ------------------------------------------------------
anon_volumes=()
# remember the anonymous volumes (the image's VOLUME /data) of a walkthrough container
note_volumes() {
    local v
    for v in $(docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' "$1" 2>/dev/null); do
        [ "${#v}" != 64 ] || anon_volumes+=("$v")
    done
}
step1_cleanup() {
    local c v
    for c in web db; do
        # only ours: containers of the walkthrough carry the label votelab.lab
        if [ "$(docker container inspect -f '{{index .Config.Labels "votelab.lab"}}' "$c" 2>/dev/null)" = 1 ]; then
            note_volumes "$c"
            docker rm -f "$c" >/dev/null 2>&1
        fi
    done
    for v in "${anon_volumes[@]}"; do docker volume rm "$v" >/dev/null 2>&1; done
    anon_volumes=()
    docker network rm mybridge >/dev/null 2>&1
    docker volume rm counter-data >/dev/null 2>&1
    return 0
}
