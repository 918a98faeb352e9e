"""tools/scaling_report.py and tools/sweep_summary.py on small generated inputs (synthetic dashi logs
with -log_view tables; a synthetic sweep root with manifest, task files and truth files), plus one
tiny real series through mpiexec so that the parser is held to dashi's actual output."""
import csv
import json
import os
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import PY, TOOLS, mpi_env

PNG = b"\x89PNG\r\n\x1a\n"


def tool(name, *args, env=None):
    r = subprocess.run([PY, str(TOOLS / name), *map(str, args)], capture_output=True, text=True,
                       env=env, timeout=300)
    r.log = f"exit {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    return r


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------ scaling_report
def fake_log(N, ranks, steps, ms, events, backend="cpu", log_view=True, finished=True):
    """A dashi log: header, summary line, and a PETSc -log_view event table. events maps a stage
    name to {event: seconds}."""
    s = [f"dashi truth: N={N}, {ranks} rank(s), backend {backend} (double), rk2, dt=0.01, steps 0..{steps}, from -ic random"]
    if finished:
        s.append(f"\ndashi truth finished: {steps} steps in 1s ({ms:.3f} ms/step, {1e3 / ms:.1f} steps/s) on {ranks} rank(s)")
    if log_view:
        s += ["Event                Count      Time (sec)     Flop                              --- Global ---",
              "                   Max Ratio  Max     Ratio   Max  Ratio  Mess   AvgLen  Reduct  %T %F %M %L %R",
              "-" * 120]
        for i, (stage, evs) in enumerate(events.items()):
            s.append(f"\n--- Event Stage {i}: {stage}\n")
            for ev, t in evs.items():
                s.append(f"{ev:<16}{400:>8} 1.0 {t:.4e} 1.1 0.00e+00 0.0 0.0e+00 0.0e+00 0.0e+00 28  0  0  0  0  99  0  0  0  0     0")
    return "\n".join(s) + "\n"


def point(root, mode, N, ranks, text, name="dashi.log", meta=True):
    d = Path(root) / f"{mode}_N{N}_P{ranks}"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text)
    if meta:
        (d / "point.json").write_text(json.dumps(dict(mode=mode, backend="cpu", ranks=ranks, N=N, gpus=0, steps=100)))
    return d


def test_strong_series(tmp_path):
    steps = 100
    # ms/step 10, 6, 4 on 1, 2, 4 ranks; transpose 1, 1.5, 2 ms/step in "LES steps"; a large
    # DashiTranspose in "Diagnostics" that must not be counted
    for p, ms, tr in ((1, 10.0, 1.0), (2, 6.0, 1.5), (4, 4.0, 2.0)):
        ev = {"Main Stage": {"DashiIO": 0.5},
              "LES steps": {"DashiRHS": 0.008 * steps * ms / 10, "DashiFFT": 0.004 * steps, "DashiTranspose": tr * steps / 1e3},
              "Diagnostics": {"DashiTranspose": 99.0}}
        point(tmp_path, "strong", 128, p, fake_log(128, p, steps, ms, ev))
    # a slower repeat of P=2: the fastest counts
    point(tmp_path, "strong", 128, 2, fake_log(128, 2, steps, 9.0, {"LES steps": {"DashiTranspose": 0.5}}), name="dashi-r1.log")
    r = tool("scaling_report.py", "report", tmp_path)
    assert r.returncode == 0, r.log
    rows = read_csv(tmp_path / "scaling.csv")
    assert [int(x["ranks"]) for x in rows] == [1, 2, 4]
    ms = [float(x["ms_per_step"]) for x in rows]
    assert ms == [10.0, 6.0, 4.0]
    assert np.allclose([float(x["speedup"]) for x in rows], [1, 10 / 6, 2.5])
    assert np.allclose([float(x["efficiency"]) for x in rows], [1, 10 / 12, 10 / 16])
    assert np.allclose([float(x["transpose_ms"]) for x in rows], [1.0, 1.5, 2.0])
    assert np.allclose([float(x["transpose_share"]) for x in rows], [0.1, 0.25, 0.5])
    assert np.allclose([float(x["fft_ms"]) for x in rows], [4.0] * 3)
    assert all(x["gpus"] == "0" and x["N"] == "128" and x["mode"] == "strong" for x in rows)
    assert "| strong | cpu | 2 | 0 | 128 | 100 | 6 | 1.67 | 0.833 |" in r.stdout, r.stdout
    assert (tmp_path / "scaling.png").read_bytes()[:8] == PNG
    assert (tmp_path / "scaling.md").read_text().splitlines()[0].startswith("| mode | backend | ranks | gpus | N |")


