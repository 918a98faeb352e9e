#!/usr/bin/python3
"""dashi_plot: pictures and videos from a dashi truth file (docs/file-formats.md).

Exit status: 0 success, 2 bad input (missing file/dataset, empty dataset, bad index),
3 ffmpeg not installed, 4 ffmpeg failed. Each picture command prints the path it wrote."""
import argparse
import os
import shutil
import subprocess
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

from dashi_h5 import (L, ToolError, attr, dataset, open_truth, read, read_series, record,  # noqa: E402
                      run_main, spectral_resample)

DPI = 120


def default_out(path, tag):
    return f"{os.path.splitext(path)[0]}_{tag}.png"


def save(fig, path):
    """Write fig to path, close it, print the path."""
    try:
        fig.savefig(path, dpi=DPI)
    except OSError as e:
        raise ToolError(f"{path}: cannot write ({e.strerror or e})") from None
    finally:
        plt.close(fig)
    print(path)
    return path


def sym_limit(*arrays):
    """Symmetric colour limit: max |value| over arrays (1 if zero or not finite)."""
    v = max(float(np.nanmax(np.abs(a))) if np.size(a) else 0.0 for a in arrays)
    return v if np.isfinite(v) and v > 0 else 1.0


def draw_field(ax, field, vmax, title=None, colorbar=True):
    """imshow of a field stored [x][y]: transposed, origin lower, pixel centres at x_i = i L/N."""
    field = np.asarray(field)
    hx, hy = L / field.shape[0] / 2, L / field.shape[1] / 2
    im = ax.imshow(field.T, origin="lower", extent=(-hx, L - hx, -hy, L - hy), cmap="RdBu_r",
                   vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="ω", shrink=0.85)
    return im


def snapshot_label(f, i):
    t, s = read(f, "/snapshots/time"), read(f, "/snapshots/step")
    if i >= len(t) or i >= len(s):
        raise ToolError(f"{f.filename}: /snapshots/time or /snapshots/step has no record {i}")
    return f"t = {t[i]:.4g}, step {int(s[i])}"


def last_snapshot(f, index=-1):
    omega, i = record(f, "/snapshots/omega", index)
    return omega, i, snapshot_label(f, i)


# ---------------------------------------------------------------------------------- commands


def cmd_snapshot(a):
    with open_truth(a.truth) as f:
        omega, i, label = last_snapshot(f, a.index)
    fig, ax = plt.subplots(figsize=(6.4, 5.4), constrained_layout=True)
    draw_field(ax, omega, sym_limit(omega), f"vorticity ω   {label}   (N = {omega.shape[0]})")
    save(fig, a.output or default_out(a.truth, f"snapshot_{i:05d}"))


def cmd_series(a):
    with open_truth(a.truth) as f:
        t, E, Z = read_series(f, ["/diagnostics/time", "/diagnostics/E", "/diagnostics/Z"])
        rates = {n: read_series(f, ["/diagnostics/time", f"/diagnostics/{n}"])[1]
                 for n in ("diss_Z", "inj_Z") if f"/diagnostics/{n}" in f}
    fig, axs = plt.subplots(2 + bool(rates), 1, sharex=True, figsize=(7, 2.6 * (2 + bool(rates))),
                            constrained_layout=True)
    axs[0].plot(t, E, color="C1")
    axs[0].set_ylabel("energy E")
    axs[1].plot(t, Z, color="C0")
    axs[1].set_ylabel("enstrophy Z")
    for n, y in rates.items():
        axs[2].plot(t, y, label=n)
    if rates:
        axs[2].set_ylabel("enstrophy rates")
        axs[2].legend()
    for ax in axs:
        ax.grid(alpha=0.3)
    axs[-1].set_xlabel("time")
    axs[0].set_title(os.path.basename(a.truth))
    save(fig, a.output or default_out(a.truth, "series"))


def cmd_spectra(a):
    with open_truth(a.truth) as f:
        spec = read(f, "/spectra")
        t = read_series(f, ["/spectra_time"])[0]
    if spec.ndim != 2 or len(t) != spec.shape[0]:
        raise ToolError(f"{a.truth}: /spectra has shape {spec.shape}, expected [{len(t)}, N/2+1]")
    k = np.arange(1, spec.shape[1])
    spec = np.where(spec[:, 1:] > 0, spec[:, 1:], np.nan)  # k = 0 and empty shells are not drawn
    norm = Normalize(t.min(), t.max() if t.max() > t.min() else t.min() + 1)
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(7, 5.4), constrained_layout=True)
    for j in np.unique(np.linspace(0, len(t) - 1, min(len(t), 64)).astype(int))[:-1]:
        ax.loglog(k, spec[j], color=cmap(norm(t[j])), lw=0.8, alpha=0.7)
    ax.loglog(k, spec[-1], color=cmap(norm(t[-1])), lw=2.5, label=f"t = {t[-1]:.4g} (last)")
    good = np.isfinite(spec[-1])
    if good.any():  # reference slopes through the last spectrum at a mid-range wavenumber
        ka = k[good][len(k[good]) // 4]
        ea = spec[-1][k == ka][0]
        for p, ls, name in ((-3, "--", "k^{-3}"), (-5 / 3, ":", "k^{-5/3}")):
            ax.loglog(k, 3 * ea * (k / ka) ** p, "k", ls=ls, lw=1, label=f"${name}$")
        finite = spec[np.isfinite(spec)]
        ax.set_ylim(max(finite.min(), finite.max() * 1e-16) / 2, finite.max() * 5)
    ax.set_xlabel("k")
    ax.set_ylabel("E(k)")
    ax.set_title(f"energy spectra, {len(t)} records   {os.path.basename(a.truth)}")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, label="time")
    save(fig, a.output or default_out(a.truth, "spectra"))


