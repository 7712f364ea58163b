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
    if name in REDUCED:
        model = torchvision.models.VisionTransformer(**REDUCED[name], **kwargs)
    else:
        model = getattr(torchvision.models, name)(weights=None, **kwargs)
    if isinstance(model, torchvision.models.VisionTransformer):
        # torchvision zero-initialises the ViT head, so every logit would be 0 and no comparison could fail.
        torch.nn.init.normal_(model.heads.head.weight, std=0.02)
    if isinstance(model, torchvision.models.SwinTransformer):
        # Swin starts with zero Linear biases and LayerNorms of weight 1, bias 0: a dropped bias or affine
        # term would go unnoticed (and the exporter would share one ones/zeros tensor among all LayerNorms).
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (torch.nn.Linear, torch.nn.LayerNorm)) and m.bias is not None:
                    m.bias.normal_(0, 0.02)
                if isinstance(m, torch.nn.LayerNorm):
                    m.weight.normal_(1, 0.1)
    return model.eval()


# Reduced torchvision architectures with the same graph constructs as the full ones, cheap enough for CI on 2
# shared cores: 'vit_tiny' is VisionTransformer exactly as vit_b_16 builds it, with fewer/smaller layers.
REDUCED = {"vit_tiny": dict(image_size=64, patch_size=16, num_layers=2, hidden_dim=64, mlp_dim=128, num_heads=4)}


def input_size(arch):
    """The image side ARCH expects: 224 for torchvision's models, the reduced models' own image_size."""
    name = arch.partition("@")[0]
    return REDUCED[name]["image_size"] if name in REDUCED else 224


def export(model, path, opset, size=224, output_name="logits", constant_folding=True):
    """Writes MODEL to PATH at OPSET with input 'input' and one output whose batch axis is dynamic."""
    x = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=[output_name],
                      dynamic_axes={"input": {0: "N"}, output_name: {0: "N"}}, do_constant_folding=constant_folding)
