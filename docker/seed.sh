#!/usr/bin/env bash
# Seeds the voting app: SEED_VOTES votes (default 100) posted to the vote service over HTTP,
# each from its own voter (cookie voter_id=seed-<run>-<n>), about SEED_A_PERCENT (60) % for
# option a. Bounded in count and time; exits non-zero if a vote was not recorded (2xx: a client
# that does not ask for HTML gets a line of text, not the browser's 303).
# Pure bash (/dev/tcp): the image needs no curl. Placeholder for the project's loadgen binary.
set -euo pipefail

host=${SEED_HOST:-vote}
port=${SEED_PORT:-80}
votes=${SEED_VOTES:-100}
a_percent=${SEED_A_PERCENT:-60}
run=${SEED_RUN:-$(printf '%04x%04x' $RANDOM $RANDOM)}

case "$votes$a_percent" in *[!0-9]*) echo "seed: SEED_VOTES and SEED_A_PERCENT must be numbers" >&2; exit 2 ;; esac
[ "$votes" -le 100000 ] || { echo "seed: at most 100000 votes" >&2; exit 2; }

# one POST; prints the HTTP status code
post_vote() { # voter choice
    local body="vote=$2" status
    exec 3<>"/dev/tcp/$host/$port" || return 1
    printf 'POST / HTTP/1.1\r\nHost: %s\r\nCookie: voter_id=%s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$host" "$1" "${#body}" "$body" >&3
    IFS=' ' read -r -t 10 _ status _ <&3 || status=none
    exec 3<&- 3>&-
    echo "$status"
}

# wait (at most 60 s) until vote answers
for i in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then break; fi
    [ "$i" -lt 120 ] || { echo "seed: $host:$port does not answer" >&2; exit 1; }
    sleep 0.5
done

a=0 b=0 failed=0
for n in $(seq 1 "$votes"); do
    # an even, deterministic spread: after n votes, floor(n * a_percent / 100) of them are for a
    if [ $((n * a_percent / 100)) -gt $(((n - 1) * a_percent / 100)) ]; then choice=a; else choice=b; fi
    status=$(post_vote "seed-$run-$n" "$choice" 2>/dev/null || echo none)
    if [[ "$status" == 2[0-9][0-9] ]]; then
        if [ "$choice" = a ]; then a=$((a + 1)); else b=$((b + 1)); fi
    else
        failed=$((failed + 1))
        [ "$failed" -gt 10 ] || echo "seed: vote $n answered $status" >&2
    fi
done
echo "seed: $((a + b)) votes recorded by http://$host:$port (a: $a, b: $b), $failed failed"
[ "$failed" = 0 ]
