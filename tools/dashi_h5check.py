#!/usr/bin/python3
"""dashi_h5check: check a dashi truth file against docs/file-formats.md and print a summary.

Checks: the root attributes (JSON ones parse to objects, format, one attribute per option),
every dataset of the contract (presence, dtype, shape, equal record counts), finite values,
nonnegative E, Z, P, max_omega, cfl and spectra, strictly increasing steps, and (unless
--no-cross-check) that each snapshot taken at a diagnostics step reproduces Z = ½⟨ω²⟩ and
max|ω| of that record.
Exit status: 0 conforms, 1 contract violations (all listed on stderr), 2 file cannot be read."""
import argparse
import json
import sys

import h5py
import numpy as np

from dashi_h5 import DIAGNOSTICS, FORMAT, JSON_ATTRS, ROOT_ATTRS, attr, open_truth, run_main


def check(f, quick=False, cross=True):
    """Return (problems, summary lines) for the open truth file f."""
    bad, info = [], {}

    for name in ROOT_ATTRS:
        if name not in f.attrs:
            bad.append(f"root attribute {name} is missing")
    options = {}
    for name in JSON_ATTRS:
        if name in f.attrs:
            try:
                value = json.loads(attr(f, name))
                if not isinstance(value, dict):
                    raise ValueError("not a JSON object")
                if name == "options":
                    options = value
            except (ValueError, TypeError) as e:
                bad.append(f"root attribute {name} is not a JSON object ({e})")
    missing_opts = sorted(k for k in options if k.lstrip("-") not in f.attrs)
    if missing_opts:
        bad.append(f"options without a root attribute: {', '.join(missing_opts)}")
    if "format" in f.attrs and attr(f, "format") != FORMAT:
        bad.append(f"root attribute format is {attr(f, 'format')!r}, expected {FORMAT!r}")
    N = attr(f, "N")
    if N is not None and not (isinstance(N, int) and N > 0 and N % 2 == 0):
        bad.append(f"root attribute N = {N!r} is not a positive even integer")
        N = None

    def get(path, kind, tail=(), sizes=(8,)):
        """Dataset at path with dtype kind 'f'/'i' of one of `sizes` bytes and shape [*, *tail]."""
        ds = f.get(path)
        if not isinstance(ds, h5py.Dataset):
            bad.append(f"dataset {path} is missing")
            return None
        if ds.dtype.kind != kind or ds.dtype.itemsize not in sizes:
            want = " or ".join(f"{'f' if kind == 'f' else 'i'}{8 * s}" for s in sizes)
            bad.append(f"dataset {path} has dtype {ds.dtype}, expected {want}")
            return None
        if ds.ndim != 1 + len(tail) or (N and tuple(ds.shape[1:]) != tail):
            bad.append(f"dataset {path} has shape {ds.shape}, expected [records{''.join(f', {t}' for t in tail)}]")
            return None
        return ds

    def finite(path, a, first=0):
        nonfinite = np.flatnonzero(~np.isfinite(a.reshape(len(a), -1)).all(axis=1)) if a.size else []
        if len(nonfinite):
            bad.append(f"dataset {path} contains non-finite values (first at record {first + nonfinite[0]})")
            return False
        return True

    def group(paths, what):
        """Load 1-D datasets of one record group, check equal lengths, finiteness and steps."""
        data = {}
        for path in paths:
            ds = get(path, "i" if path.endswith("step") else "f")
            if ds is not None:
                data[path] = ds[()]
        lengths = {p: len(a) for p, a in data.items()}
        if len(set(lengths.values())) > 1:
            bad.append(f"{what} datasets differ in length: " + ", ".join(f"{p} {n}" for p, n in lengths.items()))
        for p, a in data.items():
            if a.dtype.kind == "f":
                finite(p, a)
            if p.endswith("step") and len(a) > 1 and not (np.diff(a) > 0).all():
                bad.append(f"dataset {p} is not strictly increasing")
            if p.endswith("time") and len(a) > 1 and not (np.diff(a) >= 0).all():
                bad.append(f"dataset {p} is decreasing somewhere")
        return data, (min(lengths.values()) if lengths else 0)

    # diagnostics
    diag, S = group([f"/diagnostics/{n}" for n in DIAGNOSTICS], "/diagnostics")
    if S == 0 and diag:
        bad.append("/diagnostics holds no records")
    for n in ("E", "Z", "P", "max_omega", "cfl"):
        a = diag.get(f"/diagnostics/{n}")
        if a is not None and (a < 0).any():
            bad.append(f"dataset /diagnostics/{n} has negative values")
    d = {p.rsplit("/", 1)[1]: a for p, a in diag.items()}
    info["diagnostics"] = S

    # spectra
    times, T = group(["/spectra_time", "/spectra_step"], "spectra")
    sp = get("/spectra", "f", (N // 2 + 1,) if N else (None,))
    if sp is not None:
        a = sp[()]
        if finite("/spectra", a) and (a < 0).any():
            bad.append("dataset /spectra has negative values")
        if len(a) != T:
            bad.append(f"/spectra has {len(a)} records but /spectra_time has {T}")
    info["spectra"] = T

    # snapshots
    times, T2 = group(["/snapshots/time", "/snapshots/step"], "snapshots")
    om = get("/snapshots/omega", "f", (N, N) if N else (None, None), sizes=(4, 8))
    info["snapshots"] = T2
    if om is not None:
        info["omega"] = om.dtype
        if om.shape[0] != T2:
            bad.append(f"/snapshots/omega has {om.shape[0]} records but /snapshots/time has {T2}")
        rtol = 1e-3 if om.dtype.itemsize == 4 else 1e-8  # single: float sums over N² points
        where = {int(s): j for j, s in enumerate(d.get("step", []))}
        step = times.get("/snapshots/step", [])
        for i in range(max(0, om.shape[0] - 1) if quick else 0, om.shape[0]):
            w = np.asarray(om[i], dtype=np.float64)
            if not finite("/snapshots/omega", w[None], i):
                continue
            j = where.get(int(step[i])) if cross and i < len(step) else None
            if j is None:
                continue
            for name, value in (("Z", 0.5 * np.mean(w * w)), ("max_omega", np.abs(w).max())):
                ref = d.get(name)
                if ref is not None and j < len(ref) and np.isfinite(ref[j]) and \
                        not abs(value - ref[j]) <= rtol * max(abs(ref[j]), 1e-300):
                    bad.append(f"snapshot {i} (step {int(step[i])}) gives {name} = {value:.10g} "
                               f"but /diagnostics/{name} records {ref[j]:.10g}")

    def last(n):
        a = d.get(n)
        return a[-1] if a is not None and len(a) else float("nan")

    lines = [
        f"file        {f.filename}",
        f"solver_id   {attr(f, 'solver_id', '?')}   format {attr(f, 'format', '?')}",
        f"N           {attr(f, 'N', '?')}",
        f"records     {S} diagnostics, {info['spectra']} spectra, {info['snapshots']} snapshots"
        + (f" (omega {info['omega']})" if "omega" in info else ""),
        f"steps       {int(last('step')) if 'step' in d and S else '?'} last recorded, t = {last('time'):.6g}",
        f"last        E = {last('E'):.10g}   Z = {last('Z'):.10g}   max|ω| = {last('max_omega'):.6g}",
    ]
    return bad, lines


def main(argv=None):
    p = argparse.ArgumentParser(prog="dashi_h5check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("truth", metavar="TRUTH.h5", help="dashi truth file")
    p.add_argument("--quick", action="store_true", help="read only the last snapshot (large files)")
    p.add_argument("--no-cross-check", action="store_true",
                   help="skip comparing snapshots with the diagnostics records")
    a = p.parse_args(argv)
    with open_truth(a.truth) as f:
        bad, lines = check(f, a.quick, not a.no_cross_check)
    print("\n".join(lines))
    if bad:
        print(f"dashi_h5check: {a.truth} does not conform to docs/file-formats.md "
              f"({len(bad)} problem{'s' * (len(bad) != 1)}):", file=sys.stderr)
        for b in bad:
            print(f"  - {b}", file=sys.stderr)
        return 1
    print("OK: conforms to docs/file-formats.md")
    return 0


if __name__ == "__main__":
    run_main(main, "dashi_h5check")
