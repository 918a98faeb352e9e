"""Snapshots and periodic checkpoints written by a background thread (-async_output, the default;
src/io/truth_file.c, src/app/les_driver.c) and a truth file that runs out of room.

1. The truth file and the checkpoints of a run whose snapshots and periodic checkpoints are
   written in the background are the same, dataset by dataset and byte for byte (checkpoints:
   their state, step, time and checksum), as those of a run that waits for each write (1 and 2
   ranks), and the summary counts the background writes.
2. A snapshot that would not fit (here: a limit on file size, `ulimit -f`, which a full disk acts
   like) ends the run with the I/O exit status and a message naming the snapshot, the file and the
   limit; the state of that step is checkpointed first and the truth file stays readable with every
   snapshot before. Lifting the limit, `-resume auto` completes the run, and its truth file equals
   that of a run never stopped."""
import resource
import signal
import subprocess

import h5py
import numpy as np
import pytest

from conftest import checkpoint, truth
from dashi_testenv import mpi_env, need

IO = 6  # DASHI_ERR_IO
ARGS = ["-N", 32, "-dt", 0.01, "-forcing", "ring", "-seed", 3, "-stats_every", 1,
        "-spectra_every", 4, "-snapshot_every", 2, "-checkpoint_every", 10, "-progress_every", 0]


def datasets(out):
    """every dataset of the truth file: name -> array"""
    found = {}
    with truth(out) as f:
        f.visititems(lambda name, o: found.__setitem__(name, o[()]) if isinstance(o, h5py.Dataset)
                     else None)
    return found


def assert_same_file(a, b):
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db)
    for name in da:
        assert da[name].dtype == db[name].dtype and da[name].shape == db[name].shape, name
        assert da[name].tobytes() == db[name].tobytes(), f"/{name} differs"


@pytest.mark.parametrize("np_", [1, 2])
def test_background_writes_change_nothing(dashi, tmp_path, np_):
    runs = {}
    for mode in ("true", "false"):
        r = dashi(*ARGS, "-steps", 30, "-async_output", mode, np=np_, out=tmp_path / mode)
        assert r.rc == 0, r
        runs[mode] = r
    # checkpoints at 10 and 20 in the background, the final one (30) before the run ends
    assert "16 snapshot(s) and 2 checkpoint(s) written while the loop went on" \
        in runs["true"].stdout, runs["true"]
    assert "background:" not in runs["false"].stdout, runs["false"]
    with truth(tmp_path / "true") as f:
        assert list(f["/snapshots/step"][()]) == list(range(0, 31, 2))
    assert_same_file(tmp_path / "true", tmp_path / "false")
    assert (tmp_path / "true/truth.xmf").read_text() == (tmp_path / "false/truth.xmf").read_text()
    for step in (10, 20, 30):
        with h5py.File(checkpoint(tmp_path / "true", step), "r") as a, \
                h5py.File(checkpoint(tmp_path / "false", step), "r") as b:
            assert a["/omega_hat"][()].tobytes() == b["/omega_hat"][()].tobytes(), step
            for k in ("step", "time", "checksum", "complete"):
                assert a.attrs[k] == b.attrs[k], (step, k)


# a limit on file size for the run (mpiexec and its ranks inherit it); mpiexec's own shared
# memory files need a few MiB, so N = 128 snapshots (128 KiB) fill it after ~120
LIMIT = 16 << 20
BIG = ["-N", 128, "-dt", 0.01, "-seed", 4, "-stats_every", 2, "-spectra_every", 0,
       "-snapshot_every", 2, "-checkpoint_every", 50, "-progress_every", 0]


def run_limited(args, np_, out):
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    argv = [need("DASHI_MPIEXEC"), "--oversubscribe", "-n", str(np_), need("DASHI_BIN"), "truth"]
    argv += [str(a) for a in args] + ["-out", str(out)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, preexec_fn=limit,
                          env=mpi_env(OMPI_MCA_odls_base_sigkill_timeout="0"))


@pytest.mark.parametrize("np_", [1, 2])
def test_snapshot_that_does_not_fit(dashi, tmp_path, np_):
    steps = 300
    full = tmp_path / "full"
    r = dashi(*BIG, "-steps", steps, np=np_, out=full)
    assert r.rc == 0, r
    assert (full / "truth.h5").stat().st_size > LIMIT, "the case must outgrow the limit"

    out = tmp_path / "limited"
    p = run_limited(BIG + ["-steps", steps], np_, out)
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    assert p.returncode == IO and err, (p.returncode, p.stdout[-2000:], p.stderr[-3000:])
    err = err[0]
    assert "ulimit -f" in err and str(out / "truth.h5") in err, err
    stop = int(err.split("the snapshot of step ")[1].split()[0])
    assert 0 < stop < steps and stop % 2 == 0, err
    assert checkpoint(out, stop).is_file(), "the state of the failing step was not checkpointed"
    assert f"-resume auto -out {out}" in err, err
    with truth(out) as f:  # readable, every snapshot before the one refused
        assert list(f["/snapshots/step"][()]) == list(range(0, stop, 2))

    r = dashi(*BIG, "-steps", steps, "-resume", "auto", np=np_, out=out)
    assert r.rc == 0, r
    assert_same_file(out, full)
