"""One place that builds a torchvision model with fixed-seed random weights and exports it to ONNX.

Shared by tools/export_torchvision.py (front-end coverage), tools/make_torchvision_parity.py (the parity
fixtures the tests generate) and bench/cnn/baselines.py (benchmarks), so all three export the same way.
"""
import torch
import torchvision


def build(arch, seed=0, **kwargs):
    """torchvision.models.ARCH with random weights drawn after torch.manual_seed(SEED), in eval mode.

    ARCH may carry a width multiplier as 'mobilenet_v2@0.35' (the bench uses that form)."""
    name, _, width = arch.partition("@")
    if width:
        kwargs["width_mult"] = float(width)
    if name == "inception_v3":
        # The aux head is training-only, and init_weights=False skips scipy's truncated normal.
        kwargs.update(aux_logits=False, init_weights=False)
    torch.manual_seed(seed)
    return getattr(torchvision.models, name)(weights=None, **kwargs).eval()


def export(model, path, opset, size=224, output_name="logits", constant_folding=True):
    """Writes MODEL to PATH at OPSET with input 'input' and one output whose batch axis is dynamic."""
    x = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=[output_name],
                      dynamic_axes={"input": {0: "N"}, output_name: {0: "N"}}, do_constant_folding=constant_folding)
