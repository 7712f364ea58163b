#!/usr/bin/env python3
"""faiss_knn.py — FAISS baseline for `gpusearch-bench knn`: exact IndexFlatIP / IndexFlatL2 on the same
data in the same run. Reads base and queries (.npy, float32), searches `--repeat` times after one
warm-up and prints one JSON line: best and median seconds per batch, queries/s, and optionally writes
the ids/scores of the last run (.npz) so the harness can check agreement.

Usage: faiss_knn.py BASE.npy QUERIES.npy K {ip,l2} [--repeat N] [--threads T] [--out result.npz]
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np

try:
    import faiss
except ImportError:  # the harness reports this line instead of a ratio
    print(json.dumps({"error": "python3-faiss is not installed (apt-get install python3-faiss)"}))
    sys.exit(3)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("queries")
    ap.add_argument("k", type=int)
    ap.add_argument("metric", choices=["ip", "l2"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="OpenMP threads (0: FAISS default)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.threads > 0:
        faiss.omp_set_num_threads(a.threads)
    xb = np.ascontiguousarray(np.load(a.base, mmap_mode="r"), dtype=np.float32)
    xq = np.ascontiguousarray(np.load(a.queries), dtype=np.float32)
    index = faiss.IndexFlatIP(xb.shape[1]) if a.metric == "ip" else faiss.IndexFlatL2(xb.shape[1])
    index.add(xb)
    index.search(xq, a.k)  # warm-up
    times = []
    cpu0 = time.process_time()  # CPU seconds of all threads: on a shared machine the per-core cost beside wall time
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        dist, ids = index.search(xq, a.k)
        times.append(time.perf_counter() - t0)
    cpu_s = (time.process_time() - cpu0) / a.repeat
    if a.out:
        np.savez(a.out, ids=ids.astype(np.int64), scores=dist.astype(np.float32))
    best = min(times)
    print(json.dumps({
        "faiss_version": faiss.__version__, "threads": faiss.omp_get_max_threads(),
        "n": int(xb.shape[0]), "d": int(xb.shape[1]), "q": int(xq.shape[0]), "k": a.k, "metric": a.metric,
        "best_s": best, "median_s": statistics.median(times), "qps": xq.shape[0] / best,
        "cpu_s": cpu_s,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