def cmd_summary(a):
    with open_truth(a.truth) as f:
        omega, _, label = last_snapshot(f)
        t, E, Z = read_series(f, ["/diagnostics/time", "/diagnostics/E", "/diagnostics/Z"])
        head = f"{attr(f, 'solver_id', '?')}   N = {attr(f, 'N', omega.shape[0])}"
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 5.4), constrained_layout=True)
    draw_field(a1, omega, sym_limit(omega), f"vorticity ω   {label}")
    lz = a2.plot(t, Z, color="C0", label="enstrophy Z")
    a2.set_xlabel("time")
    a2.set_ylabel("enstrophy Z", color="C0")
    a2.grid(alpha=0.3)
    a3 = a2.twinx()
    le = a3.plot(t, E, color="C1", label="energy E")
    a3.set_ylabel("energy E", color="C1")
    a2.legend(handles=lz + le, loc="best")
    a2.set_title("diagnostics")
    fig.suptitle(f"{head}   {a.truth}")
    save(fig, a.output or default_out(a.truth, "summary"))


def triptych(truth2d, decoded2d, out_png, title=None):
    """Draw truth | decoded | error (decoded - truth) with one shared symmetric colour scale."""
    truth2d, decoded2d = np.asarray(truth2d, np.float64), np.asarray(decoded2d, np.float64)
    if truth2d.shape != decoded2d.shape:
        raise ToolError(f"triptych: truth {truth2d.shape} and decoded {decoded2d.shape} differ in shape")
    err = decoded2d - truth2d
    rel = np.linalg.norm(err) / max(np.linalg.norm(truth2d), np.finfo(float).tiny)
    vmax = sym_limit(truth2d, decoded2d, err)
    fig, axs = plt.subplots(1, 3, figsize=(16, 5.2), constrained_layout=True)
    for ax, fld, name in zip(axs, (truth2d, decoded2d, err),
                             ("truth", "decoded", f"error (decoded − truth), rel. L2 {rel:.3g}")):
        im = draw_field(ax, fld, vmax, name, colorbar=False)
    fig.colorbar(im, ax=axs, label="ω", shrink=0.85)
    if title:
        fig.suptitle(title)
    return save(fig, out_png)


def cmd_triptych(a):
    with open_truth(a.truth) as f:
        truth, ti = record(f, a.truth_dataset, a.truth_index)
    with open_truth(a.decoded) as f:
        dec, di = record(f, a.decoded_dataset, a.decoded_index)
    note = ""
    if truth.shape != dec.shape:
        note = f"   (truth spectrally resampled {truth.shape[0]}→{dec.shape[0]})"
        truth = spectral_resample(truth, dec.shape)
    title = (f"truth {os.path.basename(a.truth)}:{a.truth_dataset}[{ti}]  vs  "
             f"decoded {os.path.basename(a.decoded)}:{a.decoded_dataset}[{di}]{note}")
    triptych(truth, dec, a.output or default_out(a.decoded, "triptych"), title)


def cmd_proxy(a):
    """Scores of a proxy file vs lead time (member mean and spread, baselines) and, with
    -save_decoded, the truth | decoded (member 0) | error triptych at the last score time."""
    with open_truth(a.proxy) as f:
        step = read(f, "/ensemble/step")
        start = attr(f["/ensemble"], "start_step", step[0])
        lead = step - start
        fig, axs = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
        for ax, name, label in zip(axs, ("rel_l2", "corr"), ("relative L2 error", "correlation")):
            sc = read(f, f"/ensemble/scores/{name}")  # [M, Ts]
            mean = sc.mean(axis=0)
            ax.fill_between(lead, sc.min(axis=0), sc.max(axis=0), alpha=0.25, label="members (range)")
            ax.plot(lead, mean, "o-", label="proxy (member mean)")
            for base, style in (("persistence", "s--"), ("encode_decode", "^:")):
                if f"/ensemble/baselines/{base}/{name}" in f:
                    ax.plot(lead, read(f, f"/ensemble/baselines/{base}/{name}"), style,
                            label=base.replace("_", "→"))
            ax.set_xlabel("lead (LES steps)")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle(f"DASHI ensemble: {a.proxy}")
        save(fig, a.output or default_out(a.proxy, "scores"))
        if "/ensemble/decoded" in f and "/ensemble/truth" in f:
            dec, tru = dataset(f, "/ensemble/decoded"), dataset(f, "/ensemble/truth")
            triptych(tru[-1], dec[-1, 0], default_out(a.output or a.proxy, "triptych"),
                     f"step {step[-1]} (lead {lead[-1]}): truth | decoded member 0 | error")


