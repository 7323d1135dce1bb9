# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 2 (sourced by scripts/lab): docker compose up, a vote, the seed profile, the counter.

title "2. docker compose up: the whole lab"
use_volumes
t0=$(now_ms)
run compose up -d || bad "compose up -d"
check "every service turns healthy (counter, counter-redis, vote, redis, worker, db, result, lb)" \
    wait_healthy 90 counter-redis redis db counter vote worker result lb
note "all healthy $(secs_since "$t0") s after compose up"
run compose ps
check "in the minimal image, services find each other by name (vote's /readyz: Redis answers)" \
    eq "$(curl -sS --max-time 5 "http://127.0.0.1:$VOTE_PORT/readyz")" ready

run curl -sS -o /dev/null -c "$tmp/jar" -w '%{http_code}\n' "http://127.0.0.1:$VOTE_PORT/"
voter=$(awk '$6 == "voter_id" { print $7 }' "$tmp/jar")
check "vote gives the browser a voter_id cookie" test -n "$voter"
check "the ballot links to the result page (RESULT_URL)" \
    grep -q "http://localhost:$RESULT_PORT" <(curl -sS "http://127.0.0.1:$VOTE_PORT/")
printf '$ curl -b voter_id=%s --data vote=a http://127.0.0.1:%s/\n' "$voter" "$VOTE_PORT"
code=$(vote "$voter" a); echo "$code" | indent
check "POST vote=a is recorded (200: curl asks for no HTML)" eq "$code" 200
printf '$ curl http://127.0.0.1:%s/api/results\n' "$RESULT_PORT"
check "result shows it: a=1 b=0 (integers)" wait_results 1 0
results | indent
check "/api/results: a and b are integers" jq -e '(.a|type) == "number" and (.b|type) == "number" and (.a|floor) == .a and (.b|floor) == .b' <<<"$(results)"
printf '$ curl -b voter_id=%s --data vote=b http://127.0.0.1:%s/   (the same voter changes their mind)\n' "$voter" "$VOTE_PORT"
code=$(vote "$voter" b); echo "$code" | indent
check "one voter, one vote: a=0 b=1" wait_results 0 1

export SEED_VOTES=50
check "seed profile (loadgen in the lab image): every one of 50 votes recorded" run compose run --rm seed
check "... and counted: 51 votes in all" wait_for 20 total_is 51
results | jq -c '{a, b, total, stale}' | indent

n=$(visits "$COUNTER_PORT" 2)
printf '$ curl http://127.0.0.1:%s/   (twice)\n' "$COUNTER_PORT"; echo "$n" | indent
check "the counter counts with its own Redis: 1 2" eq "$n" "1 2"
check "Redis and PostgreSQL publish no host port" eq \
    "$(docker inspect -f '{{json .NetworkSettings.Ports}}' "$(cid redis)" "$(cid counter-redis)" "$(cid db)" | grep -c HostPort)" 0
check "worker is on the back tier only; vote, result, counter on both" eq \
    "$(for s in worker vote result counter; do docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$(cid "$s")"; done | tr -s ' ' | paste -sd'|')" \
    "${PROJECT}_back-tier |${PROJECT}_back-tier ${PROJECT}_front-tier |${PROJECT}_back-tier ${PROJECT}_front-tier |${PROJECT}_back-tier ${PROJECT}_front-tier "

