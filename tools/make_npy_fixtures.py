#!/usr/bin/python3
"""Writes the tiny numpy-made .npy fixtures the C# reader is tested against.

Run from the repository root:  /usr/bin/python3 tools/make_npy_fixtures.py
Output: tests/GpuSearch.Tests/Fixtures/npy/*.npy (deterministic, a few KB in all).
Values are simple formulas so the C# tests can recompute them without a data file.
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "GpuSearch.Tests", "Fixtures", "npy")


def grid(rows, cols):
    # value(r, c) = r * 10 + c * 0.25 - 3: exact in f4 and f2, negative and fractional values included.
    r = np.arange(rows, dtype=np.float64)[:, None]
    c = np.arange(cols, dtype=np.float64)[None, :]
    return r * 10 + c * 0.25 - 3


def main():
    os.makedirs(OUT, exist_ok=True)
    save = lambda name, a, **kw: np.save(os.path.join(OUT, name), a, **kw)
    save("f4_3x5.npy", grid(3, 5).astype("<f4"))
    save("f2_4x3.npy", grid(4, 3).astype("<f2"))
    save("i8_1d_7.npy", (np.arange(7, dtype="<i8") - 3) * 1_000_000_007)
    save("i4_2x4.npy", (np.arange(8, dtype="<i4") - 4).reshape(2, 4) * 65537)
    save("i1_2x3.npy", np.array([[-128, -1, 0], [1, 64, 127]], dtype="i1"))
    save("u1_1d_5.npy", np.array([0, 1, 127, 128, 255], dtype="u1"))
    save("f4_0x4.npy", np.zeros((0, 4), dtype="<f4"))
    # Format 2.0 and 3.0 headers through the private-but-stable format module.
    from numpy.lib import format as fmt
    for ver in [(2, 0), (3, 0)]:
        with open(os.path.join(OUT, f"f4_2x2_v{ver[0]}.npy"), "wb") as f:
            fmt.write_array(f, grid(2, 2).astype("<f4"), version=ver)
    # Things the reader must refuse.
    save("bad_fortran_3x2.npy", np.asfortranarray(grid(3, 2).astype("<f4")))
    save("bad_bigendian_2x2.npy", grid(2, 2).astype(">f4"))
    save("bad_object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    save("bad_3d.npy", np.zeros((2, 2, 2), dtype="<f4"))
    save("bad_f8.npy", np.zeros((2,), dtype="<f8"))
    # Search results as numpy.savez writes them, to compare member layout with NpzWriter.
    np.savez(os.path.join(OUT, "results_np.npz"), ids=np.array([[3, 1], [0, 2]], dtype="<i8"),
             scores=np.array([[0.5, 0.25], [1.0, -1.0]], dtype="<f4"))


if __name__ == "__main__":
    main()
