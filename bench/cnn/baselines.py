#!/usr/bin/env python3
"""CPU baselines for bench/cnn/run.sh: images/s of PyTorch and OpenCV DNN for one model and batch size.

usage: baselines.py torch ARCH BATCH SIZE        ARCH: a torchvision constructor, e.g. mobilenet_v2,
                                                 mobilenet_v2@0.35 (width multiplier), inception_v3
       baselines.py torchgpu ARCH BATCH SIZE fp32|fp16   (PyTorch eager on CUDA, channels_last, CUDA-event timing)
       baselines.py opencv MODEL.onnx BATCH SIZE
       baselines.py export ARCH OUT.onnx SIZE     (random weights, dynamic batch, opset 17)
       baselines.py torchref ARCH IN.npy OUT.npy  (PyTorch's output for the same random weights: parity check)
Prints one line: '<images/s> <best ms>'. Both use 2 threads (the machine's cores), best of several runs
(at least $BENCH_RUNS, default 3, after a warm-up: run.sh lowers it for batch 256, where one run takes minutes).
"""
import os
import sys
import time

import numpy as np


def timed(run, batch, min_runs=int(os.environ.get("BENCH_RUNS", "3")), budget_s=3.0):
    run()  # warm-up: allocation, layout conversion, first-touch
    best, total, runs = float("inf"), 0.0, 0
    while runs < min_runs or (total < budget_s and runs < 30):
        t = time.perf_counter()
        run()
        dt = time.perf_counter() - t
        best, total, runs = min(best, dt), total + dt, runs + 1
    return batch / best, best * 1000


def torch_model(arch):
    # tools/torchvision_export.py builds (and exports) the same way for the parity tests.
    sys.path.insert(0, __file__.rsplit("/", 3)[0] + "/tools")
    from torchvision_export import build
    return build(arch, seed=0)


def torch_gpu(arch, batch, size, dtype):
    """PyTorch eager on the GPU as users run it for throughput: channels_last, fp16 or fp32, no autograd.
    Best of several timed passes after warm-up (cuDNN autotuning), timed with CUDA events."""
    import torch
    if not torch.cuda.is_available():
        raise SystemExit("torchgpu: no CUDA device")
    torch.backends.cudnn.benchmark = True
    dt = torch.float16 if dtype == "fp16" else torch.float32
    m = torch_model(arch).cuda().to(dt).to(memory_format=torch.channels_last)
    x = torch.rand(batch, 3, size, size, device="cuda", dtype=dt).to(memory_format=torch.channels_last)
    best = float("inf")
    with torch.no_grad():
        for _ in range(5):
            m(x)
        torch.cuda.synchronize()
        for _ in range(20):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            m(x)
            end.record()
            end.synchronize()
            best = min(best, start.elapsed_time(end))
    return batch / (best / 1000), best


def main():
    kind, what, a2, a3 = sys.argv[1:5]
    if kind == "torchref":
        import torch
        with torch.no_grad():
            y = torch_model(what)(torch.from_numpy(np.load(a2))).numpy()
        np.save(a3, y.astype(np.float32))
        return
    if kind == "export":
        sys.path.insert(0, __file__.rsplit("/", 3)[0] + "/tools")
        from torchvision_export import export
        export(torch_model(what), a2, 17, int(a3), output_name="output")
        return
    if kind == "torchgpu":
        ips, ms = torch_gpu(what, int(a2), int(a3), sys.argv[5])
        print(f"{ips:.2f} {ms:.2f}")
        return
    batch, size = int(a2), int(a3)
    x = np.random.default_rng(0).uniform(0, 1, (batch, 3, size, size)).astype(np.float32)
    if kind == "torch":
        import torch
        torch.set_num_threads(2)
        m = torch_model(what)
        xt = torch.from_numpy(x)
        with torch.no_grad():
            ips, ms = timed(lambda: m(xt), batch)
    elif kind == "opencv":
        import cv2
        sys.path.insert(0, __file__.rsplit("/", 3)[0] + "/tools")
        from make_cnn_fixtures import opencv_compatible
        cv2.setNumThreads(2)
        net = cv2.dnn.readNetFromONNX(opencv_compatible(what))

        def run():
            net.setInput(x)
            net.forward()
        ips, ms = timed(run, batch)
    else:
        raise SystemExit(f"unknown kind {kind}")
    print(f"{ips:.2f} {ms:.1f}")


if __name__ == "__main__":
    main()
