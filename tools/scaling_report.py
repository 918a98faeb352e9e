#!/usr/bin/python3
"""scaling_report: launch a strong/weak scaling series of `dashi truth` and report it.

  scaling_report.py launch --mode strong --ranks 1,2,4 --N 256 --steps 200 --root DIR
        runs every point locally through mpiexec (one directory per point: point.json, dashi.log
        with -log_view), then writes the report. On a cluster, jobs/scaling.sbatch produces the
        same directory layout as a job array.
  scaling_report.py report DIR [--mode strong|weak] [--no-plot]
        reads every DIR/**/dashi*.log (and point.json beside it), writes DIR/scaling.csv,
        DIR/scaling.md (printed) and DIR/scaling.png.

Per point: ms/step from dashi's summary line ("... (X ms/step, ...)"), and from -log_view the
per-step times of the events DashiRHS, DashiFFT, DashiTranspose in the stage "LES steps" (max over
ranks; all stages summed when that stage is absent; an event missing from a -log_view table, e.g.
DashiTranspose on one rank, counts as zero), and with -backend vulkan the GPU time per step of the
busiest rank (gpu_ms: the "GPU total" of the GPU stage table that -log_view adds; PETSc's events
time the host there, which records commands and waits for the GPU at read-backs). Repeated logs of
one point: the fastest.

  strong (fixed N):  speed-up S = t(P0)/t(P),  efficiency = S P0/P
  weak (N^2/P ~ const):  efficiency = [N^2/(P t)] / [N0^2/(P0 t0)],  speed-up = efficiency P/P0
  transpose share = DashiTranspose ms/step / ms/step
with P0 the smallest rank count of the series (per backend, and per N for strong).

Exit status: 0 success; 1 some point failed or has no timing (the table is still written, the
failed logs are named); 2 bad input (no logs, unreadable file, bad arguments)."""
import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from dashi_tool import ToolError, write_csv

EVENTS = ("DashiRHS", "DashiFFT", "DashiTranspose")
STEP_STAGE = "LES steps"
COLUMNS = ("mode", "backend", "ranks", "gpus", "N", "steps", "ms_per_step", "speedup", "efficiency",
           "rhs_ms", "fft_ms", "transpose_ms", "transpose_share", "gpu_ms", "log")

HEADER_RE = re.compile(r"^dashi (\w+): N=(\d+), (\d+) rank\(s\), backend (\w+) \((\w+)\)")
SUMMARY_RE = re.compile(r"finished: (\d+) steps in .*?\(([0-9.eE+-]+) ms/step.*on (\d+) rank\(s\)")
STAGE_RE = re.compile(r"^--- Event Stage (\d+): (.+?)\s*$")
EVENT_RE = re.compile(r"^(Dashi\w+)\s+(\d+)\s+[0-9.]+\s+([0-9.]+e[+-]\d+)\s")
# the GPU stage table's total (src/app/gpu_log.c): time (s), ratio, ms/step, 100.0
GPU_TOTAL_RE = re.compile(r"^GPU total\s+([0-9.]+e[+-]\d+)\s+([0-9.]+)\s+([0-9.]+)\s+100\.0\s*$")


def weak_n(n0, p0, p):
    """N of a weak-scaling point: N0 sqrt(P/P0) rounded to the nearest multiple of 2P (the slab
    decomposition needs N/2 divisible by P), at least 2P. jobs/scaling.sbatch uses the same rule."""
    m = 2 * p
    return max(1, int(math.floor(n0 * math.sqrt(p / p0) / m + 0.5))) * m


