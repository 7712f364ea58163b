#!/usr/bin/env python3
"""Writes a PyTorch parity fixture for one torchvision architecture: the ONNX export and PyTorch's own output.

    /usr/bin/python3 tools/make_torchvision_parity.py ARCH OPSET OUT_DIR
    /usr/bin/python3 tools/make_torchvision_parity.py --many ROOT ARCH:OPSET [ARCH:OPSET ...]

OUT_DIR gets model.onnx (random weights after torch.manual_seed(0), BatchNorm statistics estimated on random
images so activations stay near unit scale, dynamic batch, input 'input', output
'logits'), input.npy (2 different fixed-seed 224x224 images (64x64 for the reduced 'vit_tiny'), ImageNet-normalised, so batch independence is
checked), expected.npy (PyTorch's float32 logits under no_grad) and meta.json (versions, arch, opset).
--many writes ROOT/ARCH_opOPSET for each pair in one process, which saves importing torch once per model.

tests/GpuSearch.Tests/Models/TorchvisionParityTests.cs runs this to fill its cache. The directory appears
atomically (built under a temporary name, then renamed), so a killed run never leaves a half fixture.
Needs Debian's python3-torch and python3-torchvision.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_export import build, export, input_size  # noqa: E402

FILES = ("model.onnx", "input.npy", "expected.npy", "meta.json")
SEED = 0
BATCH = 2


def images(size):
    """Two different SIZE x SIZE images in [0, 1], normalised with ImageNet's mean and std as torchvision's models expect."""
    x = np.random.default_rng(SEED).uniform(0, 1, (BATCH, 3, size, size)).astype(np.float32)
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    return ((x - mean) / std).astype(np.float32)


def calibrate_batchnorm(model, size):
    """Random weights with BatchNorm's initial running statistics (mean 0, variance 1) let activations shrink
    or grow layer after layer (EfficientNet-B0's logits end near 1e-13), and an error in whatever vanished
    would not show in the output. Estimating the statistics on random images, as training would, keeps every
    layer's output near unit scale. Train mode only for these passes; the fixture is made in eval mode."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    g = torch.Generator().manual_seed(SEED + 1)
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(8, 3, size, size, generator=g))
    model.eval()


def make(arch, opset, out_dir):
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    model = build(arch, SEED)
    size = input_size(arch)
    calibrate_batchnorm(model, size)
    x = images(size)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)
    # Build beside the target (same file system) so the final rename is atomic.
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.", dir=parent)
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is an ordinary folder
    try:
        export(model, os.path.join(tmp, "model.onnx"), opset, size)
        np.save(os.path.join(tmp, "input.npy"), x)
        np.save(os.path.join(tmp, "expected.npy"), y)
        meta = {"arch": arch, "opset": opset, "seed": SEED, "input_shape": list(x.shape),
                "output_shape": list(y.shape), "torch": torch.__version__, "torchvision": torchvision.__version__}
        with open(os.path.join(tmp, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        if os.path.exists(out_dir):  # a stale or older fixture: move it aside first, rename cannot replace it
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.old.", dir=parent)
            os.rename(out_dir, os.path.join(old, "x"))
            shutil.rmtree(old, ignore_errors=True)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(out_dir, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--many", metavar="ROOT", help="write ROOT/ARCH_opOPSET for each ARCH:OPSET argument")
    p.add_argument("args", nargs="+")
    a = p.parse_args()
    # CI has 2 cores shared with the rest of the test run; export is single-threaded tracing anyway.
    torch.set_num_threads(1)
    if a.many:
        for pair in a.args:
            arch, _, opset = pair.partition(":")
            make(arch, int(opset), os.path.join(a.many, f"{arch}_op{opset}"))
    elif len(a.args) == 3:
        make(a.args[0], int(a.args[1]), a.args[2])
    else:
        p.error("expected ARCH OPSET OUT_DIR, or --many ROOT ARCH:OPSET ...")


if __name__ == "__main__":
    main()
