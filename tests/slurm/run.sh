#!/usr/bin/env bash
# tests/slurm/run.sh — `make test-slurm`: the README's cluster recipe on a real (single-node)
# Slurm cluster. Root, Debian 12; sets the cluster up with ../shared/tools/slurm-single-node.sh
# (beside the clone), then:
#   1. a one-machine sweep of a small file (8 trials, a second or two each): the reference;
#   2. the same sweep as a 4-task array (`exec descent sweep ... --shard auto`, --jobs from
#      the allocation) with a dependent summary job (--dependency=afterany); task 2 is
#      cancelled (scancel) while its trial runs, so that summary job must refuse (exit 1,
#      naming the missing trial);
#   3. task 2 resubmitted with another dependent summary job: every trial has one row, its
#      log one line per epoch, and the summary (table and summary.csv) equals the reference;
# then stops the daemons it started (none it found running). Every wait has a timeout.
#
#   tests/slurm/run.sh [DESCENT]    DESCENT: the binary (default: ./descent of the repo)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
setup=$repo/../shared/tools/slurm-single-node.sh
descent=$(realpath "${1:-$repo/descent}")
[[ $(id -u) == 0 ]] || { echo "test-slurm: run as root (it sets up Slurm)" >&2; exit 2; }
[[ -x $setup ]] || [[ -f $setup ]] || { echo "test-slurm: no $setup" >&2; exit 2; }
[[ -x $descent ]] || { echo "test-slurm: no binary $descent (make first)" >&2; exit 2; }

work=$(mktemp -d /tmp/descent-slurm-XXXXXX)
jobs=()
started=0
fail() { echo "test-slurm: FAIL: $*" >&2; exit 1; }

cleanup() {
	for j in "${jobs[@]}"; do scancel "$j" 2>/dev/null || true; done
	if [[ $started == 1 ]]; then
		timeout 60 bash "$setup" stop || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# The daemons this test starts (and so stops): those not running before it.
if ! { [[ -s /run/slurmctld.pid ]] && kill -0 "$(cat /run/slurmctld.pid)" 2>/dev/null; }; then
	started=1
fi
timeout 600 bash "$setup" >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; fail "Slurm setup"; }

# A small sweep: 2 rates x 4 seeds, each trial a second or two on one core.
sweep_file='data d { train = blobs(20000, classes = 10, dim = 2)
 test = blobs(500, classes = 10, dim = 2) }
network n {
 dense(64)
 relu
 dense(10)
}
train t {
 network = n
 data = d
 optimizer = sgd(lr = 0.1)
 epochs = 30
}
sweep {
 optimizer.lr in [0.01, 0.1]
 seed in 1..4
}'
mkdir -p "$work/one" "$work/array"
printf '%s\n' "$sweep_file" >"$work/one/s.nn"
printf '%s\n' "$sweep_file" >"$work/array/s.nn"
ntrials=$("$descent" sweep "$work/one/s.nn" --list | tail -1 | cut -d' ' -f1)
[[ $ntrials == 8 ]] || fail "--list says $ntrials trials, not 8"

echo "test-slurm: the one-machine reference"
(cd "$work/one" && timeout 300 "$descent" sweep s.nn --quiet >ref.out) || fail "one-machine sweep"

# state JOB: the job's (or array task's) state, e.g. RUNNING, COMPLETED, CANCELLED.
state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
exit_code() { scontrol show job "$1" 2>/dev/null | grep -o ' ExitCode=[0-9:]*' | head -1 | cut -d= -f2; }
# wait_done JOB SECONDS: until no task of the job is pending or running.
wait_done() {
	local deadline=$((SECONDS + $2))
	while squeue -h -j "$1" 2>/dev/null | grep -q .; do
		((SECONDS < deadline)) || fail "job $1 still queued after $2 s"
		sleep 0.5
	done
}

cd "$work/array"
echo "test-slurm: a 4-task array and a dependent summary job"
array=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --time=10 -o 'task-%a.out' \
	--wrap "exec $descent sweep s.nn --quiet --jobs \"\${SLURM_CPUS_PER_TASK:-1}\" --shard auto")
jobs+=("$array")
summary=$(sbatch --parsable --dependency="afterany:$array" --time=5 -o summary-1.out \
	--wrap "exec $descent sweep s.nn --summary")
jobs+=("$summary")

# Cancel task 2 while its first trial (trial 2: shard 2/4 of 8 holds 2 and 6) trains.
deadline=$((SECONDS + 300))
until [[ $(state "${array}_2") == RUNNING && -s runs/s-sweep/trial-2.jsonl ]]; do
	((SECONDS < deadline)) || fail "task 2 never ran trial 2"
	sleep 0.2
done
scancel "${array}_2"
wait_done "$array" 600
wait_done "$summary" 120
[[ $(state "${array}_2") == CANCELLED ]] || fail "task 2 ended $(state "${array}_2"), not cancelled"
grep -q "runs the rest" task-2.out || fail "task 2 said no hint: $(cat task-2.out)"
grep -q -- "--shard 2/4" task-2.out || fail "the hint lacks --shard 2/4: $(cat task-2.out)"
[[ $(exit_code "$summary") == 1:0 ]] || fail "the summary of an incomplete sweep gave $(exit_code "$summary")"
grep -q "no row made with the current settings: 2" summary-1.out \
	|| fail "the refused summary names no missing trial: $(cat summary-1.out)"
[[ ! -e runs/s-sweep/summary.csv ]] || fail "summary.csv written with a trial missing"
echo "  task 2, cancelled:"; sed 's/^/    /' task-2.out
echo "  the first summary job:"; sed 's/^/    /' summary-1.out

echo "test-slurm: task 2 resubmitted, then the summary"
again=$(sbatch --parsable --array=2 --cpus-per-task=1 --time=10 -o 'again-%a.out' \
	--wrap "exec $descent sweep s.nn --quiet --shard \$SLURM_ARRAY_TASK_ID/4")
jobs+=("$again")
summary=$(sbatch --parsable --dependency="afterany:$again" --time=5 -o summary-2.out \
	--wrap "exec $descent sweep s.nn --summary")
jobs+=("$summary")
wait_done "$again" 600
wait_done "$summary" 120
[[ $(exit_code "$summary") == 0:0 ]] || fail "the summary gave $(exit_code "$summary"): $(cat summary-2.out)"

# Every trial once: one row each, and a log of one line per epoch (not two runs in one).
for t in $(seq 0 $((ntrials - 1))); do
	rows=$(grep -c "^$t," runs/s-sweep/results.csv || true)
	[[ $rows == 1 ]] || fail "trial $t has $rows rows"
	lines=$(wc -l <"runs/s-sweep/trial-$t.jsonl")
	[[ $lines == 30 ]] || fail "trial $t's log has $lines lines, not 30"
done
[[ $(($(wc -l <runs/s-sweep/results.csv) - 1)) == "$ntrials" ]] || fail "extra rows in results.csv"
diff -u "$work/one/ref.out" summary-2.out || fail "the cluster's table differs from one machine's"
cmp "$work/one/runs/s-sweep/summary.csv" runs/s-sweep/summary.csv \
	|| fail "summary.csv differs from one machine's"
echo "  the second summary job:"; sed 's/^/    /' summary-2.out
echo "test-slurm: ok (8 trials on a 4-task array, one cancelled and resubmitted; summary as one machine's)"
