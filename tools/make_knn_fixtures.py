#!/usr/bin/env python3
"""make_knn_fixtures.py — writes the small FAISS-parity fixture for the `gpusearch knn` tests into
tests/GpuSearch.Tests/Fixtures/knn/ (fixed seed; total well under 300 KB):

  base.npy        1500×24 float32, normal(0,1), 20% of rows exact duplicates of earlier rows (ties)
  base_f16.npy    the same as float16 ('<f2'), to exercise the half-precision .npy path
  queries.npy     20×24 float32
  faiss_ip_k50_ids.npy / faiss_ip_k50_scores.npy    FAISS IndexFlatIP top-50 (int64 / float32)
  faiss_l2_k50_ids.npy / faiss_l2_k50_scores.npy    FAISS IndexFlatL2 top-50

Run with Debian's python3 (apt-get install python3-numpy python3-faiss): /usr/bin/python3 tools/make_knn_fixtures.py
"""
import os
import sys

import numpy as np

try:
    import faiss
except ImportError:
    sys.exit("python3-faiss is required: apt-get install python3-faiss")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "GpuSearch.Tests", "Fixtures", "knn")


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261122)
    n, d, nq, k = 1500, 24, 20, 50
    xb = rng.standard_normal((n, d)).astype(np.float32)
    dup = rng.random(n) < 0.2
    for i in np.nonzero(dup)[0]:
        if i > 0:
            xb[i] = xb[rng.integers(0, i)]
    xq = rng.standard_normal((nq, d)).astype(np.float32)
    np.save(os.path.join(OUT, "base.npy"), xb)
    np.save(os.path.join(OUT, "base_f16.npy"), xb.astype(np.float16))
    np.save(os.path.join(OUT, "queries.npy"), xq)
    for name, index in (("ip", faiss.IndexFlatIP(d)), ("l2", faiss.IndexFlatL2(d))):
        index.add(xb)
        dist, ids = index.search(xq, k)
        np.save(os.path.join(OUT, f"faiss_{name}_k{k}_ids.npy"), ids.astype(np.int64))
        np.save(os.path.join(OUT, f"faiss_{name}_k{k}_scores.npy"), dist.astype(np.float32))
    print(f"wrote fixtures to {os.path.normpath(OUT)} (faiss {faiss.__version__})")


if __name__ == "__main__":
    main()
