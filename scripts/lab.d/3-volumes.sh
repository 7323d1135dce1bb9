# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 3 (sourced by scripts/lab): docker rm -f of the data containers, with and without volumes.

# kill_and_recreate SERVICE: docker rm -f its container, then compose up -d SERVICE, healthy
kill_and_recreate() {
    run docker rm -f "$(cid "$1")"
    run compose up -d "$1"
    wait_healthy 60 "$1" || bad "$1 healthy again"
}
# queue_test EXPECTED_AFTER: a vote waits in the queue (worker stopped) while Redis is killed
queue_test() {
    local expect=$1 a b
    a=$(results | jq .a) b=$(results | jq .b)
    run docker stop "$(cid worker)"
    printf '$ curl -b voter_id=queued-%s --data vote=a http://127.0.0.1:%s/\n' "$expect" "$VOTE_PORT"
    vote "queued-$expect" a | indent
    check "with the worker stopped, the vote waits in the Redis list votes" eq "$(queue_len)" 1
    # at once: Redis wrote the vote to its append-only file before it acknowledged it
    kill_and_recreate redis
    printf '$ redis-cli llen votes\n'; queue_len | indent
    check "after docker rm -f redis + compose up: votes waiting in the queue: $expect" eq "$(queue_len)" "$expect"
    run compose up -d
    check "worker running again: a=$((a + expect)) b=$b" wait_results "$((a + expect))" "$b"
}
counter_test() { # kept|lost: whether the count survives counter-redis being re-created
    local before n expect
    before=$(visits "$COUNTER_PORT" 1); echo "count before: $before"
    [[ $before =~ ^[0-9]+$ ]] || bad "a count before counter-redis is re-created"
    if [ "$1" = kept ]; then expect=$((before + 1)); else expect=1; fi
    kill_and_recreate counter-redis
    n=$(visits "$COUNTER_PORT" 1)
    printf '$ curl http://127.0.0.1:%s/\n' "$COUNTER_PORT"; echo "$n" | indent
    check "after docker rm -f counter-redis + compose up: the count is $expect" eq "$n" "$expect"
    last_count=$n
}
vote_rows() { # rows in the votes table; "no table" when there is none
    if [ "$(psql_ "SELECT to_regclass('votes') IS NOT NULL")" = t ]; then
        psql_ 'SELECT count(*) FROM votes'
    else
        echo "no table"
    fi
}
db_test() { # kept|lost: whether the scores and rows (one per voter) survive db being re-created
    local a=0 b=0 rows expect_rows="no table"
    if [ "$1" = kept ]; then
        read -r a b < <(scores); expect_rows=$((a + b))
        echo "before: a=$a b=$b"
    fi
    kill_and_recreate db
    rows=$(vote_rows 2>&1)
    printf '$ psql -c "SELECT count(*) FROM votes"\n'; echo "$rows" | indent
    check "after docker rm -f db + compose up: votes in the table: $expect_rows" eq "$rows" "$expect_rows"
    check "result reads the new database: a=$a b=$b" wait_results "$a" "$b"
    local voter; voter=after-db-$(now_ms)
    printf '$ curl -b voter_id=%s --data vote=b http://127.0.0.1:%s/\n' "$voter" "$VOTE_PORT"
    vote "$voter" b | indent
    check "a new vote goes through the re-created database: a=$a b=$((b + 1))" wait_results "$a" "$((b + 1))"
}

title "3a. docker rm -f the data containers, WITH the named volumes (docker-compose.yml)"
note "the vote queue's Redis (append-only file in volume redis-data):"
queue_test 1
note "the counter's Redis (append-only file in volume counter-redis-data):"
counter_test kept
note "PostgreSQL (volume db-data):"
db_test kept
# what the named volumes hold now, for step 4 (back on them after 3b)
read -r named_a named_b < <(scores)
named_count=$last_count
note "(so far: a=$named_a b=$named_b, count $named_count)"

title "3b. the same WITHOUT volumes (docker-compose.no-volumes.yml: tmpfs instead)"
note "compose down first: Compose v2 would otherwise re-attach the old containers' volumes"
run compose down
use_no_volumes
run compose up -d
check "every service healthy" wait_healthy 90 counter-redis redis db counter vote worker result lb
note "the data containers are on a tmpfs now: they start empty"
check "result: a=0 b=0 (a new, empty database)" wait_results 0 0
n=$(visits "$COUNTER_PORT" 3); echo "$n" | indent
check "the counter starts again: 1 2 3" eq "$n" "1 2 3"
code=$(vote novol-1 a); check "a vote (200)" eq "$code" 200
check "result: a=1 b=0" wait_results 1 0
note "the vote queue's Redis:"
queue_test 0
note "the counter's Redis:"
counter_test lost
note "PostgreSQL:"
db_test lost

