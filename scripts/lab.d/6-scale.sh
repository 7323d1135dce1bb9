# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 6 (sourced by scripts/lab): compose up --scale behind the load balancer lb (HAProxy):
# requests spread over the replicas, a replica stopped or killed under load costs no vote.

# ballot_ids N: the replicas that answered N ballots fetched through lb, one a line: their
# Container-Id header (the page's footer, "Processed by container ID", in every language)
ballot_ids() {
    local i
    for ((i = 0; i < $1; i++)); do
        curl -sS --fail --max-time 5 -o /dev/null -D - "http://127.0.0.1:$VOTE_PORT/" |
            tr -d '\r' | awk 'tolower($1) == "container-id:" { print $2 }'
    done
}
# lb_servers: the servers lb has an address for, "backend server status", one a line
lb_servers() { lb_csv | awk -F, '($1 == "vote" || $1 == "result") && $2 !~ /END$/ && $18 !~ /^MAINT/ { print $1, $2, $18 }'; }
lb_stats_page() { curl -sS --fail --max-time 5 "http://127.0.0.1:$LB_STATS_PORT/stats" | grep -c 'Statistics Report'; }

# The load of each fault: 20 voters who change their mind 40 times each, 80 votes a second
# (about 10 s).
load_args 40 "${POSTGRES_PASSWORD:-postgres}"
LOAD_ON=$PROJECT

# fault stop|kill: the load, then `docker stop|kill` of one vote replica while it runs; sets
# fault_failed (the load's failed votes)
fault() { under_load "$1" stop_one_vote "$1"; }
stop_one_vote() {
    run docker "$1" "$(cids vote | sed -n 2p)"
    check "lb takes the replica out (docker $1): 2 vote servers up" wait_for 15 lb_up vote 2
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
checkpoint_passes 9 es

# shellcheck disable=SC2016 # the command as typed
printf '$ for i in $(seq 30); do curl -sI http://127.0.0.1:%s/ | grep -i container-id; done\n' "$VOTE_PORT"
ballot_ids 30 | sort | uniq -c | indent
distinct=$(ballot_ids 30 | sort -u | wc -l)
check "30 ballots through lb come from the 3 vote replicas: $distinct distinct container IDs" eq "$distinct" 3

note "docker stop of one vote replica (SIGTERM: it finishes its requests) under a steady stream of votes"
fault stop
stop_failed=$fault_failed
check "docker stop of a vote replica under load: 0 failed votes ($stop_failed)" eq "$stop_failed" 0
check "3 workers drained the queue, each voter's last vote kept (loadgen --verify)" verified stop

note "the stopped replica back"
run compose up -d --scale vote=3 --scale worker=3
check "3 vote replicas healthy and up in lb again" \
    wait_for 60 eval 'replicas_healthy vote 3 && lb_up vote 3'

note "a replica that answers 500 while its /readyz passes: fault injection (FAULT_INJECTION=on in the"
note "compose file), driven by the binary in its container; lb retries its 500s on the others"
# vote_fault CHANGE...: `vote fault CHANGE` in vote's second replica, as a student types it
vote_fault() { run compose exec -T --index 2 vote /usr/local/bin/vote fault "$@"; }
# lb_vote_retries: requests lb sent again to another vote replica so far (stats: wretr)
lb_vote_retries() { lb_csv | awk -F, '$1 == "vote" && $2 == "BACKEND" { print $16 }'; }
retries_before=$(lb_vote_retries)
under_load error vote_fault error 1.0
error_failed=$fault_failed
retried=$(($(lb_vote_retries) - retries_before))
check "its 500s were retried on the other replicas: $retried retries, 0 failed votes ($error_failed; under 1% was the goal)" \
    eq "$error_failed $((retried > 0))" "0 1"
check "... and none lost (loadgen --verify)" verified error
check "its /readyz passed all along: 3 vote servers up" lb_up vote 3
vote_fault off || bad "vote fault off"

note "docker kill of another replica (SIGKILL: requests in progress are cut)"
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
note "failed votes: $stop_failed while a vote replica was stopped, $error_failed while one answered 500, $kill_failed while one was killed (3 replicas, $distinct seen)"

# lb_health_is "HEALTHZ READYZ": the status codes of lb's two health answers
lb_health_is() {
    eq "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$LB_STATS_PORT/healthz") $(
        curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$LB_STATS_PORT/readyz")" "$1"
}
note "the course's exercise of failure (guide step 11): two clients send 100 votes each at once"
failure_lesson --two-clients
check "scripts/failure-lesson --two-clients: 200 votes sent at once, 200 applied, 0 lost, 200 more rows" \
    two_clients_passed

note "lb's two health answers: /healthz while HAProxy runs (the Swarm stack's healthcheck: an outage"
note "of Redis must not get lb replaced), /readyz while a vote and a result replica are up (Compose's)"
check "lb's /healthz and /readyz: 200 200" lb_health_is "200 200"
run compose stop vote
check "every vote replica stopped: /healthz still 200, /readyz 503" wait_for 15 lb_health_is "200 503"
