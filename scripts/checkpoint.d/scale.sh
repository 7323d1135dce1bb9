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
# lb_vote_up: the vote servers lb's stats page shows UP
lb_vote_up() {
  curl -sS --max-time 5 "$(lb_url 8404)/stats;csv" 2>/dev/null |
    awk -F, '$1 == "vote" && $2 !~ /END$/ && $18 ~ /^UP/' | wc -l
}

checkpoint_9() {
  local ids i
  if wait_until 90 three_replicas; then
    ok "3 réplicas de vote y 3 de worker, sanas" "3 vote and 3 worker replicas, healthy"
  else
    no "réplicas sanas: vote $(replicas vote), worker $(replicas worker): docker compose up -d --scale vote=3 --scale worker=3" \
      "healthy replicas: vote $(replicas vote), worker $(replicas worker): docker compose up -d --scale vote=3 --scale worker=3"
    return
  fi
  if wait_until 30 eval '[ "$(lb_vote_up)" = 3 ]'; then
    ok "lb (HAProxy) ve las 3 réplicas de vote (UP en $(lb_url 8404)/stats)" \
      "lb (HAProxy) sees the 3 vote replicas (UP on $(lb_url 8404)/stats)"
  else
    no "lb ve $(lb_vote_up) réplicas de vote UP, no 3 (mire $(lb_url 8404)/stats)" \
      "lb sees $(lb_vote_up) vote replicas UP, not 3 (look at $(lb_url 8404)/stats)"
  fi
  ids=$(for i in $(seq 12); do
    curl -sS --max-time 5 "$(lb_url 80)/" | sed -n 's/.*Processed by container ID \([^<]*\)<.*/\1/p'
  done | sort -u | paste -sd ' ' -)
  if [ "$(wc -w <<<"$ids")" -ge 2 ]; then
    ok "12 páginas a través de lb vinieron de $(wc -w <<<"$ids") réplicas: $ids" \
      "12 pages through lb came from $(wc -w <<<"$ids") replicas: $ids"
  else
    no "12 páginas a través de lb vinieron de una sola réplica ($ids)" "12 pages through lb came from one replica only ($ids)"
  fi
}

checkpoint_10() {
  local port query down targets
  port=$(host_port "$(first_cid prometheus)" 9090)
  if [ -z "$port" ]; then
    no "Prometheus no corre: docker compose -f docker-compose.yml -f docker-compose.monitoring.yml --profile monitoring up -d" \
      "Prometheus is not running: docker compose -f docker-compose.yml -f docker-compose.monitoring.yml --profile monitoring up -d"
    return
  fi
  # query EXPR: the instances or values of a Prometheus query, one a line
  query() { curl -sS --max-time 5 -G "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null; }
  # Prometheus finds replicas through DNS and scrapes every 5 s: give a fresh start a moment
  if wait_until 60 eval 'query "count(up)" | grep -q "\"value\":\[[0-9.]*,\"[1-9]"'; then
    targets=$(query 'count(up)' | sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p')
    ok "Prometheus ($(printf 'http://localhost:%s' "$port")) encontró $targets destinos" \
      "Prometheus ($(printf 'http://localhost:%s' "$port")) found $targets targets"
  else
    no "Prometheus no encontró ningún destino todavía (mire http://localhost:$port/targets)" \
      "Prometheus has found no target yet (look at http://localhost:$port/targets)"
    return
  fi
  if wait_until 30 eval '! query "up == 0" | grep -q "\"instance\""'; then
    ok "todos responden (up == 1): cada servicio, cada réplica" "every one answers (up == 1): every service, every replica"
  else
    down=$(query 'up == 0' | grep -o '"instance":"[^"]*"' | cut -d'"' -f4 | paste -sd ' ' -)
    no "no responden: $down (mire http://localhost:$port/targets)" "not answering: $down (look at http://localhost:$port/targets)"
  fi
}
