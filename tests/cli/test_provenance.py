"""The truth file and its companions (SPEC §8, docs/file-formats.md): provenance attributes, one root
attribute per option, dataset shapes, the XDMF sidecar and the manifest."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import h5py
import numpy as np
import pytest

from conftest import SOURCE, truth

N, STEPS = 32, 20
ARGS = ["-N", N, "-steps", STEPS, "-stats_every", 5, "-spectra_every", 10, "-snapshot_every", 10,
        "-nu0", 2e-4, "-sgs_form", "lap", "-ts", "ssprk3", "-progress_every", 0]
SOLVER_SPEC_KEYS = {"gradients", "poisson", "dealias", "sgs", "sgs_form", "time_integrator",
                    "precision"}
IMPL_SPEC_KEYS = {"backend", "fft_library", "devices", "ranks", "git_revision"}


@pytest.fixture(scope="module")
def run(ok_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return ok_run(*ARGS, np=2, out=root / "case")


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def option_names(dashi):
    """The options of `dashi truth`, from its own -help listing."""
    r = dashi("-help")
    assert r.rc == 0, r
    section = r.stdout.split("dashi options:")[1]
    names = re.findall(r"^  -(\w+)[ :]", section, flags=re.M)
    assert len(names) > 30, section[:2000]
    return names


def test_provenance_attributes(run, dashi):
    with truth(run) as f:
        a = {k: text(v) for k, v in f.attrs.items()}
    assert a["solver_id"] == "spectral_les_v1" and a["format"] == "dashi-truth-1"
    ss = json.loads(a["solver_spec"])
    assert SOLVER_SPEC_KEYS <= ss.keys(), f"solver_spec lacks {SOLVER_SPEC_KEYS - ss.keys()}"
    assert (ss["sgs"], ss["sgs_form"], ss["dealias"], ss["precision"]) == \
        ("smagorinsky", "lap", "2/3", "double")
    assert "ssprk3" in ss["time_integrator"] and ss["gradients"] == "spectral"
    im = json.loads(a["implementation_spec"])
    assert IMPL_SPEC_KEYS <= im.keys(), f"implementation_spec lacks {IMPL_SPEC_KEYS - im.keys()}"
    assert im["backend"] == "cpu" and im["ranks"] == 2
    assert re.search(r"fftw-3\.\d+", im["fft_library"]), im["fft_library"]
    assert isinstance(im["git_revision"], str) and im["git_revision"].strip()
    # one root attribute per option, equal to the options JSON, for every option of the command
    opts = json.loads(a["options"])
    names = option_names(dashi)
    assert set(names) == set(opts), f"options JSON vs -help: {set(names) ^ set(opts)}"
    for n in names:
        assert n in a, f"no root attribute for option -{n}"
        v = opts[n]
        assert a[n] == (int(v) if isinstance(v, bool) else v), f"-{n}: attr {a[n]!r} != {v!r}"
    assert (a["N"], a["steps"], a["nu0"], a["sgs_form"], a["ts"]) == (N, STEPS, 2e-4, "lap", "ssprk3")


def test_datasets(run):
    with truth(run) as f:
        w = f["/snapshots/omega"]
        assert w.shape == (3, N, N) and w.dtype == np.float64
        assert list(f["/snapshots/step"][()]) == [0, 10, 20]
        assert np.allclose(f["/snapshots/time"][()], [0, 0.1, 0.2], rtol=0, atol=1e-15)
        d = f["/diagnostics"]
        names = {"time", "step", "E", "Z", "P", "max_omega", "cfl", "nu_t_mean", "diss_Z", "inj_Z"}
        assert names <= set(d), names - set(d)
        assert all(d[k].shape == (5,) for k in names) and list(d["step"][()]) == [0, 5, 10, 15, 20]
        assert d["step"].dtype.kind == "i"
        assert f["/spectra"].shape == (3, N // 2 + 1) and list(f["/spectra_step"][()]) == [0, 10, 20]
        # snapshots and diagnostics agree: Z = 1/2 <w^2> and max|w| of the field
        for k, s in enumerate([0, 10, 20]):
            i = list(d["step"][()]).index(s)
            assert abs(0.5 * np.mean(w[k] ** 2) - d["Z"][i]) <= 1e-13 * d["Z"][i]
            assert abs(np.abs(w[k]).max() - d["max_omega"][i]) <= 1e-13 * d["max_omega"][i]
        # 2/3-dealiased state: no energy beyond N/2, so the shells sum to E
        E = d["E"][()][[0, 2, 4]]
        assert np.abs(f["/spectra"][()].sum(axis=1) - E).max() <= 1e-13 * E.max()
    r = subprocess.run(["/usr/bin/python3", str(SOURCE / "tools" / "dashi_h5check.py"),
                        str(run / "truth.h5")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_xdmf_sidecar(run):
    root = ET.parse(run / "truth.xmf").getroot()  # well-formed XML or this raises
    assert root.tag == "Xdmf"
    coll = root.find("Domain/Grid")
    assert coll.get("GridType") == "Collection" and coll.get("CollectionType") == "Temporal"
    grids = coll.findall("Grid")
    with truth(run) as f:
        times = f["/snapshots/time"][()]
    assert len(grids) == len(times) == 3
    for k, g in enumerate(grids):
        assert float(g.find("Time").get("Value")) == times[k]
        assert g.find("Topology").get("Dimensions") == f"{N} {N}"
        slab = g.find("Attribute/DataItem")
        assert slab.get("ItemType") == "HyperSlab" and slab.get("Dimensions") == f"{N} {N}"
        sel, src = slab.findall("DataItem")
        assert [int(x) for x in sel.text.split()] == [k, 0, 0, 1, 1, 1, 1, N, N]
        assert src.get("Format") == "HDF" and src.get("Dimensions") == f"3 {N} {N}"
        assert src.get("Precision") == "8"
        fname, dset = src.text.strip().split(":")
        assert dset == "/snapshots/omega"
        with h5py.File(run / fname, "r") as f:  # relative to the sidecar
            assert f[dset].shape == (3, N, N)


def test_manifest(run):
    with open(run.parent / "manifest.json") as m:
        man = json.load(m)
    entries = [e for e in man["runs"] if e["id"] == os.path.realpath(run)]
    assert len(entries) == 1, man
    e = entries[0]
    assert e["status"] == "completed" and e["command"] == "truth"
    assert e["solver_id"] == "spectral_les_v1" and e["step"] == STEPS
    assert e["parameters"]["N"] == N and e["parameters"]["ranks"] == 2
    assert (run / e["paths"]["truth"]).is_file()
    with open(run / "run.json") as r:
        assert json.load(r)["status"] == "completed"


def test_single_precision_file(ok_run, tmp_path):
    out = ok_run("-N", N, "-steps", 4, "-snapshot_every", 2, "-precision", "single", out=tmp_path / "s")
    with truth(out) as f:
        assert f["/snapshots/omega"].dtype == np.float32
        assert json.loads(text(f.attrs["solver_spec"]))["precision"] == "single"
    root = ET.parse(out / "truth.xmf").getroot()
    assert all(d.get("Precision") == "4" for d in root.iter("DataItem") if d.get("Format") == "HDF")
