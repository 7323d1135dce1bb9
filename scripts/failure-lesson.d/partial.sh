# shellcheck shell=bash
# The partial failures of scripts/failure-lesson (sourced by it): a backend cut off the network
# (--partition) and a worker that stalls and comes back (--stall-worker), each under votes at a
# steady rate. Each records the deepest queue (deepest) and the seconds from the end of the
# fault until the queue was empty again (recovered). Uses failure-lesson's loadgen_start and
# loadgen_running, and checkpoint.d's helpers.

deepest=0 recovered=
# queue_depth: the Redis list votes, read inside the Redis container (no network needed)
queue_depth() { redis_in "$(first_cid redis)" LLEN votes; }
sample_depth() {
  local depth
  depth=$(queue_depth)
  [[ $depth =~ ^[0-9]+$ ]] && [ "$depth" -gt "$deepest" ] && deepest=$depth
  return 0
}
queue_empty_sampled() { sample_depth; [ "$(queue_depth)" = 0 ]; }
# recover_from SECONDS_AT_END: the queue empty again, deepest sampled meanwhile; sets recovered
recover_from() {
  if wait_until 120 queue_empty_sampled; then recovered=$((SECONDS - $1)); fi
}

# aliases CONTAINER NETWORK: its names on that network (Compose gives it its service's name)
aliases() {
  docker container inspect -f "{{range (index .NetworkSettings.Networks \"$2\").Aliases}}{{.}} {{end}}" "$1"
}

# recovery_report: the deepest queue, and how long the queue took to empty after the fault
recovery_report() {
  printf '%-14s %s\n' "$(t "cola máxima" "deepest queue")" "$deepest"
  if [ -n "$recovered" ]; then
    printf '%-14s %s\n' "$(t recuperado recovered)" "$(t "en $recovered s" "in $recovered s")"
  else
    no "la cola no se vació en 120 s después de la falla" "the queue did not empty within 120 s of the fault"
  fi
}

# partition SERVICE SECONDS: SERVICE (redis or db) off the back tier for SECONDS, under votes
partition() {
  local c net names name args=() cut
  net=$(back_tier)
  c=$(first_cid "$1")
  names=$(aliases "$c" "$net")
  t "Votos a 40 por segundo; $1 queda fuera de la red back-tier $2 s (docker network disconnect)." \
    "Votes at 40 a second; $1 is cut off the back-tier network for $2 s (docker network disconnect)."
  echo
  loadgen_start --clients 8 --votes "$((($2 + 20) * 5))" --rate 40 --max-seconds "$(($2 + 80))" || exit 1
  sleep 3
  docker network disconnect "$net" "$c" || exit 1
  cut=$SECONDS
  printf '  %s\n' "$(t "$1 aislado" "$1 cut off")"
  while [ $((SECONDS - cut)) -lt "$2" ]; do sample_depth; sleep 1; done
  for name in $names; do args+=(--alias "$name"); done
  docker network connect "${args[@]}" "$net" "$c" || exit 1
  printf '  %s\n' "$(t "$1 conectado otra vez, con sus nombres: $names" "$1 connected again, with its names: $names")"
  recover_from "$SECONDS"
}

# stall_worker: one worker holds a batch (worker fault stall) and is paused (docker pause) past
# its heartbeat's TTL, so another worker recovers the batch and applies it; then it wakes up and
# applies the same batch again
stall_worker() {
  local c short woke
  if [ "$(service_cids worker | wc -l)" -lt 2 ]; then
    no "hacen falta al menos 2 workers: docker compose up -d --scale worker=3" \
      "it takes at least 2 workers: docker compose up -d --scale worker=3"
    verdict
  fi
  c=$(first_cid worker)
  short=$(docker container inspect -f '{{.Config.Hostname}}' "$c")
  t "Votos a 40 por segundo; un worker toma un lote y se congela (docker pause) más que su heartbeat." \
    "Votes at 40 a second; one worker takes a batch and freezes (docker pause) for longer than its heartbeat."
  echo
  # 30 s of votes: the heartbeat's 10 s TTL, half of it again, and time to drain after
  loadgen_start --clients 8 --votes 150 --rate 40 --max-seconds 120 || exit 1
  sleep 2
  docker exec "$c" /usr/local/bin/worker fault stall >/dev/null || exit 1
  if ! wait_until 30 frozen_with_a_batch "$c" "$short"; then
    docker unpause "$c" >/dev/null 2>&1
    no "el worker no quedó congelado con un lote" "the worker was not frozen with a batch"
    docker exec "$c" /usr/local/bin/worker fault off >/dev/null
    return
  fi
  local paused=$SECONDS
  printf '  %s\n' "$(t "worker $short congelado con un lote en su lista de procesamiento" \
    "worker $short frozen with a batch in its processing list")"
  if wait_until 60 batch_recovered "$short"; then
    printf '  %s\n' "$(t "otro worker recuperó ese lote a los $((SECONDS - paused)) s (el heartbeat venció) y lo aplicó" \
      "another worker recovered that batch after $((SECONDS - paused)) s (the heartbeat expired) and applied it")"
  else
    no "nadie recuperó el lote en 60 s" "nobody recovered the batch within 60 s"
  fi
  docker unpause "$c" >/dev/null
  docker exec "$c" /usr/local/bin/worker fault off >/dev/null
  woke=$SECONDS
  printf '  %s\n' "$(t "el worker despertó: aplica su lote otra vez (las mismas filas; gana el seq más nuevo) y su ACK no encuentra nada" \
    "the worker woke up: it applies its batch again (the same rows; the newest seq wins) and finds nothing to ACK")"
  recover_from "$woke"
}
# holds_a_batch SHORT_ID: the worker whose id starts with SHORT_ID has a processing list
holds_a_batch() { [ -n "$(redis_in "$(first_cid redis)" --scan --pattern "votes:processing:$1-*")" ]; }
batch_recovered() { ! holds_a_batch "$1"; }
# frozen_with_a_batch CONTAINER SHORT_ID: pauses the worker once it holds a batch; true if it
# still holds one once frozen (a batch taken before the stall may have been acknowledged just
# before the pause: then it is thawed, to be tried again)
frozen_with_a_batch() {
  holds_a_batch "$2" || return 1
  docker pause "$1" >/dev/null || return 1
  holds_a_batch "$2" && return 0
  docker unpause "$1" >/dev/null
  return 1
}
