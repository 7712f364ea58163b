#!/usr/bin/env python3
"""export_onnx.py — exports a PyTorch image model to ONNX in the form gpusearch runs: NCHW float32 input
named `input` with a dynamic batch, one `embedding` output (the model's output, or the features before
the classifier with --features), opset 13 or 17.

Examples (Debian: apt-get install python3-torch python3-torchvision):
  export_onnx.py torchvision:resnet50 resnet50.onnx --features            # random weights unless --weights
  export_onnx.py torchvision:efficientnet_b0 effb0.onnx --weights DEFAULT  # needs the weights cached locally
  export_onnx.py mypackage.models:build_model my.onnx --size 256           # any callable returning an nn.Module
  export_onnx.py --checkpoint model.pt torchvision:resnet18 r18.onnx       # load a state_dict first

timm models work the same way through a callable (e.g. `timm:create_model` is not importable by name,
so write a two-line module that calls timm.create_model(...) and point at it).
"""
import argparse
import importlib
import sys

import torch


def build(spec, weights):
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise SystemExit(f"model '{spec}' must look like module:callable, e.g. torchvision:resnet50")
    if module_name == "torchvision":
        import torchvision.models as tvm
        fn = getattr(tvm, attr, None)
        if fn is None:
            raise SystemExit(f"torchvision.models has no '{attr}'")
        return fn(weights=weights) if weights else fn(weights=None)
    fn = getattr(importlib.import_module(module_name), attr)
    return fn()


class Features(torch.nn.Module):
    """Wraps a classifier so the output is the pooled features before its last Linear layer."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        for name in ("fc", "classifier", "head", "heads"):
            if hasattr(model, name):
                setattr(model, name, torch.nn.Identity())
                return
        raise SystemExit("--features: cannot find the classifier (fc/classifier/head) to remove")

    def forward(self, x):
        return torch.flatten(self.model(x), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="module:callable, e.g. torchvision:resnet50")
    ap.add_argument("out", help="output .onnx path")
    ap.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    ap.add_argument("--opset", type=int, default=13, choices=[13, 17])
    ap.add_argument("--features", action="store_true", help="export the features before the classifier")
    ap.add_argument("--weights", default=None, help="torchvision weights name (e.g. DEFAULT); must be cached, no network")
    ap.add_argument("--checkpoint", default=None, help="a state_dict (.pt) to load into the model")
    ap.add_argument("--seed", type=int, default=0, help="seed for random weights, so exports are repeatable")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    model = build(a.model, a.weights)
    if a.checkpoint:
        model.load_state_dict(torch.load(a.checkpoint, map_location="cpu"))
    if a.features:
        model = Features(model)
    model.eval()
    x = torch.randn(2, 3, a.size, a.size)
    torch.onnx.export(model, x, a.out, input_names=["input"], output_names=["embedding"],
                      dynamic_axes={"input": {0: "N"}, "embedding": {0: "N"}}, opset_version=a.opset,
                      do_constant_folding=True)
    print(f"wrote {a.out} (opset {a.opset}, input [N,3,{a.size},{a.size}])")
    return 0


if __name__ == "__main__":
    sys.exit(main())
