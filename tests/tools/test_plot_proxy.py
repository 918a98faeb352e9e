"""dashi_plot proxy: scores vs lead time with the baselines, and the triptych when decoded fields
are stored (layout of docs/proxy.md)."""
import h5py
import numpy as np


def make_proxy(path, M=4, Ts=5, n=32, decoded=True):
    rng = np.random.default_rng(3)
    with h5py.File(path, "w") as f:
        e = f.create_group("ensemble")
        e.attrs["start_step"] = 100
        e["step"] = 100 + 10 * np.arange(Ts)
        e["time"] = 0.01 * e["step"][()]
        for name in ("rel_l2", "corr"):
            e[f"scores/{name}"] = rng.random((M, Ts))
            for base in ("persistence", "encode_decode"):
                e[f"baselines/{base}/{name}"] = rng.random(Ts)
        if decoded:
            e["truth"] = rng.standard_normal((Ts, n, n))
            e["decoded"] = rng.standard_normal((Ts, 1, n, n))


def test_proxy_scores_and_triptych(tmp_path, run_tool, png):
    p = tmp_path / "proxy.h5"
    make_proxy(p)
    r = run_tool("dashi_plot.py", "proxy", str(p), "-o", str(tmp_path / "s.png"))
    assert r.returncode == 0, r.stderr
    png(tmp_path / "s.png")
    png(tmp_path / "s_triptych.png")


def test_proxy_without_decoded_draws_scores_only(tmp_path, run_tool, png):
    p = tmp_path / "proxy.h5"
    make_proxy(p, decoded=False)
    r = run_tool("dashi_plot.py", "proxy", str(p))
    assert r.returncode == 0, r.stderr
    png(tmp_path / "proxy_scores.png")
    assert not (tmp_path / "proxy_scores_triptych.png").exists()


def test_proxy_missing_scores_is_a_clear_error(tmp_path, run_tool):
    p = tmp_path / "proxy.h5"
    with h5py.File(p, "w") as f:
        f["ensemble/step"] = np.arange(3)
    r = run_tool("dashi_plot.py", "proxy", str(p))
    assert r.returncode == 2 and "scores/rel_l2" in r.stderr, r.stderr
