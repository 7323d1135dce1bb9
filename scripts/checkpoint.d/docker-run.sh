# shellcheck shell=bash
# Checkpoints 1 to 4: the course's counter with `docker run` (containers web and db on the user
# network mybridge), and what `docker rm -f` of each loses. Whether Redis's data survived is
# decided by a marker key the previous checkpoint wrote into db, not by the count (a student
# may visit the page any number of times in between).

MARKER_KEY=votelab:checkpoint

# web answers on its published port 5000 and reaches Redis (its /readyz: a checkpoint does not
# count as a visit)
counter_answers() {
  local port answer
  port=$(host_port web 5000)
  if [ -z "$port" ]; then
    no "web no publica el puerto 5000: a su docker run le falta -p 5000:5000" \
      "web publishes no port 5000: its docker run needs -p 5000:5000"
    return 1
  fi
  answer=$(curl -sS --max-time 5 "http://127.0.0.1:$port/readyz" 2>&1)
  if [ "$answer" = ready ]; then
    ok "web responde en http://localhost:$port/ y llega a Redis en db (la cuenta va por $(hits))" \
      "web answers on http://localhost:$port/ and reaches Redis in db (the count is at $(hits))"
  else
    no "web no llega a Redis (¿db corre, en mybridge?): http://localhost:$port/readyz responde: $answer" \
      "web does not reach Redis (is db running, on mybridge?): http://localhost:$port/readyz answers: $answer"
    return 1
  fi
}

