# shellcheck shell=bash
# Parameter tables of jobs/sweep.sbatch; sourced, never run (needs dashi_die from dashi_job.sh).
#
# Format: whitespace-separated columns; blank lines and lines whose first non-blank character is
# '#' are ignored. The first remaining line is the header: dashi option names (a leading '-' is
# optional) and optionally a first column `name` (the task's run directory name; default
# task_IIII with IIII the row index). Every other line is one task, row index 0, 1, ... in order.
# Values cannot contain blanks, quotes or backslashes. Options the sweep sets itself (out, resume,
# restart, force) cannot be columns. Names must be unique (each task owns its run directory).

DASHI_SWEEP_RESERVED=" out resume restart force "

# the table's meaningful lines, each prefixed by its line number: "LINENO<TAB>text"
dashi_sweep_lines() {
  awk '{ sub(/\r$/, ""); t = $0; sub(/^[ \t]+/, "", t); if (t == "" || substr(t, 1, 1) == "#") next;
         printf "%d\t%s\n", NR, t }' "$1"
}

# dashi_sweep_parse TABLE: fills DASHI_SWEEP_HEADER (option names, no dash), DASHI_SWEEP_HAS_NAME,
# DASHI_SWEEP_NAMES (one per row) and DASHI_SWEEP_ROWS (the row texts); dies on any malformed line
dashi_sweep_parse() {
  local table="$1"
  [ -r "$table" ] || dashi_die "parameter table $table cannot be read (DASHI_SWEEP_TABLE)"
  local lines=() ln text
  mapfile -t lines < <(dashi_sweep_lines "$table")
  [ "${#lines[@]}" -ge 2 ] || dashi_die "parameter table $table needs a header line and at least one row (found ${#lines[@]} non-comment line(s))"
  IFS=$'\t' read -r ln text <<<"${lines[0]}"
  local hdr=()
  read -ra hdr <<<"$text"
  DASHI_SWEEP_HAS_NAME=0
  DASHI_SWEEP_HEADER=()
  local i h
  for i in "${!hdr[@]}"; do
    h="${hdr[$i]#-}"
    if [ "$i" -eq 0 ] && [ "$h" = name ]; then DASHI_SWEEP_HAS_NAME=1; continue; fi
    [[ "$h" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || dashi_die "$table:$ln: header column '${hdr[$i]}' is not a dashi option name"
    [[ "$DASHI_SWEEP_RESERVED" == *" $h "* ]] && dashi_die "$table:$ln: column '$h' is set by the sweep itself (-out SWEEP_ROOT/NAME -resume auto); remove it"
    [ "$h" = name ] && dashi_die "$table:$ln: 'name' must be the first column"
    DASHI_SWEEP_HEADER+=("$h")
  done
  [ "${#DASHI_SWEEP_HEADER[@]}" -ge 1 ] || dashi_die "$table:$ln: the header names no dashi option"
  DASHI_SWEEP_ROWS=()
  DASHI_SWEEP_NAMES=()
  local r=0 f=() name seen=" "
  for text in "${lines[@]:1}"; do
    IFS=$'\t' read -r ln text <<<"$text"
    read -ra f <<<"$text"
    [ "${#f[@]}" -eq "${#hdr[@]}" ] || dashi_die "$table:$ln: row has ${#f[@]} column(s) but the header has ${#hdr[@]}"
    [[ "$text" == *[\"\\]* ]] && dashi_die "$table:$ln: values cannot contain quotes or backslashes"
    if [ "$DASHI_SWEEP_HAS_NAME" = 1 ]; then name="${f[0]}"; else name=$(printf 'task_%04d' "$r"); fi
    if ! [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || [ "$name" = . ] || [ "$name" = .. ]; then
      dashi_die "$table:$ln: task name '$name' is not a plain directory name ([A-Za-z0-9._-])"
    fi
    [[ "$seen" == *" $name "* ]] && dashi_die "$table:$ln: task name '$name' is used twice (each task needs its own run directory)"
    seen+="$name "
    DASHI_SWEEP_NAMES+=("$name")
    DASHI_SWEEP_ROWS+=("$text")
    r=$((r + 1))
  done
}

# dashi_sweep_row TABLE INDEX: sets DASHI_ROW_NAME and the array DASHI_ROW_OPTS (-opt value ...)
dashi_sweep_row() {
  local table="$1" idx="$2"
  [[ "$idx" =~ ^[0-9]+$ ]] || dashi_die "sweep task index '$idx' is not a non-negative integer"
  dashi_sweep_parse "$table"
  local n="${#DASHI_SWEEP_ROWS[@]}"
  [ "$idx" -lt "$n" ] || dashi_die "sweep task $idx, but $table has only $n row(s) (tasks 0..$((n - 1))): submit with --array=0-$((n - 1)) (jobs/submit_sweep.sh does)"
  local f=()
  read -ra f <<<"${DASHI_SWEEP_ROWS[$idx]}"
  [ "$DASHI_SWEEP_HAS_NAME" = 1 ] && f=("${f[@]:1}")
  DASHI_ROW_NAME="${DASHI_SWEEP_NAMES[$idx]}"
  DASHI_ROW_OPTS=()
  local i
  for i in "${!DASHI_SWEEP_HEADER[@]}"; do DASHI_ROW_OPTS+=("-${DASHI_SWEEP_HEADER[$i]}" "${f[$i]}"); done
}

# dashi_sweep_task_json TABLE INDEX: the task description written to RUN_DIR/sweep_task.json
dashi_sweep_task_json() {
  local table="$1" idx="$2" abs
  dashi_sweep_row "$table" "$idx"
  abs="$(cd "$(dirname "$table")" && pwd)/$(basename "$table")"
  printf '{\n  "format": "dashi-sweep-task-1",\n  "task": %d,\n  "name": "%s",\n  "table": "%s",\n' \
    "$idx" "$DASHI_ROW_NAME" "$abs"
  printf '  "command": "%s",\n  "slurm_job": "%s",\n  "options": {' "${DASHI_CMD:-}" \
    "${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-}}${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}"
  local i sep=""
  for ((i = 0; i < ${#DASHI_ROW_OPTS[@]}; i += 2)); do
    printf '%s\n    "%s": "%s"' "$sep" "${DASHI_ROW_OPTS[$i]#-}" "${DASHI_ROW_OPTS[$((i + 1))]}"
    sep=","
  done
  printf '\n  }\n}\n'
}

# number of data rows (for --array=0-(rows-1))
dashi_sweep_count() {
  dashi_sweep_parse "$1"
  echo "${#DASHI_SWEEP_ROWS[@]}"
}