def parse_log(path):
    """Timing of one dashi log: dict with N, ranks, backend, steps, ms_per_step, and the per-step
    milliseconds of each event (None where absent). ms_per_step is None when the run did not finish."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as e:
        raise ToolError(f"{path}: cannot read ({e.strerror or e})") from None
    out = dict(N=None, ranks=None, backend=None, precision=None, steps=None, ms_per_step=None,
               gpu_ms=None)
    stages, stage = {}, None
    for line in text.splitlines():
        m = HEADER_RE.match(line)
        if m and out["N"] is None:
            out.update(N=int(m.group(2)), ranks=int(m.group(3)), backend=m.group(4), precision=m.group(5))
            continue
        m = SUMMARY_RE.search(line)
        if m:
            out.update(steps=int(m.group(1)), ms_per_step=float(m.group(2)), ranks=int(m.group(3)))
            continue
        m = GPU_TOTAL_RE.match(line)
        if m:
            out["gpu_ms"] = float(m.group(3))
            continue
        m = STAGE_RE.match(line)
        if m:
            stage = m.group(2)
            continue
        m = EVENT_RE.match(line)
        if m and stage is not None:
            stages.setdefault(stage, {})
            stages[stage][m.group(1)] = stages[stage].get(m.group(1), 0.0) + float(m.group(3))
    chosen = stages.get(STEP_STAGE)
    if chosen is None and stages:
        chosen = {}
        for ev in stages.values():
            for k, v in ev.items():
                chosen[k] = chosen.get(k, 0.0) + v
    steps = out["steps"]
    for ev, key in zip(EVENTS, ("rhs_ms", "fft_ms", "transpose_ms")):
        # with -log_view, an event that never ran is absent from the table: zero time (e.g.
        # DashiTranspose on one rank); without -log_view the time is unknown
        t = (chosen or {}).get(ev, 0.0 if stages else None)
        out[key] = 1e3 * t / steps if t is not None and steps else None
    out["log_view"] = bool(stages)
    return out


def find_logs(root):
    root = Path(root)
    if not root.is_dir():
        raise ToolError(f"{root}: not a directory (give the scaling root that holds one directory per point)")
    logs = sorted(p for p in root.rglob("dashi*.log") if p.is_file())
    if not logs:
        raise ToolError(f"{root}: no dashi*.log below it: run the series first (scaling_report.py launch, "
                        "or jobs/scaling.sbatch)")
    return logs


def collect(root, mode_default):
    """One row per point (the fastest of its logs) and the list of logs without a timing."""
    points, failed = {}, []
    for log in find_logs(root):
        info = parse_log(log)
        meta = {}
        pj = log.parent / "point.json"
        if pj.is_file():
            try:
                meta = json.loads(pj.read_text())
            except (OSError, ValueError) as e:
                raise ToolError(f"{pj}: not valid JSON ({e})") from None
        row = dict(mode=meta.get("mode", mode_default),
                   backend=info["backend"] or meta.get("backend"),
                   ranks=info["ranks"] or meta.get("ranks"), N=info["N"] or meta.get("N"),
                   steps=info["steps"] or meta.get("steps"), ms_per_step=info["ms_per_step"],
                   rhs_ms=info["rhs_ms"], fft_ms=info["fft_ms"], transpose_ms=info["transpose_ms"],
                   gpu_ms=info["gpu_ms"], log=os.path.relpath(log, root))
        if row["mode"] not in ("strong", "weak"):
            raise ToolError(f"{pj}: mode '{row['mode']}' is neither strong nor weak")
        row["gpus"] = meta.get("gpus", row["ranks"] if row["backend"] == "vulkan" else 0)
        if row["ms_per_step"] is None or row["ranks"] is None or row["N"] is None:
            failed.append(str(log))
            row["ms_per_step"] = None
        key = (row["mode"], row["backend"], row["ranks"], row["N"])
        best = points.get(key)
        if best is None or (row["ms_per_step"] is not None and
                            (best["ms_per_step"] is None or row["ms_per_step"] < best["ms_per_step"])):
            points[key] = row
    rows = sorted(points.values(), key=lambda r: (r["mode"], str(r["backend"]), r["N"] if r["mode"] == "strong" else 0,
                                                   r["ranks"] or 0))
    return rows, failed


def derive(rows):
    """speed-up, efficiency and transpose share, per series."""
    series = {}
    for r in rows:
        key = (r["mode"], r["backend"], r["N"] if r["mode"] == "strong" else None)
        series.setdefault(key, []).append(r)
    for (mode, _, _), rs in series.items():
        ok = [r for r in rs if r["ms_per_step"]]
        base = min(ok, key=lambda r: r["ranks"]) if ok else None
        for r in rs:
            r["speedup"] = r["efficiency"] = None
            t = r["ms_per_step"]
            tr = r["transpose_ms"]
            r["transpose_share"] = tr / t if t and tr is not None else None
            if not t or base is None:
                continue
            p0, t0, p = base["ranks"], base["ms_per_step"], r["ranks"]
            if mode == "strong":
                r["speedup"] = t0 / t
                r["efficiency"] = r["speedup"] * p0 / p
            else:
                r["efficiency"] = (r["N"] ** 2 / (p * t)) / (base["N"] ** 2 / (p0 * t0))
                r["speedup"] = r["efficiency"] * p / p0
    return rows


def fmt(v, nd=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v)


def write_tables(rows, root):
    csv_path, md_path = Path(root) / "scaling.csv", Path(root) / "scaling.md"
    try:
        write_csv(csv_path, COLUMNS, rows)
        lines = ["| " + " | ".join(COLUMNS[:-1]) + " |", "|" + "---|" * (len(COLUMNS) - 1)]
        for r in rows:
            lines.append("| " + " | ".join(fmt(r.get(c), 4 if c == "ms_per_step" else 3) for c in COLUMNS[:-1]) + " |")
        md = "\n".join(lines) + "\n"
        md_path.write_text(md)
    except OSError as e:
        raise ToolError(f"cannot write the report in {root} ({e.strerror or e})") from None
    return csv_path, md_path, md


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(14, 4.2))
    series = {}
    for r in rows:
        if r["ms_per_step"]:
            key = (r["mode"], r["backend"], r["N"] if r["mode"] == "strong" else None)
            series.setdefault(key, []).append(r)
    for (mode, backend, n), rs in sorted(series.items(), key=lambda kv: str(kv[0])):
        rs = sorted(rs, key=lambda r: r["ranks"])
        p = [r["ranks"] for r in rs]
        label = f"{mode} {backend}" + (f" N={n}" if n else " (N grows)")
        line, = a1.loglog(p, [r["ms_per_step"] for r in rs], "o-", label=label)
        if mode == "strong":  # ideal: t0 P0/P
            a1.loglog(p, [rs[0]["ms_per_step"] * p[0] / q for q in p], ":", color=line.get_color())
        else:
            a1.loglog(p, [rs[0]["ms_per_step"] * (r["N"] / rs[0]["N"]) ** 2 * p[0] / r["ranks"] for r in rs],
                      ":", color=line.get_color())
        a2.semilogx(p, [r["efficiency"] for r in rs], "o-", color=line.get_color(), label=label)
        a3.semilogx(p, [r["transpose_share"] if r["transpose_share"] is not None else float("nan") for r in rs],
                    "s-", color=line.get_color(), label=label)
    a1.set(xlabel="ranks", ylabel="ms / step", title="time per step (dotted: ideal)")
    a2.set(xlabel="ranks", ylabel="parallel efficiency", title="efficiency", ylim=(0, 1.15))
    a2.axhline(1.0, color="gray", lw=0.8)
    a3.set(xlabel="ranks", ylabel="DashiTranspose / step time", title="transpose share", ylim=(0, 1))
    ticks = sorted({r["ranks"] for r in rows if r["ms_per_step"]})
    for a in (a1, a2, a3):
        a.set_xscale("log", base=2)
        a.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        if ticks:
            a.set_xticks(ticks)
            a.set_xticklabels([str(t) for t in ticks])
        a.grid(True, which="both", alpha=0.3)
    a1.legend(fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    except OSError as e:
        raise ToolError(f"{path}: cannot write ({e.strerror or e})") from None
    finally:
        plt.close(fig)
    return path


def report(root, mode="strong", make_plot=True):
    rows, failed = collect(root, mode)
    derive(rows)
    csv_path, md_path, md = write_tables(rows, root)
    print(md, end="")
    print(csv_path)
    print(md_path)
    if make_plot:
        print(plot(rows, Path(root) / "scaling.png"))
    if failed:
        print("scaling_report: error: no timing (run failed or unfinished) in: " + ", ".join(failed) +
              "; see the end of each log", file=sys.stderr)
        return 1
    return 0


def launch(args):
    ranks = [int(x) for x in args.ranks.split(",") if x.strip()]
    if not ranks or min(ranks) < 1:
        raise ToolError(f"--ranks '{args.ranks}' is not a comma-separated list of positive rank counts")
    dashi = args.dashi or os.environ.get("DASHI_BIN")
    if not dashi or not os.access(dashi, os.X_OK):
        raise ToolError(f"dashi executable not found ('{dashi}'): give --dashi PATH or set DASHI_BIN")
    mpiexec = shlex.split(args.mpiexec or os.environ.get("DASHI_MPIEXEC") or "mpiexec")
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    rc_all = 0
    for p in ranks:
        n = args.N if args.mode == "strong" else weak_n(args.N, ranks[0], p)
        d = root / f"{args.mode}_{args.backend}_N{n}_P{p}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "point.json").write_text(json.dumps(dict(
            format="dashi-scaling-point-1", mode=args.mode, backend=args.backend, ranks=p,
            gpus=p if args.backend == "vulkan" else 0, N=n, steps=args.steps)) + "\n")
        for k in range(args.repeat):
            cmd = [*mpiexec, *(["--oversubscribe"] if args.oversubscribe else []), "-n", str(p), dashi, "truth",
                   "-backend", args.backend, "-N", str(n), "-steps", str(args.steps), "-snapshot_every", "0",
                   "-spectra_every", "0", "-checkpoint_every", "0", "-progress_every", "0",
                   "-stats_every", str(args.steps), *shlex.split(args.extra), "-out", str(d / "run"),
                   "-force", "-log_view"]
            log = d / (f"dashi-r{k}.log" if args.repeat > 1 else "dashi.log")
            print(f"scaling_report: P={p} N={n} run {k + 1}/{args.repeat}: {' '.join(cmd)}", flush=True)
            with open(log, "w") as f:
                f.write("# " + " ".join(cmd) + "\n")
                f.flush()
                r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
            if r.returncode:
                print(f"scaling_report: P={p} failed with exit status {r.returncode}: see {log}", file=sys.stderr)
                rc_all = 1
    rc = report(root, args.mode, not args.no_plot)
    return rc or rc_all


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    la = sub.add_parser("launch", help="run a series locally through mpiexec, then report")
    la.add_argument("--mode", choices=("strong", "weak"), default="strong")
    la.add_argument("--ranks", default="1,2", help="comma-separated rank counts (default 1,2)")
    la.add_argument("--N", type=int, default=256, help="strong: N of every point; weak: N at the first point")
    la.add_argument("--steps", type=int, default=200)
    la.add_argument("--repeat", type=int, default=1, help="runs per point (the fastest counts)")
    la.add_argument("--backend", default="cpu", choices=("cpu", "vulkan"))
    la.add_argument("--root", required=True, help="series directory (one subdirectory per point)")
    la.add_argument("--dashi", help="dashi executable (default: $DASHI_BIN)")
    la.add_argument("--mpiexec", help="launcher command (default: $DASHI_MPIEXEC or mpiexec)")
    la.add_argument("--oversubscribe", action="store_true", help="pass --oversubscribe (Open MPI)")
    la.add_argument("--extra", default="", help="extra dashi options for every point, one string")
    la.add_argument("--no-plot", action="store_true")
    re_ = sub.add_parser("report", help="table and plot of an existing series directory")
    re_.add_argument("root")
    re_.add_argument("--mode", choices=("strong", "weak"), default="strong",
                     help="mode of logs without a point.json (default strong)")
    re_.add_argument("--no-plot", action="store_true")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "launch":
            if a.steps < 1 or a.repeat < 1 or a.N < 2:
                raise ToolError("--steps and --repeat must be positive and --N at least 2")
            return launch(a)
        return report(a.root, a.mode, not a.no_plot)
    except ToolError as e:
        print(f"scaling_report: error: {e}", file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
