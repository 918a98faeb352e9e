"""The error convention and CSV output shared by the dashi tools (standard library only, so that the
tools that need no HDF5 do not import h5py)."""
import csv


class ToolError(Exception):
    """An error to report as one line (no traceback); code is the process exit status."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


def write_csv(path, columns, rows):
    """rows (dicts) as CSV under a header of columns; a missing or None value is an empty cell.
    OSError propagates."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
