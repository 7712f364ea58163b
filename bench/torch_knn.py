#!/usr/bin/env python3
"""torch_knn.py — PyTorch baseline for exact k-NN on a GPU: (q @ db.T).topk(k) in fp16 and fp32, the
numbers the fused scan has to beat at small batches. Random data (fixed seed) of the sizes given, or
--base/--queries .npy files. Times each (dtype, N, D, Q, k) with CUDA events after a warm-up, tiling the
database so the Q×N score matrix stays under --max-scores-gb, and prints one JSON line per case:
ms per batch, queries/s, effective GB/s of database read, TFLOP/s.

Usage (on the GPU machine):
  python3 bench/torch_knn.py --n 100000,1000000 --d 128,512 --q 1,64,1024,4096 --k 1,20,100,1000
--device cpu runs the same code on the CPU (fp32, perf_counter timing): bench/gpu/run.sh --dry-run uses it to check
the script without a GPU; its numbers are no baseline.
"""
import time
import argparse
import json
import sys

try:
    import torch
except ImportError:
    print(json.dumps({"error": "PyTorch is not installed"}))
    sys.exit(3)


def ints(s):
    return [int(x) for x in s.split(",") if x]


def knn(q, db, k, tile):
    """Exact top-k of q against db, db processed in tiles of `tile` rows, merged with a second topk."""
    best_v, best_i = None, None
    for start in range(0, db.shape[0], tile):
        s = q @ db[start:start + tile].T
        v, i = s.float().topk(min(k, s.shape[1]), dim=1)
        i = i + start
        if best_v is None:
            best_v, best_i = v, i
        else:
            v = torch.cat([best_v, v], dim=1)
            i = torch.cat([best_i, i], dim=1)
            best_v, idx = v.topk(k, dim=1)
            best_i = torch.gather(i, 1, idx)
    return best_v, best_i


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", default="1000000")
    ap.add_argument("--d", default="512")
    ap.add_argument("--q", default="1,64,1024,4096")
    ap.add_argument("--k", default="1,20,100,1000")
    ap.add_argument("--dtypes", default="fp16,fp32")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--max-scores-gb", type=float, default=4.0)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    a = ap.parse_args()
    cuda = a.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device"}))
        return 3
    dev = torch.device(a.device)
    name = torch.cuda.get_device_name(0) if cuda else "cpu"
    g = torch.Generator(device=dev).manual_seed(1)
    for n in ints(a.n):
        for d in ints(a.d):
            base32 = torch.rand((n, d), generator=g, device=dev) * 2 - 1
            for dt in a.dtypes.split(","):
                dtype = torch.float16 if dt == "fp16" and cuda else torch.float32
                db = base32.to(dtype)
                for nq in ints(a.q):
                    q = (torch.rand((nq, d), generator=g, device=dev) * 2 - 1).to(dtype)
                    tile = max(1024, min(n, int(a.max_scores_gb * 1e9 / (nq * 4))))
                    for k in ints(a.k):
                        knn(q, db, k, tile)  # warm-up
                        if cuda:
                            torch.cuda.synchronize()
                        times = []
                        for _ in range(a.repeat):
                            if not cuda:
                                t0 = time.perf_counter()
                                knn(q, db, k, tile)
                                times.append((time.perf_counter() - t0) * 1e3)
                                continue
                            e0 = torch.cuda.Event(enable_timing=True)
                            e1 = torch.cuda.Event(enable_timing=True)
                            e0.record()
                            knn(q, db, k, tile)
                            e1.record()
                            torch.cuda.synchronize()
                            times.append(e0.elapsed_time(e1))
                        best = min(times)
                        print(json.dumps({
                            "device": name, "torch": torch.__version__, "dtype": str(dtype).replace("torch.float", "fp"), "n": n, "d": d, "q": nq, "k": k,
                            "best_ms": best, "qps": nq / (best / 1e3),
                            "gbs": n * d * db.element_size() / (best / 1e3) / 1e9,
                            "tflops": 2.0 * nq * n * d / (best / 1e3) / 1e12,
                        }), flush=True)
                del db
            del base32
            if cuda:
                torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
