#!/usr/bin/python3
"""sweep_summary: one table of every task of a sweep (jobs/sweep.sbatch, jobs/submit_sweep.sh).

  sweep_summary.py SWEEP_ROOT [--table FILE] [--csv OUT] [--require-complete]

Sources, all under SWEEP_ROOT:
  manifest.json          dashi's output-root manifest: one entry per run directory (status, step,
                         time, command, parameters; docs/file-formats.md)
  NAME/sweep_task.json   written by sweep.sbatch: task index, name, the table row's options
  NAME/truth.h5          final record of /diagnostics (E, Z, max_omega, cfl) when present
  sweep_table.tsv        the table as submitted (or --table): tasks that never ran show as missing
A manifest entry may carry a "results" object (e.g. proxy scores); its numbers become columns
results.KEY. Columns: task, name, status, the swept options, step, time, command, N, dt, nu0,
ranks, final E/Z/max_omega/cfl, results.*, run_dir.

Writes SWEEP_ROOT/sweep_summary.csv (or --csv) and prints a markdown table. Tasks that are missing,
failed or interrupted are listed on stderr. Exit status: 0; 1 with --require-complete when a task
is not completed; 2 bad input (no manifest, unreadable files)."""
import argparse
import json
import math
import sys
from pathlib import Path

from dashi_tool import ToolError, write_csv

PARAMS = ("N", "dt", "nu0", "ranks")
DIAG = ("E", "Z", "max_omega", "cfl")


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except OSError as e:
        raise ToolError(f"{path}: cannot read ({e.strerror or e})") from None
    except ValueError as e:
        raise ToolError(f"{path}: not valid JSON ({e})") from None


def table_names(path):
    """Task names of a sweep table in row order (same rules as jobs/lib/sweep_table.sh)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise ToolError(f"{path}: cannot read ({e.strerror or e})") from None
    rows = [ln.split() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if len(rows) < 2:
        raise ToolError(f"{path}: needs a header line and at least one row")
    header = [h.lstrip("-") for h in rows[0]]
    names, options = [], []
    for i, r in enumerate(rows[1:]):
        if len(r) != len(header):
            raise ToolError(f"{path}: row {i} has {len(r)} columns but the header has {len(header)}")
        has_name = header[0] == "name"
        names.append(r[0] if has_name else f"task_{i:04d}")
        options.append(dict(zip(header[1:] if has_name else header, r[1:] if has_name else r)))
    return names, options


def final_diagnostics(truth):
    """Last /diagnostics record of a truth file, {} when the file or h5py is unavailable."""
    if not truth.is_file():
        return {}
    import h5py

    try:
        with h5py.File(truth, "r") as f:
            g = f.get("diagnostics")
            if g is None or "step" not in g or g["step"].shape[0] == 0:
                return {}
            return {k: float(g[k][-1]) for k in DIAG if k in g and g[k].shape[0]}
    except OSError as e:
        raise ToolError(f"{truth}: cannot read ({e})") from None


def flatten(prefix, obj, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(f"{prefix}.{k}", v, out)
    elif isinstance(obj, (int, float, str)) and not isinstance(obj, bool):
        out[prefix] = obj
    elif isinstance(obj, bool):
        out[prefix] = int(obj)


def collect(root, table=None):
    root = Path(root).resolve()
    mpath = root / "manifest.json"
    if not mpath.is_file():
        raise ToolError(f"{mpath} not found: give the sweep root (the -out parent of every task; "
                        "DASHI_SWEEP_ROOT of jobs/sweep.sbatch)")
    manifest = load_json(mpath)
    runs = manifest.get("runs")
    if not isinstance(runs, list):
        raise ToolError(f"{mpath}: no 'runs' list (format {manifest.get('format')!r})")
    by_dir = {}
    for e in runs:
        rd = (e.get("paths") or {}).get("run_dir") or e.get("id")
        if rd:
            by_dir[Path(rd).resolve()] = e
    tasks = {}
    for tj in sorted(root.glob("*/sweep_task.json")):
        t = load_json(tj)
        tasks[tj.parent.resolve()] = t
    if table is None and (root / "sweep_table.tsv").is_file():
        table = root / "sweep_table.tsv"
    expected = {}
    if table is not None:
        names, options = table_names(table)
        for i, (n, o) in enumerate(zip(names, options)):
            expected[(root / n).resolve()] = dict(task=i, name=n, options=o)
    dirs = sorted(set(by_dir) | set(tasks) | set(expected),
                  key=lambda d: ((tasks.get(d) or expected.get(d) or {}).get("task", 1 << 30), str(d)))
    rows, option_keys, result_keys = [], [], []
    for d in dirs:
        t = tasks.get(d) or expected.get(d) or {}
        e = by_dir.get(d)
        row = dict(task=t.get("task"), name=t.get("name", d.name),
                   status=e.get("status") if e else ("missing" if not (d / "truth.h5").exists() else "no manifest entry"),
                   run_dir=str(d))
        for k, v in (t.get("options") or {}).items():
            row[f"-{k}"] = v
            if f"-{k}" not in option_keys:
                option_keys.append(f"-{k}")
        if e:
            row.update(step=e.get("step"), time=e.get("time"), command=e.get("command"))
            p = e.get("parameters") or {}
            for k in PARAMS:
                row[k] = p.get(k)
            res = {}
            flatten("results", e.get("results") or {}, res)
            for k in res:
                if k not in result_keys:
                    result_keys.append(k)
            row.update(res)
        truth_rel = ((e or {}).get("paths") or {}).get("truth", "truth.h5")
        for k, v in final_diagnostics(d / truth_rel).items():
            row[f"final_{k}"] = v
        rows.append(row)
    columns = (["task", "name", "status"] + option_keys + ["step", "time", "command"] + list(PARAMS) +
               [f"final_{k}" for k in DIAG] + result_keys + ["run_dir"])
    return rows, columns


def cell(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.6g}"
    return str(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", help="sweep root (holds manifest.json and one directory per task)")
    ap.add_argument("--table", help="the sweep's parameter table (default ROOT/sweep_table.tsv if present)")
    ap.add_argument("--csv", help="CSV output (default ROOT/sweep_summary.csv)")
    ap.add_argument("--require-complete", action="store_true",
                    help="exit 1 unless every task's status is 'completed'")
    a = ap.parse_args(argv)
    try:
        rows, columns = collect(a.root, a.table)
        out = Path(a.csv) if a.csv else Path(a.root) / "sweep_summary.csv"
        try:
            write_csv(out, columns, rows)
        except OSError as e:
            raise ToolError(f"{out}: cannot write ({e.strerror or e})") from None
        shown = [c for c in columns if c != "run_dir"]
        print("| " + " | ".join(shown) + " |")
        print("|" + "---|" * len(shown))
        for r in rows:
            print("| " + " | ".join(cell(r.get(c)) for c in shown) + " |")
        print(out)
        bad = [r for r in rows if r["status"] != "completed"]
        for r in bad:
            print(f"sweep_summary: task {cell(r['task'])} ({r['name']}): {r['status']} ({r['run_dir']})",
                  file=sys.stderr)
        if bad and a.require_complete:
            print(f"sweep_summary: error: {len(bad)} of {len(rows)} task(s) not completed", file=sys.stderr)
            return 1
        return 0
    except ToolError as e:
        print(f"sweep_summary: error: {e}", file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
