# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 7 (sourced by scripts/lab): the voting app as a Docker Swarm stack (docker-stack.yml) on a
# one-node swarm of the lab's engine: every service healthy, a vote reaches the result, a rolling
# update of vote and of worker under a steady stream of votes fails and loses none, a killed
# worker task's successor puts its batch back at once, db and redis keep their data through a
# new task. The swarm is left, and the stack, its secret and volumes removed (also on failure:
# scripts/lab's cleanup calls swarm_cleanup).

STACK=$PROJECT-swarm
swarm_svc() { echo "${STACK}_$1"; }
# the running containers of a service's tasks, one a line
tasks() { docker ps --format '{{.Names}}' --filter "label=com.docker.swarm.service.name=$(swarm_svc "$1")" | sort; }
# slot SERVICE N: the running container of the service's task in slot N (named SERVICE.N.TASK)
slot() { tasks "$1" | grep "^$(swarm_svc "$1")\.$2\."; }
# tasks_healthy SERVICE N: N running tasks, all healthy
# shellcheck disable=SC2046 # container names, one a line, without spaces
tasks_healthy() { all_healthy "$2" $(tasks "$1"); }
stack_healthy() {
    tasks_healthy vote 2 && tasks_healthy worker 2 && tasks_healthy result 1 &&
        tasks_healthy redis 1 && tasks_healthy db 1 && tasks_healthy lb 1 && lb_up vote 2
}
swarm_redis() { docker exec "$(tasks redis)" redis-cli "$@"; }
processing_held() { [ "$(swarm_redis llen "votes:processing:$1")" -gt 0 ]; }
# update_done SERVICE: its last update completed (neither paused nor rolled back)
update_done() { eq "$(docker service inspect -f '{{.UpdateStatus.State}}' "$(swarm_svc "$1")")" completed; }
none_in() { ! grep -qxF -f <(echo "$1" | tr ' ' '\n' | grep .) <<<"$2"; }
# the stack's Prometheus has found every task of vote, worker and result, and each one is up
swarm_all_scraped() {
    [ "$(scraped | paste -sd '|' -)" = "prometheus: 1 up of 1|result: 1 up of 1|vote: 2 up of 2|worker: 2 up of 2" ]
}

# rolling_update SERVICE: `docker service update --force` while the load runs, then checks it
# completed before the load ended and replaced every task
rolling_update() {
    local before t0
    before=$(tasks "$1" | tr '\n' ' ')
    t0=$(now_ms)
    run docker service update --force --quiet "$(swarm_svc "$1")" || bad "docker service update --force $1"
    note "update of $1 done in $(secs_since "$t0") s"
    check "it completed while the votes kept coming (UpdateStatus completed, the load still running)" \
        eval "update_done $1 && load_running"
    check "every task of $1 is a new one, and healthy" \
        eval "tasks_healthy $1 2 && none_in '$before' \"\$(tasks $1)\""
}

# kill_worker: docker kill of the worker in slot 1 while it holds a batch in its processing list
# (db paused for a moment, so that the batch cannot be committed); its successor in the slot, with
# the same WORKER_ID, must put the batch back in the queue as soon as it starts
kill_worker() {
    local victim db held t0 log
    victim=$(slot worker 1) db=$(tasks db)
    note "db paused for a moment: worker-1 holds the batch it took, unable to commit it"
    run docker pause "$db"
    check "worker-1's processing list holds votes" wait_for 10 processing_held worker-1
    held=$(swarm_redis llen votes:processing:worker-1)
    t0=$(now_ms)
    run docker kill "$victim"
    run docker unpause "$db"
    check "Swarm starts a new task in slot 1 (restart_policy), healthy" \
        wait_for 60 eval "tasks_healthy worker 2 && [ \"\$(slot worker 1)\" != $victim ]"
    log=$(slot worker 1)
    check "the new worker-1 put its predecessor's batch ($held votes) back in the queue as it started" \
        wait_for 20 eval "docker logs $log 2>&1 | grep -q 'returned votes left in this worker'"
    printf '$ docker logs %s 2>&1 | grep returned\n' "$log"
    docker logs "$log" 2>&1 | grep -m 1 'returned votes left' | tee "$tmp/returned.out" | indent
    # the log line's time (RFC 3339, UTC) against the kill's
    returned_after=$(awk -v a="$t0" -v b="$(date -d "$(cut -d ' ' -f 1 "$tmp/returned.out")" +%s%3N)" \
        'BEGIN { printf "%.1f", (b - a) / 1000 }')
    note "$returned_after s after the kill (without a stable WORKER_ID: once the heartbeat expires, about 15 s)"
}

