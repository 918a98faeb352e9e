"""Coupled `dashi run`: the proxy outputs do not depend on the size of the proxy group (2 LES + 1
proxy rank = 2 + 2) nor on the queue depth (order and completeness of the LES -> proxy stream);
the kernel-only ensemble from the run's proxy file reproduces the in-situ one; bad rank groups and
options are clear errors; a failing proxy lets the LES finish and keeps its partial results."""
import json

import numpy as np
import pytest
from conftest import NUMERICS, USAGE, h5

COMMON = ["-N", 32, "-steps", 40, "-train_steps", 20, "-score_every", 10, "-members", 4,
          "-snapshot_every", 10, "-progress_every", 0, "-save_decoded", 1]
COMPARED = ["z", "z_step", "A", "anchors", "ensemble/z0", "ensemble/z_mean", "ensemble/z_true",
            "ensemble/step", "ensemble/scores/rel_l2", "ensemble/scores/corr",
            "ensemble/scores/z_err", "ensemble/carrier/alive", "ensemble/carrier/gain",
            "ensemble/carrier/history", "ensemble/baselines/persistence/rel_l2",
            "ensemble/baselines/encode_decode/rel_l2", "ensemble/decoded"]


@pytest.fixture(scope="module")
def runs(ok, work):
    """the same coupled run on 2+1, 2+2 ranks and with a queue of depth 1"""
    out = {}
    for tag, np_, extra in (("2+1", 3, []), ("2+2", 4, ["-les_ranks", 2]),
                            ("q1", 3, ["-queue_depth", 1])):
        out[tag] = work / f"run{tag}"
        r = ok("run", *COMMON, *extra, "-out", out[tag], np=np_)
        out[tag + ":stdout"] = r.stdout
    return out


def read(path, names):
    with h5(path) as f:
        return {n: f[n][()] for n in names}


@pytest.mark.parametrize("other", ["2+2", "q1"])
def test_same_proxy_outputs(runs, other):
    a = read(runs["2+1"] / "proxy.h5", COMPARED)
    b = read(runs[other] / "proxy.h5", COMPARED)
    for n in COMPARED:
        assert a[n].shape == b[n].shape, n
        np.testing.assert_allclose(a[n], b[n], rtol=1e-12, atol=0, equal_nan=False, err_msg=n)


def test_run_outputs(runs):
    with h5(runs["2+1"] / "proxy.h5") as f:
        assert f.attrs["status"] == b"complete" and f.attrs["command"] == b"run"
        assert list(f["z_step"][()]) == list(range(41))
        assert int(f["A"].attrs["train_first_step"]) == 0 and int(f["A"].attrs["train_last_step"]) == 20
        e = f["ensemble"]
        assert list(e["step"][()]) == [20, 30, 40] and int(e.attrs["start_step"]) == 20
        # the ensemble starts from the truth state at the end of the training window
        np.testing.assert_array_equal(e["z0"][()], f["z"][20])
        np.testing.assert_array_equal(e["z_true"][()], f["z"][[20, 30, 40]])
        assert e["decoded"].shape == (3, 1, 32, 32) and np.all(np.isfinite(e["truth"][()]))
    with h5(runs["2+1"] / "truth.h5") as t:
        assert list(t["snapshots/step"][()]) == [0, 10, 20, 30, 40]
    m = json.loads((runs["2+1"] / "run.json").read_text())
    assert m["command"] == "run" and m["proxy_id"] == "dashi_v4" and m["paths"]["proxy"] == "proxy.h5"
    assert m["proxy"]["proxy_ranks"] == 1 and m["proxy"]["frames"] == 41
    assert "the LES waited" in runs["2+1:stdout"]


def test_kernel_only_reproduces_in_situ(ok, runs, work):
    out = work / "ko_run"
    ok("ensemble", "-kernel_only", "-A", runs["2+1"] / "proxy.h5", "-start", 20, "-ens_steps", 20,
       "-score_every", 10, "-members", 4, "-save_decoded", 1, "-progress_every", 0, "-out", out,
       np=2)
    names = ["ensemble/z0", "ensemble/z_mean", "ensemble/step", "ensemble/carrier/alive",
             "ensemble/carrier/gain", "ensemble/carrier/history", "ensemble/carrier/p95_life",
             "ensemble/decoded"]
    a, b = read(runs["2+1"] / "proxy.h5", names), read(out / "ensemble.h5", names)
    for n in names:
        np.testing.assert_allclose(a[n], b[n], rtol=1e-12, atol=0, equal_nan=False, err_msg=n)


@pytest.mark.parametrize("np_,args,code,text", [
    (2, ["-les_ranks", 2], USAGE, "at least one rank"),
    (1, [], USAGE, "at least 2 ranks"),
    (3, ["-les_ranks", 1, "-members", 3], USAGE, "members 3"),
    (3, ["-train_steps", 40], USAGE, "train_steps"),
    (3, ["-score_every", 5, "-encode_every", 2], USAGE, "score_every"),
])
def test_bad_run_options(dashi, work, np_, args, code, text):
    opts = dict(zip(COMMON[::2], COMMON[1::2]))
    opts.update(dict(zip(args[::2], args[1::2])))
    flat = [x for kv in opts.items() for x in kv]
    r = dashi("run", *flat, "-out", work / "badrun", np=np_)
    assert r.rc == code and text in r.error_line(), r
    assert not (work / "badrun" / "truth.h5").exists()


def test_proxy_failure_lets_the_les_finish(dashi, work):
    out = work / "run_noridge"
    r = dashi("run", *COMMON, "-ridge", 0, "-out", out, np=3)
    assert r.rc == NUMERICS and "rank-deficient" in r.error_line(), r
    with h5(out / "truth.h5") as t:
        assert list(t["snapshots/step"][()]) == [0, 10, 20, 30, 40]   # the truth run completed
    with h5(out / "proxy.h5") as f:
        assert f.attrs["status"].startswith(b"failed: learn")
        assert f["z"].shape[0] == 41 and "A" not in f                  # frames kept, nothing learned
    m = json.loads((out / "run.json").read_text())
    assert m["proxy"]["status"] == "failed" and "proxy failed" in m["status"]


def test_continued_run_keeps_the_earlier_proxy_file(ok, work):
    """-restart starts the proxy afresh; the earlier segment's proxy.h5 is kept, never overwritten"""
    out = work / "run_continued"
    ok("run", *COMMON, "-checkpoint_every", 20, "-out", out, np=3)
    with h5(out / "proxy.h5") as f:
        first = f["z"][()]
    r = ok("run", *COMMON, "-restart", out / "checkpoints" / "ckpt_00000020.h5", "-out", out, np=3)
    kept = out / "proxy.before_step20.h5"
    assert str(kept) in r.stdout, r.stdout
    with h5(kept) as f:
        assert f.attrs["status"] == b"complete" and np.array_equal(f["z"][()], first)
    with h5(out / "proxy.h5") as f:
        assert f["z_step"][0] == 20 and f["z"].shape[0] == 21
