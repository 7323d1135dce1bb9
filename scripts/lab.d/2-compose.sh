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
checkpoint_passes 5 en

note "looking inside Redis and PostgreSQL from the host: the opt-in docker-compose.inspect.yml"
REDIS_INSPECT_PORT=$(pick_port 6379) POSTGRES_INSPECT_PORT=$(pick_port 5432)
export REDIS_INSPECT_PORT POSTGRES_INSPECT_PORT
compose_files=(-f docker-compose.yml -f docker-compose.inspect.yml)
run compose up -d || bad "compose up -d with docker-compose.inspect.yml"
check "every service healthy" wait_healthy 90 counter-redis redis db counter vote worker result lb
check "Redis and PostgreSQL published on 127.0.0.1 only: 127.0.0.1:$REDIS_INSPECT_PORT 127.0.0.1:$POSTGRES_INSPECT_PORT" eq \
    "$(docker port "$(cid redis)" 6379/tcp) $(docker port "$(cid db)" 5432/tcp)" "127.0.0.1:$REDIS_INSPECT_PORT 127.0.0.1:$POSTGRES_INSPECT_PORT"
run redis-cli -h 127.0.0.1 -p "$REDIS_INSPECT_PORT" llen votes
check "redis-cli on the host reads the queue: empty (0)" eq "$(cat "$tmp/run.out")" 0
run env PGPASSWORD="${POSTGRES_PASSWORD:-postgres}" psql -h 127.0.0.1 -p "$POSTGRES_INSPECT_PORT" -U postgres -d postgres \
    -tAc 'SELECT count(*) FROM votes'
check "psql on the host reads the votes: 51 rows" eq "$(cat "$tmp/run.out")" 51
checkpoint_passes 6 es
check "... and says Redis is published on 127.0.0.1 only" grep -q "redis se publica solo en 127.0.0.1:" "$tmp/checkpoint.out"
use_volumes
run compose up -d || bad "compose up -d"
check "without the override, Redis and PostgreSQL publish no host port again" eq \
    "$(docker inspect -f '{{json .NetworkSettings.Ports}}' "$(cid redis)" "$(cid db)" | grep -c HostPort)" 0


# ballot_in LANGUAGE ACCEPT_LANGUAGE: the ballot a browser asking for ACCEPT_LANGUAGE gets is in
# LANGUAGE (its <html lang>)
ballot_in() {
    curl -sS --fail --max-time 5 -H "Accept-Language: $2" "http://127.0.0.1:$VOTE_PORT/" | grep -q "<html lang=\"$1\""
}
follows_the_browser() { ballot_in es es && ballot_in en en; }
check "without LAB_LANGUAGE, each ballot follows its browser's language (es, en)" follows_the_browser
note "LAB_LANGUAGE=es_AR.UTF-8 (a LANG as students' machines have it): every page in Spanish from"
note "here on, whatever the browser asks; every later checkpoint runs against Spanish pages"
export LAB_LANGUAGE=es_AR.UTF-8
run compose up -d || bad "LAB_LANGUAGE=es_AR.UTF-8 compose up -d"
check "every service healthy" wait_healthy 90 counter-redis redis db counter vote worker result lb
check "the ballot is in Spanish (<html lang=\"es\">) for a browser that asks for English" \
    wait_for 60 ballot_in es en
