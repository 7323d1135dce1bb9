# shellcheck shell=bash
# Checked alone, a sourced file sees neither the variables it reads from scripts/lab and the
# earlier steps nor the ones it sets for the later steps: `shellcheck -x scripts/lab` sees all.
# shellcheck disable=SC2034,SC2154
# Step 10 (sourced by scripts/lab): the partial failures of scripts/failure-lesson, on the lab
# path C left running (3 vote and 3 worker replicas): PostgreSQL and then Redis cut off the
# network, a worker frozen with a batch in hand; each under votes, with 0 acknowledged votes
# lost and 0 voters wrong, and the queue empty again afterwards.

title "10. partial failures: a partition of db, of redis, a stalled worker (scripts/failure-lesson)"
t10=$(now_ms)
# partial_passed: the last lesson's report: nothing lost or wrong, the queue recovered, passed
partial_passed() {
    lesson_says perdidos 0 && ! grep -q '^equivocados' "$tmp/run.out" &&
        grep -qE '^recuperado +en [0-9]+ s$' "$tmp/run.out" && grep -q "^Todo en orden" "$tmp/run.out"
}
# lesson OPTION...: scripts/failure-lesson OPTION... on the lab's project, in Spanish
lesson() { run env COMPOSE_PROJECT_NAME="$PROJECT" LAB_LANGUAGE=es scripts/failure-lesson "$@"; }

lesson --partition db --seconds 8
check "--partition db: 8 s cut off, 0 lost, 0 wrong, the queue empty again" partial_passed
lesson --partition redis --seconds 5
check "--partition redis: 5 s cut off, 0 lost, 0 wrong, the queue empty again" partial_passed
lesson --stall-worker
check "--stall-worker: its batch recovered by another worker and applied twice, 0 lost, 0 wrong" partial_passed
check "... and the report says another worker recovered it" grep -q 'otro worker recuperó ese lote' "$tmp/run.out"
note "step 10 took $(secs_since "$t10") s"
