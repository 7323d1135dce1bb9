# shellcheck shell=bash
# Step 9 (sourced by scripts/lab): the guide's 45-minute paths ("For the teacher" in
# docs/guide.*.md), each as a class that skips the other steps runs it, with Spanish pages and
# messages: A = steps 1, 3, 4; B = 5, 6, 8, 9; C = 11. Every checkpoint of a path passes with the
# steps it skips skipped.

title "9. the guide's 45-minute paths: A = steps 1, 3, 4; B = 5, 6, 8, 9; C = 11"
# walk_visits N: N visits to step 1's web, shown as the guide types them; sets n (the counts)
walk_visits() {
    printf '$ curl -w %s http://127.0.0.1:%s/%s\n' "'\n'" "$WALK_PORT" "$([ "$1" = 1 ] || echo "   ($1 times)")"
    n=$(visits "$WALK_PORT" "$1")
    echo "$n" | indent
}
t9=$(now_ms)

note "path A (steps 1, 3, 4), a second class on this account: checkpoint 1 starts afresh"
step1_cleanup
run docker network create mybridge
run_db "$REDIS_IMAGE"
run_web
walk_visits 3
checkpoint_passes 1 es
rm_db
run_db "$REDIS_IMAGE"
walk_visits 1
check "step 3: without a volume the count starts again (1)" eq "$n" 1
checkpoint_passes 3 es
rm_db
run_db -v counter-data:/data "$REDIS_IMAGE" redis-server --appendonly yes
walk_visits 3
checkpoint_passes 4 es
check "... its first pass, although step 1's walkthrough ran checkpoint 4 twice before" \
    checkpoint_said 'ahora: unas visitas'
rm_db
run_db -v counter-data:/data "$REDIS_IMAGE" redis-server --appendonly yes
walk_visits 1
check "step 4: the count survived docker rm -f db at once (4)" eq "$n" 4
checkpoint_passes 4 es
check "... its second pass: the count survived" checkpoint_said 'la cuenta sobrevivió'
step1_cleanup
note "path A took $(secs_since "$t9") s"

tB=$(now_ms)
note "path B (steps 5, 6, 8, 9), a new class: no lab running, the checkpoints reset"
remove_project
use_volumes
checkpoint_passes --reset es
run compose up -d || bad "compose up -d"
checkpoint_passes 5 es
run compose stop worker
printf '$ curl -d vote=a http://127.0.0.1:%s/\n' "$VOTE_PORT"
code=$(vote path-b a); echo "$code" | indent
check "step 6: with the worker stopped, the vote is recorded (200) and waits in the queue (1)" \
    eq "$code $(queue_len)" "200 1"
run compose start worker
checkpoint_passes 6 es
run compose down -v
run compose up -d
checkpoint_passes 8 es
run compose up -d --scale vote=3 --scale worker=3
checkpoint_passes 9 es
note "path B took $(secs_since "$tB") s"

tC=$(now_ms)
note "path C (step 11): the lab up with 3 vote and 3 worker replicas, then the lesson as the guide gives it"
run compose up -d --scale vote=3 --scale worker=3
failure_lesson
check "scripts/failure-lesson: 5 kills of the 3 workers under load, 0 acknowledged votes lost, passed" \
    lesson_passed 5
note "path C took $(secs_since "$tC") s; the three paths $(secs_since "$t9") s"
