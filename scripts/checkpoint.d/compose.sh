# shellcheck shell=bash
# Checkpoints 5 to 8: the whole lab with compose; a vote's path; what `docker compose down` keeps
# and `down -v` removes. Whether the data survived is decided by PostgreSQL's system identifier
# (a new one for every new data directory) and a marker key in the counter's Redis.

SERVICES=(counter counter-redis vote redis worker db result lb)
# the compose project as `docker compose` run here names it
project=${COMPOSE_PROJECT_NAME:-$(sed -n 's/^COMPOSE_PROJECT_NAME=//p' .env 2>/dev/null | tail -n 1)}
project=${project:-$(basename "$PWD" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')}

# back_tier: the project's network that joins everything that talks to a data store
back_tier() { printf '%s_back-tier' "$project"; }
# project_cids [FILTER...]: the project's containers, running or not (not `compose run`'s)
project_cids() {
  docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$project" \
    --filter label=com.docker.compose.oneoff=False "$@" | sort
}
# service_cids SERVICE: its containers
service_cids() { project_cids --filter "label=com.docker.compose.service=$1"; }
first_cid() { service_cids "$1" | head -n 1; }
# service_healthy SERVICE: it runs, and every container of it that runs is healthy (a replica
# stopped or killed for a lesson is not counted against it)
service_healthy() {
  local c n=0
  for c in $(project_cids --filter status=running --filter "label=com.docker.compose.service=$1"); do
    healthy "$c" || return 1
    n=$((n + 1))
  done
  [ "$n" -gt 0 ]
}
all_healthy() {
  local s
  for s in "${SERVICES[@]}"; do service_healthy "$s" || return 1; done
}
# lb_url PORT: lb's address for what it serves on PORT (80 vote, 8081 result, 8404 stats)
lb_url() { printf 'http://127.0.0.1:%s' "$(host_port "$(first_cid lb)" "$1")"; }
api_total() { curl -sS --max-time 5 "$(lb_url 8081)/api/results" | sed -n 's/.*"total":\([0-9]*\).*/\1/p'; }
db_sql() { sql_in "$(first_cid db)" "$1"; }
votes_in_db() { db_sql 'SELECT count(*) FROM votes'; }
queue_empty() { [ "$(redis_in "$(first_cid redis)" LLEN votes)" = 0 ]; }
result_agrees() { [ "$(api_total)" = "$(votes_in_db)" ]; }

lab_running() {
  local s c states
  if [ -z "$(project_cids)" ]; then
    no "no hay contenedores del proyecto compose \"$project\": docker compose up -d (desde la raíz del repositorio)" \
      "no container of the compose project \"$project\": docker compose up -d (from the repository's root)"
    return 1
  fi
  if wait_until 90 all_healthy; then
    ok "los 8 servicios corren y están sanos (healthy): ${SERVICES[*]}" \
      "the 8 services run and are healthy: ${SERVICES[*]}"
  else
    for s in "${SERVICES[@]}"; do
      service_healthy "$s" && continue
      states=
      for c in $(service_cids "$s"); do
        states+="$(docker container inspect -f '{{.State.Status}}{{if .State.Health}}/{{.State.Health.Status}}{{end}}' "$c") "
      done
      no "$s no corre sano: ${states:-no existe} (docker compose ps; docker compose logs $s)" \
        "$s does not run healthy: ${states:-missing} (docker compose ps; docker compose logs $s)"
    done
    return 1
  fi
  local port answer
  port=$(host_port "$(first_cid counter)" 5000)
  answer=$(curl -sS --max-time 5 "http://127.0.0.1:$port/readyz" 2>&1)
  if [ "$answer" = ready ]; then
    ok "el contador responde en http://localhost:$port/" "the counter answers on http://localhost:$port/"
  else
    no "el contador no responde en el puerto $port: $answer" "the counter does not answer on port $port: $answer"
  fi
  if [ -n "$(replica_at "$(lb_url 80)/")" ]; then
    ok "vote responde a través de lb en $(lb_url 80)/" "vote answers through lb on $(lb_url 80)/"
  else
    no "vote no responde a través de lb en $(lb_url 80)/" "vote does not answer through lb on $(lb_url 80)/"
  fi
  if [ -n "$(api_total)" ]; then
    ok "result responde a través de lb en $(lb_url 8081)/" "result answers through lb on $(lb_url 8081)/"
  else
    no "result no responde a través de lb en $(lb_url 8081)/api/results" \
      "result does not answer through lb on $(lb_url 8081)/api/results"
  fi
}

# what checkpoints 7 and 8 compare with
remember_lab() {
  local marker
  marker=$(new_marker)
  redis_in "$(first_cid counter-redis)" SET votelab:checkpoint "$marker" >/dev/null
  remember lab_marker "$marker"
  remember lab_system_id "$(db_sql 'SELECT system_identifier FROM pg_control_system()')"
  remember lab_votes "$(votes_in_db)"
  remember lab_cids "$(project_cids | paste -sd ' ' -)"
}
# containers_new: none of the project's containers is one the last checkpoint saw
containers_new() {
  local c
  for c in $(project_cids); do
    [[ " $(recall lab_cids) " != *" $c "* ]] || return 1
  done
}
same_database() { [ "$(db_sql 'SELECT system_identifier FROM pg_control_system()')" = "$(recall lab_system_id)" ]; }
same_counter_data() { [ "$(redis_in "$(first_cid counter-redis)" GET votelab:checkpoint)" = "$(recall lab_marker)" ]; }

checkpoint_5() {
  lab_running && remember_lab
}

checkpoint_6() {
  local rows published s
  lab_running || return
  if wait_until 15 queue_empty; then
    ok "la lista votes de Redis está vacía: el worker tomó cada voto" \
      "the Redis list votes is empty: the worker took every vote"
  else
    no "quedan votos en la lista votes de Redis: ¿corre el worker? (docker compose ps worker)" \
      "votes are left in the Redis list votes: is the worker running? (docker compose ps worker)"
  fi
  rows=$(votes_in_db)
  if [ "${rows:-0}" -gt 0 ]; then
    ok "PostgreSQL tiene $rows voto(s) en la tabla votes (una fila por votante)" \
      "PostgreSQL holds $rows vote(s) in the table votes (one row per voter)"
  else
    no "todavía no hay votos en PostgreSQL: vota en $(lb_url 80)/" "no vote in PostgreSQL yet: vote on $(lb_url 80)/"
  fi
  if wait_until 10 result_agrees; then
    ok "result muestra los mismos $(api_total) votos que PostgreSQL" "result shows the same $(api_total) votes as PostgreSQL"
  else
    no "result muestra $(api_total) votos y PostgreSQL tiene $(votes_in_db)" \
      "result shows $(api_total) votes and PostgreSQL holds $(votes_in_db)"
  fi
  for s in redis:6379 db:5432; do
    published=$(docker port "$(first_cid "${s%:*}")" "${s#*:}/tcp" 2>/dev/null | paste -sd ' ' -)
    if [ -z "$published" ]; then
      info "${s%:*} no se publica en el host (para mirarlo desde el host: docker-compose.inspect.yml)" \
        "${s%:*} is not published on the host (to look inside from the host: docker-compose.inspect.yml)"
    elif [[ $published =~ ^127\.0\.0\.1:[0-9]+$ ]]; then
      ok "${s%:*} se publica solo en $published (docker-compose.inspect.yml)" \
        "${s%:*} is published on $published only (docker-compose.inspect.yml)"
    else
      no "${s%:*} se publica en $published: cualquiera en la red puede leerlo" \
        "${s%:*} is published on $published: anyone on the network can read it"
    fi
  done
  remember_lab
}

checkpoint_7() {
  lab_running || return
  if [ -z "$(recall lab_cids)" ]; then no "primero el punto de control 5 o 6" "run checkpoint 5 or 6 first"; return; fi
  if containers_new; then
    ok "todos los contenedores son nuevos (docker compose down los borró)" \
      "every container is new (docker compose down removed them)"
  else
    no "hay contenedores del punto anterior: docker compose down, después docker compose up -d" \
      "some containers are the last checkpoint's: docker compose down, then docker compose up -d"
  fi
  if same_database && same_counter_data; then
    ok "los votos ($(votes_in_db)) y la cuenta se conservaron: estaban en los volúmenes con nombre" \
      "the votes ($(votes_in_db)) and the count were kept: they were in the named volumes"
  else
    no "los datos no son los del punto anterior: ¿docker compose down -v? (este paso usa down, sin -v)" \
      "the data is not the last checkpoint's: docker compose down -v? (this step uses down, without -v)"
  fi
  remember_lab
}

checkpoint_8() {
  lab_running || return
  if [ -z "$(recall lab_cids)" ]; then
    no "primero un punto de control anterior de Compose (5, 6 o 7)" "run an earlier checkpoint of the Compose lab first (5, 6 or 7)"
    return
  fi
  if containers_new; then
    ok "todos los contenedores son nuevos" "every container is new"
  else
    no "hay contenedores del punto anterior: docker compose down -v, después docker compose up -d" \
      "some containers are the last checkpoint's: docker compose down -v, then docker compose up -d"
  fi
  if ! same_database && ! same_counter_data; then
    ok "una base de datos nueva ($(votes_in_db) votos) y la cuenta de nuevo desde cero: down -v borró los volúmenes" \
      "a new database ($(votes_in_db) votes) and the count from zero again: down -v removed the volumes"
  else
    no "los datos siguen ahí: docker compose down -v borra los volúmenes (down solo, no)" \
      "the data is still there: docker compose down -v removes the volumes (down alone does not)"
  fi
  remember_lab
}
