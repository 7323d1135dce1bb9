# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 1 (sourced by scripts/lab): the course's walkthrough with plain docker run.

title "1. the course's walkthrough: docker run on a user network"
IMG=$IMAGE_PREFIX/counter:$IMAGE_TAG
# The course's own build command; its stages are the compose build's, so it is cached (with
# the same GIT_COMMIT as that build, exported by setup: a bare --build-arg takes it from there).
t0=$(now_ms)
run docker build --build-arg GIT_COMMIT -q -t "$IMG" . || die "docker build -t counter ."
note "built in $(secs_since "$t0") s (the stages before the last are the compose build's)"
check "the counter image: non-root, exec-form ENTRYPOINT, HEALTHCHECK through 'counter healthcheck'" eq \
    "$(docker image inspect -f '{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Healthcheck.Test}}' "$IMG")" \
    '10001:10001 ["/usr/local/bin/counter"] ["CMD","/usr/local/bin/counter","healthcheck"]'
L=(--label votelab.lab=1)
run_db() { run docker run -d "${L[@]}" --net mybridge --name db "$@"; }
rm_db() { note_volumes db; run docker rm -f db; }
run_web() {
    run docker run -d "${L[@]}" --net mybridge -e REDIS_HOST=db -e REDIS_PORT=6379 \
        -p "127.0.0.1:$WALK_PORT:5000" --name web "$IMG"
}
run docker network create mybridge
run_db "$REDIS_IMAGE"
run_web
n=$(visits "$WALK_PORT" 3)
printf '$ curl http://127.0.0.1:%s/   (3 times)\n' "$WALK_PORT"; echo "$n" | indent
check "the counter counts: 1 2 3" eq "$n" "1 2 3"
run curl -sS -i "http://127.0.0.1:$WALK_PORT/"
check "the answer is the Flask app's sentence, as text/plain" \
    grep -qiE '^content-type: text/plain' "$tmp/run.out"
check "... and the 4th visit says so: Hello from Redis! I have been seen 4 times." \
    grep -q '^Hello from Redis! I have been seen 4 times\.' "$tmp/run.out"
checkpoint_passes 1 es
checkpoint_fails 2 es "docker rm -f web"

run docker rm -f web
run_web
n=$(visits "$WALK_PORT" 1)
printf '$ curl http://127.0.0.1:%s/\n' "$WALK_PORT"; echo "$n" | indent
check "docker rm -f web + run again: the count goes on (5)" eq "$n" 5
checkpoint_passes 2 en
check "web turns healthy through its HEALTHCHECK (counter healthcheck)" wait_for 40 is_healthy web
check "web runs as the non-root user (uid 10001)" eq "$(docker top web -eo uid,pid | awk 'NR == 2 { print $1 }')" 10001

rm_db
note "no volume: the Redis data was in the container (an anonymous volume of the image, left behind)"
run_db "$REDIS_IMAGE"
n=$(visits "$WALK_PORT" 1)
printf '$ curl http://127.0.0.1:%s/\n' "$WALK_PORT"; echo "$n" | indent
check "docker rm -f db + run again without a volume: the count restarts at 1" eq "$n" 1
checkpoint_passes 3 es

rm_db
note "with a named volume but Redis's default persistence (a snapshot now and then):"
run_db -v counter-data:/data "$REDIS_IMAGE"
n=$(visits "$WALK_PORT" 3)
echo "$n" | indent
sleep 1.5
rm_db
run_db -v counter-data:/data "$REDIS_IMAGE"
n=$(visits "$WALK_PORT" 1)
echo "$n" | indent
check "volume without append-only file: writes since the last snapshot are lost (1 again)" eq "$n" 1
rm_db
run docker volume rm counter-data

note "with a named volume and the append-only file (fsync every second):"
run_db -v counter-data:/data "$REDIS_IMAGE" redis-server --appendonly yes
n=$(visits "$WALK_PORT" 3)
printf '$ curl http://127.0.0.1:%s/   (3 times)\n' "$WALK_PORT"; echo "$n" | indent
checkpoint_passes 4 en
note "at once, no wait: Redis writes each change to its append-only file before it answers, so a"
note "killed Redis (docker rm -f) loses nothing it acknowledged; the fsync every second is for a"
note "crash of the machine itself"
rm_db
run_db -v counter-data:/data "$REDIS_IMAGE" redis-server --appendonly yes
n=$(visits "$WALK_PORT" 1)
printf '$ curl http://127.0.0.1:%s/\n' "$WALK_PORT"; echo "$n" | indent
check "docker rm -f db at once + run again with the volume and append-only file: the count goes on (4)" eq "$n" 4
checkpoint_passes 4 es
check "... and it says the count survived" grep -q 'la cuenta sobrevivió' "$tmp/checkpoint.out"
check "docker stop web: prompt and clean (SIGTERM reaches the binary)" stop_timed web 0
step1_cleanup
note "removed web, db (and their anonymous volumes), mybridge, counter-data"