# both containers running, on mybridge, web pointed at db
counter_running() {
  local c nets
  if docker network inspect mybridge >/dev/null 2>&1; then
    ok "la red mybridge existe" "the network mybridge exists"
  else
    no "no existe la red mybridge: docker network create mybridge" \
      "there is no network mybridge: docker network create mybridge"
  fi
  for c in db web; do
    if ! running "$c"; then
      no "el contenedor $c no está corriendo (docker ps -a; docker logs $c)" \
        "the container $c is not running (docker ps -a; docker logs $c)"
      continue
    fi
    nets=$(docker container inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$c")
    if [[ " $nets" == *" mybridge "* ]]; then
      ok "$c corre en la red mybridge" "$c runs on the network mybridge"
    else
      no "$c no está en mybridge (está en: $nets): créalo con --net mybridge" \
        "$c is not on mybridge (it is on: $nets): create it with --net mybridge"
    fi
  done
  if running web; then
    if docker container inspect -f '{{range .Config.Env}}{{println .}}{{end}}' web | grep -qx 'REDIS_HOST=db'; then
      ok "web busca a Redis por el nombre db (-e REDIS_HOST=db): el DNS de Docker lo resuelve" \
        "web finds Redis by the name db (-e REDIS_HOST=db): Docker's DNS resolves it"
    else
      no "web no tiene REDIS_HOST=db: agrega -e REDIS_HOST=db a su docker run" \
        "web has no REDIS_HOST=db: add -e REDIS_HOST=db to its docker run"
    fi
  fi
  running db && running web && counter_answers
}

# mark_db: a fresh marker in db's Redis, and the containers as they are now
mark_db() {
  local marker
  marker=$(new_marker)
  redis_in db SET "$MARKER_KEY" "$marker" >/dev/null
  remember marker "$marker"
  remember web "$(cid web)"
  remember db "$(cid db)"
}
marker_survived() { [ -n "$(recall marker)" ] && [ "$(redis_in db GET "$MARKER_KEY")" = "$(recall marker)" ]; }
hits() { local n; n=$(redis_in db GET hits); echo "${n:-0}"; }

# recreated NAME [SPANISH ENGLISH]: NAME is not the container the last checkpoint saw (what to
# do when it is: remove it and run it again, with the step's extra advice)
recreated() {
  if [ -z "$(recall "$1")" ]; then
    no "primero el punto de control 1" "run checkpoint 1 first"
    return 1
  fi
  if [ "$(cid "$1")" = "$(recall "$1")" ]; then
    no "$1 es el mismo contenedor que en el punto anterior: docker rm -f $1 y vuelve a ejecutar su docker run${2:-}" \
      "$1 is the same container as at the last checkpoint: docker rm -f $1, then its docker run again${3:-}"
    return 1
  fi
  ok "$1 es un contenedor nuevo" "$1 is a new container"
}

# Checkpoint 1 starts the walkthrough: what earlier runs saw (a rehearsal, another class on the
# same account) would only make the next checkpoints compare with the wrong moment.
checkpoint_1() {
  forget
  counter_running && mark_db
}

checkpoint_2() {
  counter_running && recreated web || return
  if [ "$(cid db)" != "$(recall db)" ]; then
    no "db también es nuevo: este paso borra solo web (vuelve al punto de control 1)" \
      "db is new too: this step removes web only (go back to checkpoint 1)"
  elif marker_survived; then
    ok "la cuenta sobrevivió a docker rm -f web (va por $(hits)): vive en Redis, en db, no en web" \
      "the count survived docker rm -f web (it is at $(hits)): it lives in Redis, in db, not in web"
  else
    no "los datos de db cambiaron: ¿se reinició db?" "db's data changed: was db restarted?"
  fi
  mark_db
}

checkpoint_3() {
  counter_running && recreated db " (sin volumen)" " (no volume)" || return
  if marker_survived; then
    no "los datos sobrevivieron: ¿db tiene un volumen con nombre? En este paso corre sin volumen" \
      "the data survived: does db have a named volume? In this step it runs without one"
  else
    ok "la cuenta NO sobrevivió (volvió a empezar: va por $(hits)): sin volumen, Redis guardaba sus datos dentro del contenedor borrado" \
      "the count did NOT survive (it started again: it is at $(hits)): without a volume, Redis kept its data inside the removed container"
  fi
  mark_db
  # the next checkpoint 4 is its first pass, whatever an earlier run of step 4 left
  remember step4_db ""
}

# Checkpoint 4 runs twice: before `docker rm -f db` (db set up to keep its data) and after it
# (the data is still there).
checkpoint_4() {
  local mounts aof
  counter_running || return
  mounts=$(docker container inspect -f '{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}} {{end}}' db)
  if [[ " $mounts" == *" volume:counter-data:/data "* ]]; then
    ok "db guarda /data en el volumen con nombre counter-data" "db keeps /data in the named volume counter-data"
  else
    no "db no monta el volumen counter-data en /data (monta: ${mounts:-nada}): -v counter-data:/data" \
      "db does not mount the volume counter-data at /data (it mounts: ${mounts:-nothing}): -v counter-data:/data"
  fi
  aof=$(redis_in db CONFIG GET appendonly | tail -n 1)
  if [ "$aof" = yes ]; then
    ok "Redis escribe cada cambio en su archivo append-only (appendonly yes)" \
      "Redis writes every change to its append-only file (appendonly yes)"
  else
    no "Redis corre sin archivo append-only: agrega redis-server --appendonly yes al final del docker run de db" \
      "Redis runs without the append-only file: end db's docker run with redis-server --appendonly yes"
  fi
  if [ "$(recall step4_db)" = "" ] || [ "$(cid db)" = "$(recall step4_db)" ]; then
    info "ahora: unas visitas, docker rm -f db, el mismo docker run de db, y este punto de control otra vez" \
      "now: a few visits, docker rm -f db, the same docker run of db, and this checkpoint again"
  elif marker_survived; then
    ok "db es un contenedor nuevo y la cuenta sobrevivió (va por $(hits)): estaba en el volumen" \
      "db is a new container and the count survived (it is at $(hits)): it was in the volume"
  else
    no "db es nuevo y los datos se perdieron: ¿el mismo -v counter-data:/data y --appendonly yes las dos veces?" \
      "db is new and the data is lost: the same -v counter-data:/data and --appendonly yes both times?"
  fi
  mark_db
  remember step4_db "$(cid db)"
}
