"""Time limits and faults (docs/cluster.md): SIGUSR1 sent to `mpiexec -n 2 dashi truth` mid-run
makes every rank write a checkpoint at the next step boundary and exit 75 (Open MPI's mpiexec
forwards SIGUSR1 to the ranks); `-resume auto` then finishes bit-identically to an uninterrupted
run. A corrupted newest checkpoint (truncated, or bytes flipped inside /omega_hat) is skipped with
a warning naming it, and the previous one is used; when every checkpoint is bad, -resume auto
refuses to start afresh over the run."""
import json
import shutil

import h5py
import pytest

from conftest import (EXIT_INPUT, EXIT_SIGNAL, checkpoints, ckpt_step, omega_hat, run, same_bits,
                      start_and_signal, truth_records)

NP = 2
STEPS = 4000
EVERY = 250
ARGS = ["-N", 64, "-steps", STEPS, "-checkpoint_every", EVERY, "-snapshot_every", 1000,
        "-spectra_every", 500, "-stats_every", 10, "-progress_every", EVERY, "-keep_checkpoints", 3]
WAIT_FOR = f"step {2 * EVERY}/{STEPS}"  # at least two periodic checkpoints exist before the signal


def truth_cmd(mpiexec, dashi_bin, *args):
    return [mpiexec, "--oversubscribe", "-n", NP, dashi_bin, "truth", *args]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, mpiexec, dashi_bin):
    d = tmp_path_factory.mktemp("ref") / "run"
    r = run(truth_cmd(mpiexec, dashi_bin, *ARGS, "-out", d))
    assert r.returncode == 0, r.log
    return d


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, mpiexec, dashi_bin):
    """A run stopped by SIGUSR1, plus untouched copies of its directory for the corruption tests."""
    root = tmp_path_factory.mktemp("sig")
    d = root / "run"
    rc, text = start_and_signal(truth_cmd(mpiexec, dashi_bin, *ARGS, "-out", d), WAIT_FOR, cwd=root)
    copies = {}
    for name in ("truncate", "flip", "all_bad"):
        copies[name] = root / f"copy_{name}"
        shutil.copytree(d, copies[name])
    return dict(rc=rc, text=text, dir=d, root=root, copies=copies)


def resume(mpiexec, dashi_bin, run_dir):
    # only -resume auto and -out: every other option (N, steps, cadences) comes from the checkpoint
    return run(truth_cmd(mpiexec, dashi_bin, "-resume", "auto", "-out", run_dir))


def assert_identical(run_dir, reference):
    ref_ckpt = reference / "checkpoints" / f"ckpt_{STEPS:08d}.h5"
    got_ckpt = run_dir / "checkpoints" / f"ckpt_{STEPS:08d}.h5"
    assert got_ckpt.is_file(), f"no final checkpoint {got_ckpt}"
    assert same_bits(omega_hat(got_ckpt), omega_hat(ref_ckpt)), "final /omega_hat differs from the uninterrupted run"
    a, b = truth_records(run_dir), truth_records(reference)
    assert list(a["snap_step"]) == list(b["snap_step"]), "snapshot records lost or duplicated"
    assert same_bits(a["omega"][-1], b["omega"][-1]), "last snapshot differs from the uninterrupted run"
    assert same_bits(a["omega"], b["omega"]), "some snapshot differs from the uninterrupted run"
    for k in b["diag"]:
        assert same_bits(a["diag"][k], b["diag"][k]), f"/diagnostics/{k} differs from the uninterrupted run"


def test_sigusr1_checkpoints_and_exits_75(interrupted):
    rc, text, d = interrupted["rc"], interrupted["text"], interrupted["dir"]
    assert rc == EXIT_SIGNAL, f"exit status {rc}, expected {EXIT_SIGNAL}:\n{text[-3000:]}"
    assert "signal 10 received" in text, text[-3000:]
    cks = checkpoints(d)
    newest = cks[-1]
    s = ckpt_step(newest)
    assert 2 * EVERY <= s < STEPS, f"checkpoint at step {s}: the signal did not stop the run mid-way"
    assert newest.name in text, "the stop message does not name the checkpoint it wrote"
    assert not list((d / "checkpoints").glob("*.tmp")), "a temporary checkpoint was left behind"
    with h5py.File(newest, "r") as f:
        assert int(f.attrs["step"]) == s and int(f.attrs["complete"]) == 1
    entry = json.loads((d / "run.json").read_text())
    assert entry["status"] == "interrupted: resumable" and entry["step"] == s, entry


def test_resume_auto_is_bit_identical(interrupted, reference, mpiexec, dashi_bin):
    d = interrupted["dir"]
    s = ckpt_step(checkpoints(d)[-1])
    r = resume(mpiexec, dashi_bin, d)
    assert r.returncode == 0, r.log
    assert f"ckpt_{s:08d}.h5" in r.stdout and "skipping" not in r.stdout + r.stderr, r.log
    assert_identical(d, reference)
    m = json.loads((interrupted["root"] / "manifest.json").read_text())
    e = [x for x in m["runs"] if x["id"] == str(d.resolve())]
    assert len(e) == 1 and e[0]["status"] == "completed" and e[0]["step"] == STEPS, e


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip(path):
    with h5py.File(path, "r") as f:
        off, size = f["omega_hat"].id.get_offset(), f["omega_hat"].id.get_storage_size()
    assert off is not None and size > 64, "omega_hat is not stored contiguously: cannot target its bytes"
    data = bytearray(path.read_bytes())
    for i in range(off + size // 3, off + size // 3 + 16):  # inside the data, not the HDF5 metadata
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupted_newest_checkpoint_is_skipped(damage, interrupted, reference, mpiexec, dashi_bin):
    d = interrupted["copies"][damage]
    cks = checkpoints(d)
    assert len(cks) >= 2, f"need two checkpoints, have {cks}"
    bad, previous = cks[-1], cks[-2]
    {"truncate": truncate, "flip": flip}[damage](bad)
    r = resume(mpiexec, dashi_bin, d)
    assert r.returncode == 0, r.log
    said = r.stdout + r.stderr
    warn = [line for line in said.splitlines() if "skipping checkpoint" in line]
    assert warn and bad.name in warn[0], f"no warning naming {bad.name}:\n{r.log}"
    assert ("truncated" in warn[0]) if damage == "truncate" else ("checksum" in warn[0]), warn[0]
    assert f"from {previous}" in said, f"resume did not start from {previous}:\n{r.log}"
    assert_identical(d, reference)


def test_all_checkpoints_bad_refuses_to_start_afresh(interrupted, mpiexec, dashi_bin):
    d = interrupted["copies"]["all_bad"]
    for c in checkpoints(d):
        truncate(c)
    before = (d / "truth.h5").read_bytes()
    r = resume(mpiexec, dashi_bin, d)
    assert r.returncode == EXIT_INPUT, r.log
    assert "none of the" in r.stderr and "can be used" in r.stderr, r.log
    assert (d / "truth.h5").read_bytes() == before, "the truth file was overwritten although resume failed"