def test_weak_series_and_failed_point(tmp_path):
    # N grows as sqrt(P): with constant time per step the efficiency is (N^2/P)/(N0^2/P0) = 1.28/1.28...
    pts = ((1, 64, 2.0), (2, 92, 2.5), (4, 128, 2.0))
    for p, n, ms in pts:
        point(tmp_path, "weak", n, p, fake_log(n, p, 50, ms, {"LES steps": {"DashiTranspose": 0.01}}, backend="vulkan"),
              meta=False)
        (tmp_path / f"weak_N{n}_P{p}" / "point.json").write_text(json.dumps(dict(mode="weak", ranks=p, N=n)))
    point(tmp_path, "weak", 180, 8, fake_log(180, 8, 50, 1.0, {}, backend="vulkan", finished=False), meta=False)
    (tmp_path / "weak_N180_P8" / "point.json").write_text(json.dumps(dict(mode="weak", ranks=8, N=180)))
    r = tool("scaling_report.py", "report", tmp_path, "--no-plot")
    assert r.returncode == 1, r.log
    assert "weak_N180_P8/dashi.log" in r.stderr and "no timing" in r.stderr, r.log
    rows = read_csv(tmp_path / "scaling.csv")
    assert [int(x["ranks"]) for x in rows] == [1, 2, 4, 8]
    eff = [float(x["efficiency"]) if x["efficiency"] else None for x in rows]
    want = [1.0, (92 ** 2 / 2 / 2.5) / (64 ** 2 / 2.0), (128 ** 2 / 4 / 2.0) / (64 ** 2 / 2.0), None]
    assert np.allclose(eff[:3], want[:3]) and eff[3] is None, eff
    assert [x["gpus"] for x in rows] == ["1", "2", "4", "8"]  # vulkan: one GPU per rank
    assert not (tmp_path / "scaling.png").exists()


def test_logs_without_log_view_or_point_json(tmp_path):
    point(tmp_path, "x", 64, 1, fake_log(64, 1, 10, 3.0, {}, log_view=False), meta=False)
    point(tmp_path, "x", 64, 2, fake_log(64, 2, 10, 2.0, {}, log_view=False), meta=False)
    r = tool("scaling_report.py", "report", tmp_path, "--no-plot")
    assert r.returncode == 0, r.log
    rows = read_csv(tmp_path / "scaling.csv")
    assert [x["mode"] for x in rows] == ["strong", "strong"] and rows[1]["speedup"] == "1.5"
    assert rows[0]["transpose_share"] == "" and "| - |" in r.stdout


def test_no_logs_is_an_error(tmp_path):
    r = tool("scaling_report.py", "report", tmp_path)
    assert r.returncode == 2 and "no dashi*.log" in r.stderr, r.log
    r = tool("scaling_report.py", "report", tmp_path / "absent")
    assert r.returncode == 2 and "not a directory" in r.stderr, r.log


def test_real_series_through_mpiexec(tmp_path):
    """Two points of a real strong series: the parser must find ms/step and the -log_view events."""
    dashi, mpiexec = os.environ.get("DASHI_BIN"), os.environ.get("DASHI_MPIEXEC")
    assert dashi and mpiexec, "run through ctest (DASHI_BIN, DASHI_MPIEXEC)"
    r = tool("scaling_report.py", "launch", "--ranks", "1,2", "--N", 32, "--steps", 20, "--root", tmp_path,
             "--dashi", dashi, "--mpiexec", mpiexec, "--oversubscribe", env=mpi_env())
    assert r.returncode == 0, r.log
    rows = read_csv(tmp_path / "scaling.csv")
    assert [(x["ranks"], x["N"], x["steps"]) for x in rows] == [("1", "32", "20"), ("2", "32", "20")]
    for x in rows:
        assert float(x["ms_per_step"]) > 0 and float(x["rhs_ms"]) > 0 and float(x["fft_ms"]) > 0, x
        assert 0 <= float(x["transpose_share"]) < 1 and float(x["rhs_ms"]) <= float(x["ms_per_step"]) * 1.05, x
    assert float(rows[1]["transpose_ms"]) > 0, "2 ranks: DashiTranspose not found in -log_view"
    assert rows[0]["speedup"] == "1.0" and (tmp_path / "scaling.png").read_bytes()[:8] == PNG