# Everything of the stack, then the swarm (only one the lab created: its node carries the label
# votelab.lab=1); a paused container (kill_worker) is unpaused first, so that it can stop.
swarm_cleanup() {
    local f="label=com.docker.stack.namespace=$STACK"
    docker ps -q --filter "$f" --filter status=paused | xargs -r docker unpause >/dev/null 2>&1
    timeout 60 docker stack rm "$STACK" >/dev/null 2>&1
    wait_for 60 eval "[ -z \"\$(docker ps -aq --filter '$f')\" ]"
    if [ "$(docker node inspect self -f '{{index .Spec.Labels "votelab.lab"}}' 2>/dev/null)" = 1 ]; then
        timeout 60 docker swarm leave --force >/dev/null 2>&1
    fi
    docker volume ls -q --filter "$f" | xargs -r docker volume rm >/dev/null 2>&1
    # created by `swarm init` for the tasks' outside traffic; unused once out of the swarm
    if [ "$(docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = inactive ]; then
        docker network rm docker_gwbridge >/dev/null 2>&1
    fi
    swarm_started=0
    return 0
}
stack_gone() {
    [ "$(docker info -f '{{.Swarm.LocalNodeState}}')" = inactive ] &&
        [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] &&
        [ -z "$(docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK")" ] &&
        [ -z "$(docker network ls -q --filter name=docker_gwbridge)" ]
}

title "7. Docker Swarm: docker stack deploy -c docker-stack.yml, rolling updates under load"
t_step=$(now_ms)
note "the compose project down first: the stack publishes the same ports"
remove_project
if [ "$(docker info -f '{{.Swarm.LocalNodeState}}')" != inactive ]; then
    [ "$(docker node inspect self -f '{{index .Spec.Labels "votelab.lab"}}' 2>/dev/null)" = 1 ] ||
        die "this engine is in a swarm the lab did not create: leave it first (docker swarm leave)"
    note "a swarm left by an interrupted run: leaving it"
    swarm_cleanup
fi
if [ "$mode" = private ]; then
    base_images prometheus || die "build the stand-in prom/prometheus"
fi
PROMETHEUS_PORT=$(pick_port 9090); export PROMETHEUS_PORT
swarm_started=1
# One node; on the loopback address, so that the swarm's ports (2377 management, 7946 gossip)
# stay off the network. Nodes of a real swarm need an address they can reach each other on.
run docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 || die "docker swarm init"
node=$(docker info -f '{{.Swarm.NodeID}}')
# votelab.data: placement of db and redis (docker-stack.yml); votelab.lab: this swarm is the lab's
run docker node update --label-add votelab.data=true --label-add votelab.lab=1 "$node" ||
    die "label the node"
swarm_pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# shellcheck disable=SC2016  # the command as the transcript shows it, not run
printf '$ printf %%s "$password" | docker secret create postgres-password -   # 32 random hex digits\n'
printf %s "$swarm_pw" | docker_ secret create postgres-password - | indent
t0=$(now_ms)
run docker stack deploy --resolve-image never -c docker-stack.yml -c docker-stack.monitoring.yml "$STACK" ||
    die "docker stack deploy"
check "every service converges healthy: vote 2, worker 2, result, redis, db, lb (it sees 2 vote replicas)" \
    wait_for 120 stack_healthy
note "all healthy $(secs_since "$t0") s after docker stack deploy"
run docker stack services --format '{{.Name}}  {{.Mode}} {{.Replicas}}  {{.Image}}  {{.Ports}}' "$STACK"
check "the password is in no service's definition (only the secret's name is)" \
    eval "! docker service inspect \$(docker stack services -q $STACK) | grep -qF '$swarm_pw'"
check "vote answers through lb's host-mode port on 127.0.0.1:$VOTE_PORT" eq "$(vote swarm-voter-1 a)" 200
check "the vote reaches the result (a=1, b=0)" wait_results 1 0
check "the workers are worker-1 and worker-2 (WORKER_ID from the task slot)" \
    wait_for 15 eval "[ \"\$(swarm_redis --scan --pattern 'votes:worker:*' | sort | tr '\n' ' ')\" = 'votes:worker:worker-1 votes:worker:worker-2 ' ]"
check "the stack's Prometheus (docker-stack.monitoring.yml) finds every task through tasks.<service>, all up: vote 2, worker 2, result 1" \
    wait_for 60 swarm_all_scraped
printf '$ curl http://127.0.0.1:%s/api/v1/query?query=up   (per job: targets up of found)\n' "$PROMETHEUS_PORT"
scraped | indent

LOAD_ON=$STACK
# 2000 votes at 80 a second (25 s): longer than a rolling update of 2 tasks
load_args 100 "$swarm_pw"
note "a rolling update of vote (start-first: a new replica healthy before an old one stops) under a steady stream of votes"
under_load update-vote rolling_update vote
update_vote_failed=$fault_failed
check "docker service update --force vote under load: 0 failed votes ($update_vote_failed)" eq "$update_vote_failed" 0
check "... and none lost (loadgen --verify)" verified update-vote
note "a rolling update of worker (stop-first: a slot's WORKER_ID is never run twice) under load"
under_load update-worker rolling_update worker
update_worker_failed=$fault_failed
check "docker service update --force worker under load: 0 failed votes ($update_worker_failed)" eq "$update_worker_failed" 0
check "... and none lost (loadgen --verify)" verified update-worker

load_args 40 "$swarm_pw"
note "docker kill of a worker task under load"
under_load kill-worker kill_worker
kill_failed=$fault_failed
check "docker kill of a worker task under load: 0 failed votes ($kill_failed)" eq "$kill_failed" 0
check "... and none lost (loadgen --verify)" verified kill-worker

note "db and redis: a new task each, on the same volume"
total=$(results | jq .total) seq=$(swarm_redis get votes:seq)
old_data="$(tasks db) $(tasks redis)"
run docker service update --force --quiet "$(swarm_svc db)" || bad "docker service update --force db"
run docker service update --force --quiet "$(swarm_svc redis)" || bad "docker service update --force redis"
check "new db and redis tasks, every service healthy" \
    wait_for 90 eval "stack_healthy && none_in '$old_data' \"\$(tasks db; tasks redis)\""
check "db kept the $total voters' votes" wait_for 30 total_is "$total"
check "redis kept its data (votes:seq $seq)" eq "$(swarm_redis get votes:seq)" "$seq"
check "a new vote reaches the result after the restarts" \
    eval "[ \"\$(vote swarm-voter-2 b)\" = 200 ] && wait_for 30 total_is $((total + 1))"

run docker stack rm "$STACK"
check "the stack's containers are gone" \
    wait_for 60 eval "[ -z \"\$(docker ps -aq --filter label=com.docker.stack.namespace=$STACK)\" ]"
run docker swarm leave --force
swarm_cleanup
check "out of the swarm; no container, volume or network of the stack left" stack_gone
note "failed/lost votes: update of vote $update_vote_failed/$(lost_votes update-vote), update of worker $update_worker_failed/$(lost_votes update-worker), kill of a worker task $kill_failed/$(lost_votes kill-worker) (its batch back after ${returned_after:-?} s)"
note "step 7 took $(secs_since "$t_step") s"
