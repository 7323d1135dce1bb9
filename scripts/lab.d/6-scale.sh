# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 6 (sourced by scripts/lab): compose up --scale behind the load balancer lb (HAProxy):
# requests spread over the replicas, a replica stopped or killed under load costs no vote.

# The load of each fault: 20 voters who change their mind 40 times each, 80 votes a second
# (about 10 s), bounded in time; the URLs are the lab's own services, seen from its networks.
LOAD_ARGS=(--clients 20 --votes 40 --rate 80 --max-seconds 60 --quiet
    --verify "postgres://postgres:${POSTGRES_PASSWORD:-postgres}@db/postgres"
    --redis redis://redis:6379/ --wait-seconds 60)
# how many of the load's requests lb forwards before the fault: the load is under way
LOAD_BEFORE_FAULT=150

# ballot_ids N: the "Processed by container ID" of N ballots fetched through lb, one a line
ballot_ids() {
    local i
    for ((i = 0; i < $1; i++)); do
        curl -sS --fail --max-time 5 "http://127.0.0.1:$VOTE_PORT/" |
            sed -n 's/.*Processed by container ID \([^<]*\)<.*/\1/p'
    done
}
lb_csv() { curl -sS --fail --max-time 5 "http://127.0.0.1:$LB_STATS_PORT/stats;csv"; }
# lb_servers: the servers lb has an address for, "backend server status", one a line
lb_servers() { lb_csv | awk -F, '($1 == "vote" || $1 == "result") && $2 !~ /END$/ && $18 !~ /^MAINT/ { print $1, $2, $18 }'; }
# lb_up BACKEND N: lb sees exactly N servers of BACKEND up
lb_up() { eq "$(lb_csv | awk -F, -v b="$1" '$1 == b && $2 !~ /END$/ && $18 ~ /^UP/' | wc -l)" "$2"; }
# requests lb has forwarded to vote so far (its backend's sessions: one per request)
lb_vote_total() { lb_csv | awk -F, '$1 == "vote" && $2 == "BACKEND" { print $8 }'; }
lb_vote_total_over() { [ "$(lb_vote_total)" -ge "$1" ]; }
lb_stats_page() { curl -sS --fail --max-time 5 "http://127.0.0.1:$LB_STATS_PORT/stats" | grep -c 'Statistics Report'; }

# load_start NAME: loadgen (the lab image) on the front tier (to reach lb) and the back tier (to
# verify in db and redis), in the background; its output goes to $tmp/NAME.out
load_start() {
    local c=$PROJECT-loadgen-$1
    printf '$ docker run --rm --network %s_front-tier (+ %s_back-tier) --entrypoint /usr/local/bin/loadgen %s vote http://lb/ %s &\n' \
        "$PROJECT" "$PROJECT" "$LAB_IMAGE" "${LOAD_ARGS[*]}"
    # the project's label: `compose down --remove-orphans` removes it too, if the lab is stopped
    docker_ create --rm --name "$c" --label "com.docker.compose.project=$PROJECT" \
        --network "${PROJECT}_front-tier" --entrypoint /usr/local/bin/loadgen "$LAB_IMAGE" \
        vote http://lb/ "${LOAD_ARGS[@]}" >/dev/null &&
        docker_ network connect "${PROJECT}_back-tier" "$c" || return 1
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
failed_votes() { awk '$1 == "errors" { print $2 }' "$tmp/$1.out"; }
verified() { grep -q '^verify *OK: .* 0 lost, 0 wrong' "$tmp/$1.out"; }

# fault stop|kill: the load, then `docker stop|kill` of one vote replica while it runs; sets
# fault_failed (the load's failed votes)
fault() {
    local victim before
    victim=$(cids vote | sed -n 2p)
    before=$(lb_vote_total)
    load_start "$1" || { bad "start loadgen"; return 1; }
    check "the load is under way ($LOAD_BEFORE_FAULT votes through lb)" \
        wait_for 30 lb_vote_total_over "$((before + LOAD_BEFORE_FAULT))"
    run docker "$1" "$victim"
    check "lb takes the replica out (docker $1): 2 vote servers up" wait_for 15 lb_up vote 2
    load_end "$1"
    fault_failed=$(failed_votes "$1")
}

title "6. scaling behind a load balancer: compose up --scale vote=3 --scale worker=3"
use_volumes
t0=$(now_ms)
run compose up -d --scale vote=3 --scale worker=3 || bad "compose up --scale vote=3 --scale worker=3"
check "3 vote and 3 worker replicas, all healthy" \
    wait_for 90 eval 'replicas_healthy vote 3 && replicas_healthy worker 3'
check "lb healthy, and it sees the 3 vote replicas up" wait_for 30 eval 'svc_healthy lb && lb_up vote 3'
note "all healthy $(secs_since "$t0") s after compose up"
run compose ps

# shellcheck disable=SC2016 # the command as typed
printf '$ for i in $(seq 30); do curl -s http://127.0.0.1:%s/ | grep "Processed by"; done\n' "$VOTE_PORT"
ballot_ids 30 | sort | uniq -c | indent
distinct=$(ballot_ids 30 | sort -u | wc -l)
check "30 ballots through lb come from the 3 vote replicas: $distinct distinct container IDs" eq "$distinct" 3

note "docker stop of one vote replica (SIGTERM: it finishes its requests) under a steady stream of votes"
fault stop
stop_failed=$fault_failed
check "docker stop of a vote replica under load: 0 failed votes ($stop_failed)" eq "$stop_failed" 0
check "3 workers drained the queue, each voter's last vote kept (loadgen --verify)" verified stop

note "the stopped replica back, then docker kill of another (SIGKILL: requests in progress are cut)"
run compose up -d --scale vote=3 --scale worker=3
check "3 vote replicas healthy and up in lb again" \
    wait_for 60 eval 'replicas_healthy vote 3 && lb_up vote 3'
fault kill
kill_failed=$fault_failed
check "docker kill of a vote replica under load: no acknowledged vote lost (loadgen --verify)" verified kill
check "... and lb sent the cut requests elsewhere: 0 failed votes ($kill_failed)" eq "$kill_failed" 0

printf '$ curl -N http://127.0.0.1:%s/events   (3 s)\n' "$RESULT_PORT"
curl -sSN --max-time 3 "http://127.0.0.1:$RESULT_PORT/events" >"$tmp/events.out" 2>/dev/null
head -n 3 "$tmp/events.out" | indent
check "the result page's live stream works through lb (a scores event)" grep -q '^event: scores' "$tmp/events.out"
printf '$ curl http://127.0.0.1:%s/stats;csv   (the stats page, as CSV: backend, server, status)\n' "$LB_STATS_PORT"
lb_servers | indent
check "lb's stats page answers (http://127.0.0.1:$LB_STATS_PORT/stats)" lb_stats_page
note "failed votes: $stop_failed while a vote replica was stopped, $kill_failed while one was killed (3 replicas, $distinct seen)"
