#!/bin/bash
# Submit jobs/sweep.sbatch as a job array with one task per data row of a parameter table.
#   jobs/submit_sweep.sh TABLE SWEEP_ROOT [sbatch options...] [-- dashi options for every task]
# e.g. DASHI_CMD=run jobs/submit_sweep.sh jobs/sweep_example.tsv runs/sweep1 --time=02:00:00 -- -N 256
# Prints the array job id. Add --array-limit via sbatch's %: DASHI_ARRAY_LIMIT=4 limits running tasks.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
export DASHI_HOME="${DASHI_HOME:-$(dirname "$here")}"
# shellcheck source=lib/dashi_job.sh
. "$DASHI_HOME/jobs/lib/dashi_job.sh"
# shellcheck source=lib/sweep_table.sh
. "$DASHI_HOME/jobs/lib/sweep_table.sh"
[ $# -ge 2 ] || dashi_die "usage: $0 TABLE SWEEP_ROOT [sbatch options...] [-- dashi options]"
table="$1" root="$2"
shift 2
sb=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do sb+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
n=$(dashi_sweep_count "$table") || exit $?
mkdir -p "$root" || dashi_die "cannot create $root"
cp "$table" "$root/sweep_table.tsv" # the table as submitted, beside the results
export DASHI_SWEEP_TABLE="$root/sweep_table.tsv" DASHI_SWEEP_ROOT="$root"
array="0-$((n - 1))${DASHI_ARRAY_LIMIT:+%$DASHI_ARRAY_LIMIT}"
sbatch --parsable --array="$array" "${sb[@]}" "$DASHI_HOME/jobs/sweep.sbatch" "$@"
