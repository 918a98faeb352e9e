"""Offline proxy commands: encode (checked against a numpy reference of SPEC §3), learn (fit
report), ensemble (scores, baselines, rank-count invariance) and the bad inputs: foreign N or
configuration, diverging operator (partial results kept), non-finite z0, missing files.
-proxy_backend vulkan: test_proxy_vulkan.py."""
import shutil

import numpy as np
import pytest
from conftest import INPUT, NUMERICS, USAGE, h5, reference_encode


def test_encode_matches_reference(zfile, truth32):
    with h5(zfile) as f, h5(truth32) as t:
        z, steps = f["z"][()], f["z_step"][()]
        lowk, anchors = f["lowk_modes"][()], f["anchors"][()]
        K, D, nL = int(f.attrs["K"]), int(f.attrs["D"]), int(f.attrs["nL"])
        assert D == 2 * nL + 4 + 2 * K == z.shape[1]
        assert list(steps) == list(range(61)) and f.attrs["status"] == b"complete"
        assert int(f["z"].attrs["encode_every"]) == 1 and float(f["z"].attrs["dt"]) == 0.01
        for i in (0, 30, 60):
            ref = reference_encode(t["snapshots/omega"][i], lowk, anchors)
            np.testing.assert_allclose(z[i], ref, rtol=0, atol=1e-12 * np.abs(ref).max(), equal_nan=False)
            assert z[i, 2 * nL] == ref[2 * nL]          # support fraction: exact count
        assert np.all(z[:, 2 * nL + 3] == K)


def test_anchors_frozen_and_in_mid_band(zfile):
    with h5(zfile) as f:
        a = f["anchors"][()]
        k2 = (a ** 2).sum(1)
        assert np.all((k2 > 64) & (k2 <= 144)) and np.all((a[:, 1] > 0) | (a[:, 0] > 0))


def test_learn_report(afile, zfile):
    with h5(afile) as f:
        A = f["A"]
        assert A.shape[0] == A.shape[1] == f.attrs["D"]
        assert int(A.attrs["pairs"]) == 60 and int(A.attrs["train_last_step"]) == 60
        assert 0 < A.attrs["spectral_radius"] < 1.5
        assert A.attrs["rank_deficient"] == 1        # 60 pairs < D: only the ridge makes it solvable
        assert A.attrs["rel_residual"] < 1e-2 and np.isfinite(A.attrs["cond"])
        assert f.attrs["truth_file"].decode().endswith("truth.h5")
        assert f.attrs["command"] == b"learn"


def test_learn_without_ridge_on_rank_deficient_window(dashi, work, zfile):
    r = dashi("learn", "-z", zfile, "-ridge", 0, "-out", work / "noridge")
    assert r.rc == NUMERICS and "rank-deficient" in r.error_line(), r


def ensemble(dashi, out, *args, np=1):
    return dashi("ensemble", "-out", out, "-progress_every", 0, *args, np=np)


def test_ensemble_scores_and_baselines(dashi, work, afile, zfile, truth32):
    out = work / "ens"
    r = ensemble(dashi, out, "-A", afile, "-z", zfile, "-truth", truth32, "-members", 2,
                 "-noise", 0, "-score_every", 20, "-save_decoded", 1, np=2)
    assert r.rc == 0, r
    with h5(out / "ensemble.h5") as f:
        e = f["ensemble"]
        assert list(e["step"][()]) == [0, 20, 40, 60]
        rel = e["scores/rel_l2"][()]
        ceil = e["baselines/encode_decode/rel_l2"][()]
        pers = e["baselines/persistence/rel_l2"][()]
        assert rel.shape == (2, 4) and np.all(np.isfinite(rel))
        # lead 0: z0 is the truth's encoding, so members (noise 0), persistence and ceiling agree
        assert rel[0, 0] == rel[1, 0] == ceil[0] == pers[0]
        assert np.all(e["baselines/encode_decode/z_err"][()] == 0)
        assert e["decoded"].shape == (4, 1, 32, 32) and e["truth"].shape == (4, 32, 32)
        assert np.all(np.abs(e["scores/corr"][()]) <= 1)
        assert f.attrs["status"] == b"complete"