def cmd_video(a):
    if a.fps <= 0:
        raise ToolError(f"--fps must be positive, got {a.fps}")
    with open_truth(a.truth) as f:
        ds = dataset(f, "/snapshots/omega")
        if ds.ndim != 3:
            raise ToolError(f"{a.truth}: /snapshots/omega has shape {ds.shape}, expected [T, N, N]")
        ffmpeg = shutil.which("ffmpeg")
        if not ffmpeg:
            raise ToolError("ffmpeg not found: install it with apt-get install ffmpeg", 3)
        vmax = sym_limit(*(ds[i] for i in range(ds.shape[0])))  # one colour scale for all frames
        with tempfile.TemporaryDirectory(prefix="dashi_video_") as tmp:
            fig, ax = plt.subplots(figsize=(6.4, 5.4), constrained_layout=True)  # fixed frame size
            im = draw_field(ax, ds[0], vmax)
            for i in range(ds.shape[0]):
                im.set_data(np.asarray(ds[i]).T)
                ax.set_title(f"vorticity ω   {snapshot_label(f, i)}")
                fig.savefig(os.path.join(tmp, f"frame_{i:06d}.png"), dpi=100)
            plt.close(fig)
            cmd = [ffmpeg, "-y", "-loglevel", "error", "-framerate", str(a.fps),
                   "-i", os.path.join(tmp, "frame_%06d.png"), "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                   "-c:v", a.codec, "-pix_fmt", "yuv420p", a.output]
            r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise ToolError(f"ffmpeg failed (exit status {r.returncode}) writing {a.output}:\n"
                        f"{r.stderr.strip() or '(no output on stderr)'}", 4)
    if not os.path.isfile(a.output) or os.path.getsize(a.output) == 0:
        raise ToolError(f"ffmpeg exited 0 but {a.output} is missing or empty", 4)
    print(a.output)


def main(argv=None):
    p = argparse.ArgumentParser(prog="dashi_plot", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_, out_help="output PNG (default: TRUTH_<command>.png beside TRUTH)"):
        s = sub.add_parser(name, help=help_, description=help_)
        if name == "proxy":
            s.add_argument("proxy", metavar="PROXY.h5", help="dashi proxy file (proxy.h5, ensemble.h5)")
        elif name != "triptych":
            s.add_argument("truth", metavar="TRUTH.h5", help="dashi truth file")
        s.add_argument("-o", "--output", metavar="PATH", help=out_help, required=name == "video")
        s.set_defaults(func=func)
        return s

    s = command("snapshot", cmd_snapshot, "vorticity image of /snapshots/omega[INDEX]")
    s.add_argument("--index", type=int, default=-1, help="snapshot record, negative from the end (default -1)")
    command("series", cmd_series, "energy, enstrophy and enstrophy rates vs time from /diagnostics")
    command("spectra", cmd_spectra, "log-log energy spectra E(k) from /spectra with k^-3 and k^-5/3 slopes")
    command("summary", cmd_summary, "last vorticity snapshot beside the enstrophy/energy time series")
    s = command("triptych", cmd_triptych, "truth | decoded | error of one vorticity field; the truth is "
                "resampled to the decoded resolution by spectral truncation if the sizes differ",
                "output PNG (default: DECODED_triptych.png)")
    s.add_argument("--truth", required=True, metavar="FILE", help="HDF5 file holding the truth field")
    s.add_argument("--truth-dataset", default="/snapshots/omega", help="[T,N,N] or [N,N] dataset")
    s.add_argument("--truth-index", type=int, default=-1, help="record of a [T,N,N] truth dataset")
    s.add_argument("--decoded", required=True, metavar="FILE", help="HDF5 file holding the decoded field")
    s.add_argument("--decoded-dataset", required=True, help="[T,Nd,Nd] or [Nd,Nd] dataset")
    s.add_argument("--decoded-index", type=int, default=-1, help="record of a [T,Nd,Nd] decoded dataset")
    command("proxy", cmd_proxy, "ensemble scores vs lead time with the persistence and encode→decode "
            "baselines; with decoded fields stored (-save_decoded) also the truth | decoded | error "
            "triptych at the last score time", "output PNG (default: PROXY_scores.png)")
    s = command("video", cmd_video, "MP4 of all vorticity snapshots (needs ffmpeg)", "output MP4 file")
    s.add_argument("--fps", type=float, default=10, help="frames per second (default 10)")
    s.add_argument("--codec", default="libx264", help="ffmpeg video codec (default libx264)")
    a = p.parse_args(argv)
    a.func(a)


if __name__ == "__main__":
    run_main(main, "dashi_plot")
