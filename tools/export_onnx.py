#!/usr/bin/env python3
"""export_onnx.py — exports a PyTorch image model to ONNX in the form gpusearch runs: NCHW float32 input
named `input` with a dynamic batch, one `embedding` output (the model's output, or the features before
the classifier with --features), opset 13 or 17.

Examples (Debian: apt-get install python3-torch python3-torchvision):
  export_onnx.py torchvision:resnet50 resnet50.onnx --features --weights DEFAULT  # weights from the torch hub cache
  export_onnx.py --checkpoint model.pth torchvision:resnet18 r18.onnx           # load a state_dict (.pth) first
  export_onnx.py mypackage.models:build_model my.onnx --size 256                # any callable returning an nn.Module
  export_onnx.py torchvision:resnet50 r50.onnx --random-weights                  # only for tests: useless for search

A torchvision model needs trained weights: --weights NAME reads them from the torch hub cache
($TORCH_HOME/hub/checkpoints, default ~/.cache/torch/hub/checkpoints) and never downloads; when the file is
not there the script stops and names the file and its download address. Random weights must be asked for.

timm models work the same way through a callable (e.g. `timm:create_model` is not importable by name,
so write a two-line module that calls timm.create_model(...) and point at it).
"""
import argparse
import importlib
import os
import sys

try:
    import torch
except ImportError as e:
    sys.exit(f"error: export_onnx.py needs PyTorch ({e}); apt-get install python3-torch python3-torchvision")


def usage_error(message):
    """One line on stderr and exit 2 (as argparse does), never a traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def cached_weights(tvm, attr, name):
    """The torchvision weights `name` of model `attr`, only when their file is already in the torch hub cache."""
    try:
        weights = tvm.get_model_weights(attr)[name]
    except (KeyError, ValueError):
        known = ", ".join(["DEFAULT"] + [w.name for w in tvm.get_model_weights(attr)])
        usage_error(f"torchvision:{attr} has no weights '{name}' (known: {known})")
    url = weights.url
    path = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(url))
    if not os.path.isfile(path):
        usage_error(f"the weights {weights} are not in the torch hub cache and this script does not download: "
                    f"fetch {url} on a machine with network and put it at {path} "
                    f"(TORCH_HOME moves the cache), or pass --checkpoint FILE.pth with a state_dict")
    return weights


def build(spec, weights, random_weights, checkpoint):
    module_name, _, attr = spec.partition(":")
    if not attr:
        usage_error(f"model '{spec}' must look like module:callable, e.g. torchvision:resnet50")
    if module_name == "torchvision":
        import torchvision.models as tvm
        fn = getattr(tvm, attr, None)
        if fn is None:
            usage_error(f"torchvision.models has no '{attr}'")
        if weights:
            return fn(weights=cached_weights(tvm, attr, weights))
        if not (random_weights or checkpoint):
            usage_error(f"torchvision:{attr} without --weights or --checkpoint would have random weights, useless for "
                        f"search: pass --weights DEFAULT (read from the torch hub cache), --checkpoint FILE.pth, "
                        f"or --random-weights for a test model")
        return fn(weights=None)
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
    ap.add_argument("--weights", default=None, help="torchvision weights name (e.g. DEFAULT); read from the torch hub cache, never downloaded")
    ap.add_argument("--checkpoint", default=None, help="a state_dict (.pt) to load into the model")
    ap.add_argument("--random-weights", action="store_true", help="export a torchvision model untrained (tests only)")
    ap.add_argument("--seed", type=int, default=0, help="seed for random weights, so exports are repeatable")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    if a.weights and a.checkpoint:
        usage_error("--weights and --checkpoint both give the weights: pass one")
    model = build(a.model, a.weights, a.random_weights, a.checkpoint)
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
