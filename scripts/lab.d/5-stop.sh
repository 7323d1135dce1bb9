# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 5 (sourced by scripts/lab): docker stop of every service is prompt.

title "5. docker stop: every service stops at once (Docker would SIGKILL after 10 s)"
for s in lb counter vote worker result redis counter-redis db; do
    c=$(cid "$s")
    printf '$ docker stop %s\n' "$(docker inspect -f '{{.Name}}' "$c" | sed 's,^/,,')"
    if took=$(stop_timed "$c" 0 2>&1); then
        ok "docker stop $s: $took"
    else
        bad "docker stop $s: $took (wanted under 5000 ms and exit code 0)"
    fi
done
