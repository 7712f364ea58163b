#!/usr/bin/env python3
"""Export torchvision architectures (random weights) to ONNX with a dynamic batch, for checking that the
engine's ONNX front end (reader, shape inference, optimizer, validator) covers what torch exports.

Not used by the tests (they use tools/make_torchvision_parity.py). Needs Debian's python3-torch and python3-torchvision.

    python3 tools/export_torchvision.py OUT_DIR [--opset 13] [arch ...]
    for f in OUT_DIR/*.onnx; do dotnet src/GpuSearch.Cli/bin/Debug/net10.0/gpusearch.dll model-info "$f"; done
"""
import argparse
import os

import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_export import build, export  # noqa: E402

DEFAULT = ["resnet50", "mobilenet_v3_small", "efficientnet_b0", "regnet_y_400mf", "convnext_tiny",
           "squeezenet1_1", "densenet121", "shufflenet_v2_x1_0", "vit_b_16"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("arch", nargs="*", default=DEFAULT)
    a = p.parse_intermixed_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)  # the CI machine has 2 cores shared with others
    for arch in a.arch:
        path = os.path.join(a.out, f"{arch}_op{a.opset}.onnx")
        # Unfolded, so the front end sees the shape arithmetic torch emits, not just what survives folding.
        export(build(arch), path, a.opset, a.size, constant_folding=False)
        print(path)


if __name__ == "__main__":
    main()
