# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 8 (sourced by scripts/lab): the monitoring profile's Prometheus finds every service and
# each of vote's 3 replicas through Docker's DNS, and every query of the Grafana dashboard
# answers with data once votes flow; with the worker stopped the queue's depth climbs and
# NoCommitWhileVotesWait goes off, started again it drains; with counter-redis paused (frozen,
# like a hung process) the counter's circuit breaker opens and fails visits untried, and closes
# once it is unpaused. Grafana itself does not run here (no image, no package).

use_monitoring() { compose_files=(-f docker-compose.yml -f docker-compose.monitoring.yml); }
running() { docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" | wc -l; }
# every_replica_up: each service has as many targets, all up, as it has running containers
every_replica_up() {
    local want svc
    want=$(for svc in counter result vote worker; do echo "$svc: $(running "$svc") up of $(running "$svc")"; done)
    diff <(echo "$want") <(scraped | grep -v '^prometheus:')
}
# prom_has QUERY: the query returns data now (a PromQL comparison drops what is false)
prom_has() { prom_query "$1" | jq -e '.data.result | length > 0'; }
votes_scraped_since() { [ "$(prom_query 'sum(votes_recorded_total)' | jq -r '.data.result[0].value[1] // 0')" -ge "$1" ]; }
# counter_metric SERIES: its value on the counter's /metrics (Prometheus' text format)
counter_metric() {
    curl -sS --fail --max-time 5 "http://127.0.0.1:$COUNTER_PORT/metrics" | awk -v s="$1" '$1 == s { print $2 }'
}
# visit_codes N: N visits to the counter at once; prints their status codes, one a line
visit_codes() {
    local i pids=()
    for ((i = 0; i < $1; i++)); do
        curl -sS -o /dev/null -w '%{http_code}\n' --max-time 5 "http://127.0.0.1:$COUNTER_PORT/" &
        pids+=("$!")
    done
    wait "${pids[@]}"
}
counts_again() {
    [ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$COUNTER_PORT/")" = 200 ] &&
        [ "$(counter_metric 'circuit_breaker_state{backend="redis"}')" = 0 ]
}
# panel_answers: for each query of the dashboard, "panel (refId): N series, first value", and
# the word "empty" for one without data
panel_answers() {
    local title ref expr answer
    while IFS=$'\t' read -r title ref expr; do
        answer=$(prom_query "$expr") || { echo "$title ($ref): query failed"; continue; }
        jq -r --arg p "$title ($ref)" '.data.result |
            if length == 0 then "\($p): empty" else "\($p): \(length) series, e.g. \(.[0].value[1])" end' <<<"$answer"
    done < <(jq -r '.panels[] | .title as $t | .targets[] | [$t, .refId, .expr] | @tsv' monitoring/grafana/dashboards/votelab.json)
}

title "8. monitoring: Prometheus scrapes every replica, the dashboard's queries answer, the queue fills and drains"
t8=$(now_ms)
note "Grafana is NOT run here: its image cannot be pulled (no registry) and Debian has no package of it;"
note "its provisioning and the dashboard are checked offline (monitoring/check, in CI), and every"
note "panel's query runs below against the Prometheus it would use."
if [ "$mode" = private ]; then
    base_images prometheus || die "build the stand-in prom/prometheus"
fi
PROMETHEUS_PORT=$(pick_port 9090); export PROMETHEUS_PORT
use_monitoring
run compose up -d --scale vote=3 || bad "compose up --scale vote=3"
# the profile's Prometheus only: the profile's Grafana has no image here
run compose up -d prometheus || bad "compose up prometheus"
check "3 vote replicas healthy, Prometheus ready (http://127.0.0.1:$PROMETHEUS_PORT)" \
    wait_for 90 eval 'replicas_healthy vote 3 && prom_ready'
check "Prometheus scrapes every service, each replica found through Docker's DNS, all up == 1" \
    wait_for 60 every_replica_up
printf '$ curl http://127.0.0.1:%s/api/v1/query?query=up   (per job: targets up of found)\n' "$PROMETHEUS_PORT"
scraped | indent
check "vote's 3 replicas are 3 targets" eq "$(prom_query 'count(up{job="vote"} == 1)' | jq -r '.data.result[0].value[1]')" 3
checkpoint_passes 10 en

# the load of step 6 again: on the compose project's networks, with its database password
# (step 7 pointed both at the swarm's stack), 20 voters x 40 votes
LOAD_ON=$PROJECT
load_args 40 "${POSTGRES_PASSWORD:-postgres}"
before=$(prom_query 'sum(votes_recorded_total)' | jq -r '.data.result[0].value[1] // 0')
load_start monitoring || bad "start loadgen"
load_end monitoring || bad "loadgen posted the votes"
check "Prometheus has seen the votes (sum of votes_recorded_total over vote's replicas grew by 800)" \
    wait_for 30 votes_scraped_since "$((before + 800))"
# rates over [1m] need two scrapes after the votes; the latency quantiles a commit in the window
check "the dashboard's queries see the votes (the vote-to-commit p99 is a number)" \
    wait_for 30 eval "prom_query 'histogram_quantile(0.99, sum by (le) (rate(worker_vote_commit_lag_seconds_bucket[1m])))' | jq -e '.data.result[0].value[1] | tonumber | isnan | not'"
printf '$ for each panel query of monitoring/grafana/dashboards/votelab.json: curl .../api/v1/query\n'
panel_answers >"$tmp/panels.txt"
indent <"$tmp/panels.txt"
check "every query of every dashboard panel returns data ($(grep -vc ': empty$\|query failed' "$tmp/panels.txt") of $(wc -l <"$tmp/panels.txt"))" \
    eval "! grep -q ': empty$\|query failed' '$tmp/panels.txt'"
check "the 6 alert rules are loaded and evaluate without error" eq \
    "$(prom_api rules | jq '[.data.groups[].rules[] | select(.type == "alerting" and .health == "ok")] | length')" 6
prom_api alerts | jq -r '.data.alerts[] | "\(.labels.alertname) \(.state)"' >"$tmp/alerts.txt"
note "alerts pending or firing now: $(paste -sd, "$tmp/alerts.txt" | grep . || echo none)"

# the class's lesson: stop the worker, watch the queue fill, start it, watch it drain; vote
# reports the depth (vote_queue_depth), so the panel has data with no worker running at all
run compose stop worker || bad "compose stop worker"
# shellcheck disable=SC2016 # the command as typed
printf '$ for i in $(seq 20); do curl -b voter_id=waiting-$i --data vote=a http://127.0.0.1:%s/; done\n' "$VOTE_PORT"
for i in $(seq 20); do vote "waiting-$i" a; echo; done >"$tmp/waiting.txt"
check "20 votes recorded with no worker running" eq "$(grep -c '^200$' "$tmp/waiting.txt")" 20
check "Prometheus sees them wait: max(vote_queue_depth) >= 20 (the queue panel's query)" \
    wait_for 30 prom_has 'max(vote_queue_depth) >= 20'
printf '$ curl http://127.0.0.1:%s/api/v1/query?query=max(vote_queue_depth)\n' "$PROMETHEUS_PORT"
prom_query 'max(vote_queue_depth)' | jq -r '.data.result[0].value[1]' | indent
# pending once no commit is left in the rule's [1m] window (the load above ended the last ones),
# so within 60 s + a scrape + an evaluation (5 s each) of the worker's stop
check "NoCommitWhileVotesWait pending or firing: votes wait and no worker is scraped at all" \
    wait_for 90 prom_has 'ALERTS{alertname="NoCommitWhileVotesWait"}'
printf '$ curl http://127.0.0.1:%s/api/v1/alerts\n' "$PROMETHEUS_PORT"
prom_api alerts | jq -r '.data.alerts[] | "\(.labels.alertname) \(.state)"' | indent
run compose start worker || bad "compose start worker"
check "worker started: the queue drains, max(vote_queue_depth) back to 0" \
    wait_for 60 prom_has 'max(vote_queue_depth) == 0'

note "a frozen backend: counter-redis paused (SIGSTOP-like: connections open, no answer)"
run compose pause counter-redis || bad "compose pause counter-redis"
visit_codes 10 >"$tmp/paused.txt"
check "10 visits at once while it is paused: each 503 once Redis did not answer in time" eq "$(grep -c '^503$' "$tmp/paused.txt")" 10
check "the counter's circuit breaker for Redis opened (circuit_breaker_state 2)" \
    eq "$(counter_metric 'circuit_breaker_state{backend="redis"}')" 2
rejected=$(counter_metric 'circuit_breaker_rejected_total{backend="redis"}')
visit_codes 20 >"$tmp/open.txt"
not_tried=$(($(counter_metric 'circuit_breaker_rejected_total{backend="redis"}') - rejected))
check "20 more visits: all 503, at least 19 refused without trying Redis ($not_tried; a cool-down may let one probe through)" \
    eq "$(grep -c '^503$' "$tmp/open.txt") $((not_tried >= 19))" "20 1"
t_thaw=$(now_ms)
run compose unpause counter-redis || bad "compose unpause counter-redis"
check "unpaused: a visit is counted again and the breaker closed" wait_for 10 counts_again
note "the first visit counted $(secs_since "$t_thaw") s after the unpause began (cool-down 0.5 s, then one probe)"
note "step 8 took $(secs_since "$t8") s"
use_volumes
