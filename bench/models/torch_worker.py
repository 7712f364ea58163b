#!/usr/bin/env python3
"""PyTorch CPU contender for `gpusearch-bench ort --torch ARCH`: a long-lived worker, so the C# harness can
interleave PyTorch runs with the engine's and ONNX Runtime's in one process tree.

    /usr/bin/python3 bench/models/torch_worker.py ARCH THREADS

Builds torchvision ARCH exactly as tools/torchvision_export.py does for the ONNX export (same seed, same weights),
then answers one line per request on stdin:
    load IN.npy      -> "ok"                       keep IN as the input batch
    run [OUT.npy]    -> "done WALL_S CPU_S"        one forward pass under no_grad; CPU_S is this process's CPU time
                                                   for it (all threads); OUT.npy gets the output when given
Errors answer "error MESSAGE" on one line.
"""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from torchvision_export import build  # noqa: E402


def main():
    arch, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    model = build(arch)
    x = None
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        try:
            if parts[0] == "load":
                x = torch.from_numpy(np.load(parts[1]))
                print("ok", flush=True)
            elif parts[0] == "run":
                c0, t0 = time.process_time(), time.perf_counter()
                with torch.no_grad():
                    y = model(x)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                if len(parts) > 1:
                    np.save(parts[1], y.numpy().astype(np.float32))
                print(f"done {wall:.6f} {cpu:.6f}", flush=True)
            else:
                print(f"error unknown request {parts[0]}", flush=True)
        except Exception as e:  # noqa: BLE001 - the harness shows the message
            print(f"error {type(e).__name__}: {e}".replace("\n", " "), flush=True)


if __name__ == "__main__":
    main()
