# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 4 (sourced by scripts/lab): compose down / up keeps the named volumes, down -v removes them.

title "4. compose down / up keeps the named volumes (also with docker-compose 1.29); down -v removes them"
run compose down
use_volumes
run compose up -d
check "every service healthy" wait_healthy 90 counter-redis redis db counter vote worker result lb
check "back on the named volumes: the votes of step 3a are there (a=$named_a b=$named_b)" \
    wait_results "$named_a" "$named_b"
n=$(visits "$COUNTER_PORT" 1); echo "$n" | indent
check "back on the named volumes: the count of step 3a goes on ($((named_count + 1)))" eq "$n" "$((named_count + 1))"
checkpoint_passes 5 es
read -r a b < <(scores)
count=$n
note "before down: a=$a b=$b, count $count"
sleep 1.5
run compose down
run docker volume ls --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Name}}'
check "after compose down: the 3 named volumes are still there" eq \
    "$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)" 3
note "up again with docker-compose 1.29, which Debian 12 still ships: the same file, images and volumes"
with_compose_v1 run compose up -d
check "every service healthy" wait_healthy 90 counter-redis redis db counter vote worker result lb
check "after down + up: the votes are kept (a=$a b=$b)" wait_results "$a" "$b"
n=$(visits "$COUNTER_PORT" 1); echo "$n" | indent
check "after down + up: the count goes on ($((count + 1)))" eq "$n" "$((count + 1))"
checkpoint_passes 7 en
with_compose_v1 run compose down
run compose down -v
check "after compose down -v: no volume of the project is left" eq \
    "$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)" 0
run compose up -d
check "every service healthy" wait_healthy 90 counter-redis redis db counter vote worker result lb
check "after down -v + up: no votes (a=0 b=0)" wait_results 0 0
n=$(visits "$COUNTER_PORT" 1); echo "$n" | indent
check "after down -v + up: the count starts at 1" eq "$n" 1
checkpoint_passes 8 es