def test_ensemble_rank_count_invariance(dashi, work, afile, zfile, truth32):
    res = []
    for np_ in (1, 2):
        out = work / f"ensinv{np_}"
        r = ensemble(dashi, out, "-A", afile, "-z", zfile, "-truth", truth32, "-members", 4,
                     "-score_every", 30, np=np_)
        assert r.rc == 0, r
        with h5(out / "ensemble.h5") as f:
            res.append({k: f["ensemble/" + k][()] for k in
                        ("scores/rel_l2", "scores/corr", "carrier/alive", "z_mean")})
    for k in res[0]:
        np.testing.assert_allclose(res[0][k], res[1][k], rtol=1e-12, atol=0, equal_nan=False, err_msg=k)


def test_kernel_only_needs_no_truth(dashi, work, afile, zfile):
    out = work / "ko"
    r = ensemble(dashi, out, "-kernel_only", "-A", afile, "-z", zfile, "-members", 2,
                 "-score_every", 10, "-ens_steps", 60)
    assert r.rc == 0, r
    with h5(out / "ensemble.h5") as f:
        assert "scores" not in f["ensemble"] or len(f["ensemble/scores"]) == 0
        assert f["ensemble/carrier/alive"].shape == (2, 7)


def test_truth_of_another_N(dashi, ok, work, afile, zfile):
    t64 = work / "t64"
    ok("truth", "-N", 64, "-steps", 2, "-snapshot_every", 1, "-progress_every", 0, "-out", t64)
    r = ensemble(dashi, work / "ens64", "-A", afile, "-z", zfile, "-truth", t64 / "truth.h5",
                 "-ens_steps", 2)
    assert r.rc == INPUT and "N=64" in r.error_line() and "N=32" in r.error_line(), r


def test_proxy_files_of_another_config(dashi, ok, work, afile, truth32):
    ok("encode", "-truth", truth32, "-k_cut", 6, "-out", work / "enc6")
    r = ensemble(dashi, work / "ens6", "-A", afile, "-z", work / "enc6" / "z.h5", "-kernel_only",
                 "-ens_steps", 10)
    assert r.rc == INPUT and "k_cut" in r.error_line(), r


def test_diverging_operator_keeps_partial_results(dashi, work, afile, zfile, truth32):
    bad = work / "A_diverging.h5"
    shutil.copy(afile, bad)
    import h5py
    with h5py.File(bad, "r+") as f:
        f["A"][...] = f["A"][()] * 1e6
    out = work / "ensbad"
    r = ensemble(dashi, out, "-A", bad, "-z", zfile, "-truth", truth32, "-members", 2,
                 "-score_every", 10)
    assert r.rc == NUMERICS and "diverged" in r.error_line(), r
    with h5(out / "ensemble.h5") as f:
        assert f.attrs["status"].startswith(b"failed: rollout diverged")
        steps = f["ensemble/step"][()]
        assert 1 <= len(steps) < 7 and steps[0] == 0
        # a growing but still finite state is scored (rel L2 huge, not an overflow)
        assert np.all(np.isfinite(f["ensemble/scores/rel_l2"][()]))
        assert np.all(np.isfinite(f["ensemble/z_mean"][()]))


def test_nonfinite_z0(dashi, work, afile, zfile):
    bad = work / "z_nan.h5"
    shutil.copy(zfile, bad)
    import h5py
    with h5py.File(bad, "r+") as f:
        f["z"][5, 3] = np.nan
    r = ensemble(dashi, work / "ensnan", "-A", afile, "-z", bad, "-start", 5, "-kernel_only",
                 "-ens_steps", 5)
    assert r.rc == INPUT and "non-finite" in r.error_line(), r


@pytest.mark.parametrize("args,code,text", [
    (["-members", 3], USAGE, "not divisible"),
    (["-score_every", 0], USAGE, "positive multiple"),
    (["-decode_N", 64], USAGE, "at most"),
])
def test_bad_ensemble_options(dashi, work, afile, zfile, truth32, args, code, text):
    r = ensemble(dashi, work / "ensbadopt", "-force", "-A", afile, "-z", zfile, "-truth", truth32,
                 *args, np=2)
    assert r.rc == code and text in r.error_line(), r


def test_missing_inputs(dashi, work):
    r = dashi("encode", "-truth", work / "nope.h5", "-out", work / "encnope")
    assert r.rc == INPUT and "does not exist" in r.error_line(), r
    r = dashi("learn", "-out", work / "learnnope")
    assert r.rc == USAGE and "-z FILE" in r.error_line(), r
