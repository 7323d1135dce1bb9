# shellcheck shell=bash
# Step 10 (sourced by scripts/lab): the partial failures of scripts/failure-lesson, on the lab
# path C left running (3 vote and 3 worker replicas): PostgreSQL and then Redis cut off the
# network, a worker frozen with a batch in hand; each under votes, with 0 acknowledged votes
# lost and 0 voters wrong, and the queue empty again afterwards.

title "10. partial failures: a partition of db, of redis, a stalled worker (scripts/failure-lesson)"
t10=$(now_ms)

failure_lesson --partition db --seconds 8
check "--partition db: 8 s cut off, 0 lost, 0 wrong, the queue empty again" partial_passed
failure_lesson --partition redis --seconds 5
check "--partition redis: 5 s cut off, 0 lost, 0 wrong, the queue empty again" partial_passed
failure_lesson --stall-worker
check "--stall-worker: its batch recovered by another worker and applied twice, 0 lost, 0 wrong" partial_passed
check "... and the report says another worker recovered it" run_said 'otro worker recuperó ese lote'
note "step 10 took $(secs_since "$t10") s"
