# shellcheck shell=bash
# Checkpoints 9 and 10: three replicas behind the load balancer; Prometheus scraping all of them.
# (Uses compose.sh's project and service helpers.)

# replicas SERVICE: how many of its containers run and are healthy
replicas() {
  local c n=0
  for c in $(service_cids "$1"); do healthy "$c" && n=$((n + 1)); done
  echo "$n"
}
three_replicas() { [ "$(replicas vote)" = 3 ] && [ "$(replicas worker)" = 3 ]; }
lb_sees_three() { [ "$(lb_vote_up)" = 3 ]; }
# lb_vote_up: the vote servers lb's stats page shows UP
lb_vote_up() {
  curl -sS --max-time 5 "$(lb_url 8404)/stats;csv" 2>/dev/null |
    awk -F, '$1 == "vote" && $2 !~ /END$/ && $18 ~ /^UP/' | wc -l
}

checkpoint_9() {
  local ids
  if wait_until 90 three_replicas; then
    ok "3 réplicas de vote y 3 de worker, sanas" "3 vote and 3 worker replicas, healthy"
  else
    no "réplicas sanas: vote $(replicas vote), worker $(replicas worker): docker compose up -d --scale vote=3 --scale worker=3" \
      "healthy replicas: vote $(replicas vote), worker $(replicas worker): docker compose up -d --scale vote=3 --scale worker=3"
    return
  fi
  if wait_until 30 lb_sees_three; then
    ok "lb (HAProxy) ve las 3 réplicas de vote (UP en $(lb_url 8404)/stats)" \
      "lb (HAProxy) sees the 3 vote replicas (UP on $(lb_url 8404)/stats)"
  else
    no "lb ve $(lb_vote_up) réplicas de vote UP, no 3 (mira $(lb_url 8404)/stats)" \
      "lb sees $(lb_vote_up) vote replicas UP, not 3 (look at $(lb_url 8404)/stats)"
  fi
  ids=$(for _ in $(seq 12); do replica_at "$(lb_url 80)/"; done | sort -u | paste -sd ' ' -)
  if [ "$(wc -w <<<"$ids")" -ge 2 ]; then
    ok "12 páginas a través de lb vinieron de $(wc -w <<<"$ids") réplicas: $ids" \
      "12 pages through lb came from $(wc -w <<<"$ids") replicas: $ids"
  else
    no "12 páginas a través de lb vinieron de una sola réplica ($ids)" "12 pages through lb came from one replica only ($ids)"
  fi
}

# prom_query EXPR: the answer (JSON) of the project's Prometheus, on host port $prom_port
prom_query() {
  curl -sS --max-time 5 -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null
}
# every_job_found: a target for each service the lab's Prometheus scrapes (monitoring/prometheus.yml)
every_job_found() {
  local job
  for job in vote worker result counter; do
    prom_query "count(up{job=\"$job\"})" | grep -q '"value"' || return 1
  done
}
none_down() { ! prom_query 'up == 0' | grep -q '"instance"'; }

checkpoint_10() {
  local down targets
  prom_port=$(host_port "$(first_cid prometheus)" 9090)
  if [ -z "$prom_port" ]; then
    no "Prometheus no corre: docker compose -f docker-compose.yml -f docker-compose.monitoring.yml --profile monitoring up -d --scale vote=3 --scale worker=3" \
      "Prometheus is not running: docker compose -f docker-compose.yml -f docker-compose.monitoring.yml --profile monitoring up -d --scale vote=3 --scale worker=3"
    return
  fi
  # Prometheus finds replicas through DNS and scrapes every 5 s: give a fresh start a moment
  if wait_until 60 every_job_found; then
    targets=$(prom_query 'count(up)' | sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p')
    ok "Prometheus (http://localhost:$prom_port) encontró vote, worker, result y counter: $targets targets" \
      "Prometheus (http://localhost:$prom_port) found vote, worker, result and counter: $targets targets"
  else
    no "Prometheus no encontró todos los servicios (vote, worker, result, counter): mira http://localhost:$prom_port/targets" \
      "Prometheus has not found every service (vote, worker, result, counter): look at http://localhost:$prom_port/targets"
    return
  fi
  if wait_until 30 none_down; then
    ok "todos responden (up == 1): cada servicio, cada réplica" "every one answers (up == 1): every service, every replica"
  else
    down=$(prom_query 'up == 0' | grep -o '"instance":"[^"]*"' | cut -d'"' -f4 | paste -sd ' ' -)
    no "no responden: $down (mira http://localhost:$prom_port/targets)" "not answering: $down (look at http://localhost:$prom_port/targets)"
  fi
}
