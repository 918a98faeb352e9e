"""Shared helpers for the dashi post-processing tools: reading truth files (docs/file-formats.md)
with clear errors, and spectral resampling."""
import math
import os
import sys

import h5py
import numpy as np

from dashi_tool import ToolError  # noqa: F401 (the tools import it from here)

L = 2 * math.pi
FORMAT = "dashi-truth-1"
SOLVER_ID = "spectral_les_v1"
ROOT_ATTRS = ("solver_id", "solver_spec", "implementation_spec", "options", "format", "N")
JSON_ATTRS = ("solver_spec", "implementation_spec", "options")
DIAGNOSTICS = ("time", "step", "E", "Z", "P", "max_omega", "cfl", "nu_t_mean", "diss_Z", "inj_Z")


def open_truth(path):
    """Open an HDF5 file read-only, or raise ToolError naming it."""
    if not os.path.isfile(path):
        raise ToolError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise ToolError(f"{path}: cannot open as HDF5 ({e})") from None


def dataset(f, name, nonempty=True):
    """The h5py dataset `name` of file f; ToolError if it is missing (or empty, when nonempty)."""
    obj = f.get(name)
    if obj is None:
        raise ToolError(f"{f.filename}: dataset {name} is missing")
    if not isinstance(obj, h5py.Dataset):
        raise ToolError(f"{f.filename}: {name} is not a dataset")
    if nonempty and obj.size == 0:
        raise ToolError(f"{f.filename}: dataset {name} is empty")
    return obj


def read(f, name, nonempty=True):
    """The whole dataset `name` as a numpy array."""
    return dataset(f, name, nonempty)[()]


def read_series(f, names):
    """Read several 1-D datasets that must all have the same length; returns a list of arrays."""
    arrays = [read(f, n) for n in names]
    for n, a in zip(names, arrays):
        if a.ndim != 1 or len(a) != len(arrays[0]):
            raise ToolError(f"{f.filename}: dataset {n} has shape {a.shape}, "
                            f"expected ({len(arrays[0])},) like {names[0]}")
    return arrays


def record(f, name, index):
    """Record `index` (Python-style, negative counts from the end) along the first axis of
    dataset `name`; returns (array, nonnegative index). A dataset of rank 2 is a single record."""
    ds = dataset(f, name)
    if ds.ndim == 2:
        return ds[()], 0
    if ds.ndim != 3:
        raise ToolError(f"{f.filename}: dataset {name} has shape {ds.shape}, expected [T, N, N] or [N, N]")
    n = ds.shape[0]
    if not -n <= index < n:
        raise ToolError(f"{f.filename}: index {index} is out of range for {name} ({n} records)")
    return ds[index], index % n


def attr(f, name, default=None):
    """Root attribute `name` as a plain Python value (strings decoded, 1-element arrays unwrapped)."""
    if name not in f.attrs:
        return default
    v = f.attrs[name]
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(())[()]
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8", "replace")
    return v.item() if isinstance(v, np.generic) else v


def spectral_resample(a, shape):
    """Resample the periodic 2-D field `a` onto a grid of `shape` by Fourier truncation (or zero
    padding): keep modes with |k| < min(n_in, n_out)/2 on each axis (the Nyquist mode is dropped),
    scaled by the ratio of point counts so that grid values, not sums, are preserved."""
    a = np.asarray(a, dtype=np.float64)
    if a.shape == tuple(shape):
        return a.copy()
    spec = np.fft.fft2(a)
    out = np.zeros(shape, dtype=complex)
    src, dst = [], []
    for n_in, n_out in zip(a.shape, shape):
        k = np.fft.fftfreq(n_in, 1.0 / n_in).astype(int)
        keep = np.flatnonzero(np.abs(k) < min(n_in, n_out) / 2)
        src.append(keep)
        dst.append(k[keep] % n_out)
    out[np.ix_(*dst)] = spec[np.ix_(*src)]
    return np.fft.ifft2(out).real * (np.prod(shape) / a.size)


def run_main(main, prog):
    """Run main(); a ToolError becomes 'prog: error: message' on stderr and its exit code."""
    try:
        sys.exit(main() or 0)
    except ToolError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(e.code)
