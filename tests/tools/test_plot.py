"""Tests of tools/dashi_plot.py on synthetic truth files."""
import shutil

import h5py
import numpy as np
import pytest

from conftest import make_truth

COMMANDS = ("snapshot", "series", "spectra", "summary", "triptych", "video")


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help(run_tool, cmd):
    r = run_tool("dashi_plot.py", cmd, "--help")
    assert r.returncode == 0 and "usage: dashi_plot " + cmd in r.stdout


@pytest.mark.parametrize("cmd,default", [("snapshot", "truth_snapshot_00002.png"), ("series", "truth_series.png"),
                                         ("spectra", "truth_spectra.png"), ("summary", "truth_summary.png")])
def test_pictures_default_path(run_tool, png, truth, cmd, default):
    r = run_tool("dashi_plot.py", cmd, truth)
    assert r.returncode == 0, r.stderr
    out = truth.parent / default
    assert r.stdout.strip() == str(out)
    png(out)


@pytest.mark.parametrize("cmd", ["snapshot", "series", "spectra", "summary"])
def test_pictures_output_option(run_tool, png, tmp_path, cmd):
    truth = make_truth(tmp_path / "single.h5", precision="single")
    out = tmp_path / f"{cmd}.png"
    r = run_tool("dashi_plot.py", cmd, truth, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    png(out)


def test_snapshot_index(run_tool, png, truth, tmp_path):
    r = run_tool("dashi_plot.py", "snapshot", truth, "--index", "0", "-o", tmp_path / "s0.png")
    assert r.returncode == 0, r.stderr
    png(tmp_path / "s0.png")
    r = run_tool("dashi_plot.py", "snapshot", truth, "--index", "3")
    assert r.returncode == 2 and "out of range" in r.stderr and "/snapshots/omega" in r.stderr


def test_missing_file(run_tool, tmp_path):
    r = run_tool("dashi_plot.py", "summary", tmp_path / "nope.h5")
    assert r.returncode == 2 and "nope.h5" in r.stderr and "Traceback" not in r.stderr


def test_not_hdf5(run_tool, tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_text("not hdf5")
    r = run_tool("dashi_plot.py", "series", bad)
    assert r.returncode == 2 and "bad.h5" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("cmd,path", [("snapshot", "/snapshots/omega"), ("summary", "/diagnostics/Z"),
                                      ("series", "/diagnostics/E"), ("spectra", "/spectra")])
def test_missing_dataset(run_tool, truth, cmd, path):
    with h5py.File(truth, "a") as f:
        del f[path]
    r = run_tool("dashi_plot.py", cmd, truth)
    assert r.returncode == 2, r.stderr
    assert path in r.stderr and "missing" in r.stderr and "Traceback" not in r.stderr


def test_empty_dataset(run_tool, truth):
    with h5py.File(truth, "a") as f:
        f["/snapshots/omega"].resize(0, axis=0)
    r = run_tool("dashi_plot.py", "snapshot", truth)
    assert r.returncode == 2 and "/snapshots/omega" in r.stderr and "empty" in r.stderr
    assert "Traceback" not in r.stderr


def test_spectral_resample_exact_for_band_limited_field():
    from dashi_h5 import spectral_resample
    x = lambda n: np.arange(n) * 2 * np.pi / n  # noqa: E731
    f = lambda n: np.sin(x(n))[:, None] * np.cos(2 * x(n))[None, :] + np.cos(3 * x(n))[:, None]  # noqa: E731
    assert np.allclose(spectral_resample(f(32), (16, 16)), f(16), atol=1e-12)
    assert np.allclose(spectral_resample(f(16), (32, 32)), f(32), atol=1e-12)
    # the Nyquist mode of the target grid and everything above it are removed
    assert np.allclose(spectral_resample(np.cos(8 * x(32))[:, None] * np.ones(32), (16, 16)), 0, atol=1e-12)


def test_triptych_function(png, tmp_path):
    from dashi_plot import triptych
    a = np.random.default_rng(1).standard_normal((16, 16))
    assert triptych(a, a + 0.1, tmp_path / "t.png", "title") == tmp_path / "t.png"
    png(tmp_path / "t.png")


def test_triptych_command_resamples(run_tool, png, truth, tmp_path):
    from dashi_h5 import spectral_resample
    with h5py.File(truth, "r") as f:
        w = f["/snapshots/omega"][1]
    dec = tmp_path / "decoded.h5"
    with h5py.File(dec, "w") as f:
        f["/decoded/omega"] = np.stack([spectral_resample(w, (16, 16))] * 2) + 0.01
    out = tmp_path / "trip.png"
    r = run_tool("dashi_plot.py", "triptych", "--truth", truth, "--truth-index", "1", "--decoded", dec,
                 "--decoded-dataset", "/decoded/omega", "--decoded-index", "0", "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    png(out)
    r = run_tool("dashi_plot.py", "triptych", "--truth", truth, "--decoded", dec, "--decoded-dataset", "/nope")
    assert r.returncode == 2 and "/nope" in r.stderr and "decoded.h5" in r.stderr


def test_video_without_ffmpeg(run_tool, truth, env_without, tmp_path):
    r = run_tool("dashi_plot.py", "video", truth, "-o", tmp_path / "v.mp4", env=env_without())
    assert r.returncode == 3
    assert "ffmpeg not found: install it with apt-get install ffmpeg" in r.stderr
    assert not (tmp_path / "v.mp4").exists()


def test_video_ffmpeg_failure_is_reported(run_tool, truth, env_without, tmp_path):
    env = env_without(ffmpeg="#!/bin/sh\necho 'Unknown encoder libx264' >&2\nexit 1\n")
    r = run_tool("dashi_plot.py", "video", truth, "-o", tmp_path / "v.mp4", env=env)
    assert r.returncode == 4
    assert "ffmpeg failed (exit status 1)" in r.stderr and "Unknown encoder libx264" in r.stderr


def test_video_frames_reach_ffmpeg(run_tool, truth, env_without, tmp_path):
    # a fake ffmpeg that checks the three frames exist (and no more), then writes the output (last argument)
    env = env_without(ffmpeg='#!/bin/sh\nprev=\nfor a; do [ "$prev" = -i ] && pat="$a"; prev="$a"; out="$a"; done\n'
                      'for i in 000000 000001 000002; do\n'
                      '  f="${pat%/*}/frame_$i.png"; [ -s "$f" ] || { echo "no $f" >&2; exit 1; }\ndone\n'
                      '[ ! -e "${pat%/*}/frame_000003.png" ] || { echo "extra frame" >&2; exit 1; }\n'
                      'echo fake > "$out"\n')
    r = run_tool("dashi_plot.py", "video", truth, "-o", tmp_path / "v.mp4", "--fps", "5", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "v.mp4")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_video_real_ffmpeg(run_tool, truth, tmp_path):
    out = tmp_path / "v.mp4"
    r = run_tool("dashi_plot.py", "video", truth, "-o", out, "--fps", "4")
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 0 and out.read_bytes()[4:8] == b"ftyp"
