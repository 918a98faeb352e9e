"""Tests of tools/dashi_h5check.py on synthetic truth files."""
import h5py
import numpy as np
import pytest

from conftest import make_truth


def test_conforming_file(run_tool, truth):
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 0, r.stderr
    assert "spectral_les_v1" in r.stdout and "N           32" in r.stdout
    assert "11 diagnostics, 5 spectra, 3 snapshots" in r.stdout and "OK" in r.stdout
    with h5py.File(truth, "r") as f:
        assert f"Z = {f['/diagnostics/Z'][-1]:.10g}" in r.stdout
        assert f"E = {f['/diagnostics/E'][-1]:.10g}" in r.stdout


def test_single_precision_and_quick(run_tool, tmp_path):
    truth = make_truth(tmp_path / "s.h5", precision="single")
    r = run_tool("dashi_h5check.py", truth, "--quick")
    assert r.returncode == 0, r.stderr
    assert "float32" in r.stdout


def test_no_snapshots_or_spectra_is_allowed(run_tool, truth):
    with h5py.File(truth, "a") as f:
        for p in ("/snapshots/omega", "/snapshots/time", "/snapshots/step", "/spectra", "/spectra_time",
                  "/spectra_step"):
            f[p].resize(0, axis=0)
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 0, r.stderr


def test_nan_in_energy(run_tool, truth):
    with h5py.File(truth, "a") as f:
        f["/diagnostics/E"][4] = np.nan
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1
    assert "/diagnostics/E contains non-finite values (first at record 4)" in r.stderr


def test_inf_in_snapshot(run_tool, truth):
    with h5py.File(truth, "a") as f:
        f["/snapshots/omega"][1, 3, 5] = np.inf
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1 and "/snapshots/omega contains non-finite values (first at record 1)" in r.stderr


def test_missing_solver_id(run_tool, truth):
    with h5py.File(truth, "a") as f:
        del f.attrs["solver_id"]
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1 and "root attribute solver_id is missing" in r.stderr


@pytest.mark.parametrize("path", ["/diagnostics/diss_Z", "/spectra_step", "/snapshots/time"])
def test_missing_dataset(run_tool, truth, path):
    with h5py.File(truth, "a") as f:
        del f[path]
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1 and f"dataset {path} is missing" in r.stderr


def test_bad_attributes(run_tool, truth):
    with h5py.File(truth, "a") as f:
        f.attrs["options"] = "{not json"
        f.attrs["format"] = "dashi-truth-0"
        del f.attrs["dt"]
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1
    assert "options is not a JSON object" in r.stderr and "format is 'dashi-truth-0'" in r.stderr
    with h5py.File(truth, "a") as f:
        f.attrs["options"] = '{"N": 32, "dt": 0.01}'
        f.attrs["format"] = "dashi-truth-1"
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1 and "options without a root attribute: dt" in r.stderr


def test_shapes_lengths_and_steps(run_tool, truth):
    with h5py.File(truth, "a") as f:
        del f["/spectra"]
        f.create_dataset("/spectra", data=np.ones((5, 16)))
        f["/diagnostics/cfl"].resize(10, axis=0)
        f["/snapshots/step"][2] = 0
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1
    assert "/spectra has shape (5, 16)" in r.stderr
    assert "/diagnostics datasets differ in length" in r.stderr
    assert "/snapshots/step is not strictly increasing" in r.stderr


def test_cross_check_enstrophy(run_tool, truth):
    with h5py.File(truth, "a") as f:
        f["/diagnostics/Z"][5] *= 1.01  # step 50, where snapshot 1 was taken
    r = run_tool("dashi_h5check.py", truth)
    assert r.returncode == 1 and "snapshot 1 (step 50) gives Z" in r.stderr
    assert run_tool("dashi_h5check.py", truth, "--no-cross-check").returncode == 0


def test_unreadable(run_tool, tmp_path):
    r = run_tool("dashi_h5check.py", tmp_path / "missing.h5")
    assert r.returncode == 2 and "missing.h5: no such file" in r.stderr and "Traceback" not in r.stderr
