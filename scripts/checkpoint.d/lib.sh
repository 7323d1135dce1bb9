# shellcheck shell=bash
# What every checkpoint uses: the language, the ✔/✘ lines and the verdict, the state kept
# between checkpoints, and questions to Docker, Redis and PostgreSQL.

# language_of VALUE: es or en for a language or locale as LAB_LANGUAGE and LANG hold them (es,
# es_AR, es-MX, es_ES.UTF-8, EN), nothing for any other
language_of() {
  case "$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" in
  es | es[-_.@]*) echo es ;;
  en | en[-_.@]*) echo en ;;
  esac
}
# The services refuse a LAB_LANGUAGE that is neither (their pages come from the same variable):
# so do the checkpoints, rather than answer in English while the lab does not start.
if [ -n "${LAB_LANGUAGE:-}" ]; then
  lang=$(language_of "$LAB_LANGUAGE")
  if [ -z "$lang" ]; then
    echo "LAB_LANGUAGE=$LAB_LANGUAGE: es o en (es_AR, es_ES.UTF-8...) / es or en (en_US.UTF-8...)" >&2
    exit 2
  fi
else
  lang=$(language_of "${LC_ALL:-${LANG:-}}")
  lang=${lang:-en}
fi
# t SPANISH ENGLISH: the text in the student's language
t() { if [ "$lang" = es ]; then printf '%s' "$1"; else printf '%s' "$2"; fi; }

failures=0
title() { printf '%s %s\n' "$(t "Punto de control" "Checkpoint")" "$1"; }
ok() { printf '  ✔ %s\n' "$(t "$1" "$2")"; }
# no SPANISH ENGLISH: a check that failed, with what to do
no() { printf '  ✘ %s\n' "$(t "$1" "$2")"; failures=$((failures + 1)); }
# the same as a note, neither passed nor failed
info() { printf '  · %s\n' "$(t "$1" "$2")"; }
verdict() {
  if [ "$failures" = 0 ]; then
    t "Todo en orden: el laboratorio está como este paso lo espera." "All good: the lab is as this step expects it."
    echo
  else
    t "$failures cosa(s) para revisar (✘ arriba)." "$failures thing(s) to look at (✘ above)."
    echo
    exit 1
  fi
}

state=${CHECKPOINT_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/votelab/checkpoints}
# remember KEY VALUE / recall KEY: what a later checkpoint compares with
remember() {
  mkdir -p "$(dirname "$state")"
  { grep -v "^$1=" "$state" 2>/dev/null; printf '%s=%s\n' "$1" "$2"; } >"$state.new" && mv "$state.new" "$state"
}
recall() { sed -n "s/^$1=//p" "$state" 2>/dev/null | tail -n 1; }
# forget: nothing an earlier checkpoint saw (a new class, a teacher's rehearsal)
forget() { rm -f "$state" "$state.new"; }
new_marker() { printf 'checkpoint-%s-%s' "$(date +%s)" "$RANDOM"; }

# Docker
cid() { docker container inspect -f '{{.Id}}' "$1" 2>/dev/null; }
running() { [ "$(docker container inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
healthy() { [ "$(docker container inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null)" = healthy ]; }
# host_port CONTAINER PORT: the host port Docker publishes PORT on (empty if none)
host_port() { docker port "$1" "$2/tcp" 2>/dev/null | sed -n '1s/.*://p'; }
# replica_at URL: the vote replica that answered a GET of URL, from its Container-Id header (the
# footer's "Processed by container ID" in every page language); nothing if none answered
replica_at() {
  curl -sS --fail --max-time 5 -o /dev/null -D - "$1" 2>/dev/null |
    tr -d '\r' | awk 'tolower($1) == "container-id:" { print $2 }'
}
# redis_in CONTAINER ARGS...: redis-cli inside a Redis container, its answer without decoration
redis_in() { docker exec "$1" redis-cli --raw "${@:2}" 2>/dev/null; }
# sql_in CONTAINER QUERY: one value from PostgreSQL, with the image's default user
sql_in() { docker exec "$1" psql -U postgres -d postgres -tAc "$2" 2>/dev/null; }
# wait_until SECONDS COMMAND...: true as soon as COMMAND is, false after SECONDS
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