# ------------------------------------------------------------------ sweep_summary
def truth(path, E, Z):
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        g = f.create_group("diagnostics")
        g["step"] = np.array([0, 10, 20], dtype=np.int64)
        g["E"] = np.array([1.0, 0.5, E])
        g["Z"] = np.array([2.0, 1.0, Z])
        g["max_omega"] = np.array([3.0, 2.0, 1.5])
        g["cfl"] = np.array([0.1, 0.1, 0.05])


def entry(root, name, status, nu0, step, results=None):
    rd = str((root / name).resolve())
    e = dict(id=rd, command="truth", solver_id="spectral_les_v1", proxy_id=None, status=status,
             paths=dict(run_dir=rd, truth="truth.h5", checkpoints="checkpoints"),
             parameters=dict(N=32, dt=0.01, nu0=nu0, ranks=2, steps=20), step=step, time=step * 0.01)
    if results:
        e["results"] = results
    return e


def sweep_root(tmp_path):
    root = tmp_path / "sweep"
    root.mkdir()
    (root / "sweep_table.tsv").write_text("# t\nname nu0 seed\nlo 1e-3 1\nmid 1e-4 2\nhi 1e-5 3\n")
    runs = [entry(root, "lo", "completed", 1e-3, 20, results=dict(rel_l2=0.25, corr=0.9)),
            entry(root, "mid", "interrupted: resumable", 1e-4, 10)]
    (root / "manifest.json").write_text(json.dumps(dict(format="dashi-manifest-1", runs=runs)))
    for i, (name, nu, seed) in enumerate((("lo", "1e-3", "1"), ("mid", "1e-4", "2"))):
        (root / name).mkdir()
        (root / name / "sweep_task.json").write_text(json.dumps(dict(task=i, name=name, options=dict(nu0=nu, seed=seed))))
    truth(root / "lo" / "truth.h5", 0.125, 0.75)
    return root


def test_sweep_summary_table(tmp_path):
    root = sweep_root(tmp_path)
    r = tool("sweep_summary.py", root)
    assert r.returncode == 0, r.log
    rows = read_csv(root / "sweep_summary.csv")
    assert [(x["task"], x["name"], x["status"]) for x in rows] == [
        ("0", "lo", "completed"), ("1", "mid", "interrupted: resumable"), ("2", "hi", "missing")]
    lo, mid, hi = rows
    assert lo["-nu0"] == "1e-3" and lo["-seed"] == "1" and hi["-nu0"] == "1e-5" and hi["-seed"] == "3"
    assert float(lo["final_E"]) == 0.125 and float(lo["final_Z"]) == 0.75 and float(lo["final_cfl"]) == 0.05
    assert lo["results.rel_l2"] == "0.25" and lo["results.corr"] == "0.9" and mid["results.rel_l2"] == ""
    assert mid["step"] == "10" and mid["final_E"] == "" and hi["step"] == ""
    assert lo["N"] == "32" and lo["ranks"] == "2" and float(lo["nu0"]) == 1e-3
    assert "task 1 (mid): interrupted: resumable" in r.stderr and "task 2 (hi): missing" in r.stderr, r.log
    assert "| 0 | lo | completed | 1e-3 | 1 |" in r.stdout, r.stdout


def test_sweep_summary_require_complete_and_errors(tmp_path):
    root = sweep_root(tmp_path)
    r = tool("sweep_summary.py", root, "--require-complete", "--csv", tmp_path / "x.csv")
    assert r.returncode == 1 and "2 of 3 task(s) not completed" in r.stderr, r.log
    assert (tmp_path / "x.csv").is_file()
    r = tool("sweep_summary.py", tmp_path / "nothing")
    assert r.returncode == 2 and "manifest.json not found" in r.stderr, r.log
    (root / "manifest.json").write_text("{not json")
    r = tool("sweep_summary.py", root)
    assert r.returncode == 2 and "not valid JSON" in r.stderr, r.log


def test_sweep_summary_all_complete(tmp_path):
    root = tmp_path / "s"
    root.mkdir()
    runs = [entry(root, n, "completed", 1e-3, 20) for n in ("a", "b")]
    (root / "manifest.json").write_text(json.dumps(dict(runs=runs)))
    r = tool("sweep_summary.py", root, "--require-complete")
    assert r.returncode == 0 and r.stderr == "", r.log
    assert [x["name"] for x in read_csv(root / "sweep_summary.csv")] == ["a", "b"]
