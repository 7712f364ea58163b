#!/usr/bin/env python3
"""make_preprocess_fixtures.py - reference tensors for the GPU preprocess parity tests.

Decodes a few real images with PIL, stores their RGB8 pixels and what torchvision makes of them, so the C#
tests (tests/GpuSearch.Tests/Imaging/PreprocessParityTests.cs) compare our kernels with torchvision without
Python in CI. Needs Debian's python3-torchvision, python3-pil and python3-numpy; run from the repository root:

    /usr/bin/python3 tools/make_preprocess_fixtures.py [--testdata ../shared/testdata/decoders]

Output in tests/GpuSearch.Tests/Fixtures/preprocess/:
  <image>.rgb.gz        decoded RGB8, row-major, each byte replaced by (byte - left neighbour's same channel)
                        mod 256 (first pixel of a row kept), then gzip: lossless, ~25% smaller than plain gzip.
  <image>.<case>.f32.gz torchvision's output tensor, CHW float32 little-endian, gzip.
  manifest.json         images (size, sha256 of the raw RGB8), cases (our PreprocessSpec JSON, the torchvision
                        transform it mirrors, tensor shape) and the library versions used.
"""
import argparse
import gzip
import hashlib
import json
import os

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
OUT = os.path.join("tests", "GpuSearch.Tests", "Fixtures", "preprocess")

# (fixture name, path under the decoder test data). Natural photos: an upscale (testorig, video-001),
# a mild downscale PNG (yellow_rose), a 3x downscale WebP photo (lossy_extreme_probabilities).
IMAGES = [
    ("testorig", "libjpeg_turbo_testimages/testorig.jpg"),
    ("video001", "go_image_testdata/video-001.jpeg"),
    ("yellow_rose", "go_x_image_testdata/yellow_rose.png"),
    ("coast", "libwebp_test_data/lossy_extreme_probabilities.webp"),
]


def spec(resize, crop=None, pad=False, fill=(0, 0, 0)):
    """Our PreprocessSpec JSON (schema gpusearch.preprocess/1) with ImageNet normalization."""
    s = {"schema": "gpusearch.preprocess/1", "padToSquare": pad, "resize": resize}
    if crop:
        s["centerCrop"] = {"width": crop, "height": crop}
    s.update({"fill": list(fill), "channelOrder": "rgb", "scale": 1 / 255, "mean": MEAN, "std": STD,
              "layout": "nchw", "dtype": "fp32"})
    return s


def shorter(n, interp, arith="uint8", aa=True):
    return {"mode": "shorterSide", "size": n, "interpolation": interp, "antialias": aa, "arithmetic": arith}


def letterbox_pil(img, size, fill):
    """PIL pad-to-square (centred, offsets floor((S - w) / 2)) then a bilinear resize to size x size."""
    s = max(img.size)
    canvas = Image.new("RGB", (s, s), fill)
    canvas.paste(img, ((s - img.width) // 2, (s - img.height) // 2))
    return canvas.resize((size, size), Image.BILINEAR)


def normalize_pil(img):
    return T.Normalize(MEAN, STD)(T.ToTensor()(img))


# Cases: name -> (images, our spec, description, function PIL image -> CHW float tensor).
BI, BC = T.InterpolationMode.BILINEAR, T.InterpolationMode.BICUBIC
CASES = {
    "torchvision": (["testorig", "video001", "yellow_rose", "coast"], spec(shorter(256, "bilinear"), 224),
                    "Resize(256) CenterCrop(224) ToTensor Normalize(ImageNet) on the PIL image",
                    T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])),
    "bicubic": (["yellow_rose"], spec(shorter(256, "bicubic"), 224),
                "Resize(256, BICUBIC) CenterCrop(224) ToTensor Normalize on the PIL image",
                T.Compose([T.Resize(256, BC), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])),
    "letterbox": (["testorig"], spec({"mode": "exact", "width": 224, "height": 224, "interpolation": "bilinear",
                                      "antialias": True, "arithmetic": "uint8"}, pad=True, fill=(255, 255, 255)),
                  "PIL pad to square with white, resize((224, 224), BILINEAR), ToTensor Normalize",
                  lambda im: normalize_pil(letterbox_pil(im, 224, (255, 255, 255)))),
    # Float tensor paths (small outputs: float tensors do not compress).
    "float_bilinear_aa": (["coast", "video001"], spec(shorter(64, "bilinear", "float"), 56),
                          "ToTensor, Resize(64, antialias=True) and CenterCrop(56) on the float tensor, Normalize",
                          T.Compose([T.ToTensor(), T.Resize(64, BI, antialias=True), T.CenterCrop(56),
                                     T.Normalize(MEAN, STD)])),
    "float_bicubic_aa": (["coast"], spec(shorter(64, "bicubic", "float"), 56),
                         "ToTensor, Resize(64, BICUBIC, antialias=True), CenterCrop(56) on the float tensor, Normalize",
                         T.Compose([T.ToTensor(), T.Resize(64, BC, antialias=True), T.CenterCrop(56),
                                    T.Normalize(MEAN, STD)])),
    "float_bilinear_noaa": (["testorig"], spec({"mode": "exact", "width": 57, "height": 41, "interpolation": "bilinear",
                                                "antialias": False, "arithmetic": "float"}),
                            "ToTensor, Resize((41, 57), antialias=False) on the float tensor, Normalize",
                            T.Compose([T.ToTensor(), T.Resize((41, 57), BI, antialias=False), T.Normalize(MEAN, STD)])),
    "float_bicubic_noaa": (["video001"], spec({"mode": "exact", "width": 90, "height": 37, "interpolation": "bicubic",
                                               "antialias": False, "arithmetic": "float"}),
                           "ToTensor, Resize((37, 90), BICUBIC, antialias=False) on the float tensor, Normalize",
                           T.Compose([T.ToTensor(), T.Resize((37, 90), BC, antialias=False), T.Normalize(MEAN, STD)])),
}


def left_delta(rgb):
    d = rgb.astype(np.int16)
    d[:, 1:, :] -= rgb[:, :-1, :]
    return (d % 256).astype(np.uint8)


def write_gz(path, data):
    # mtime=0 keeps the output byte-identical between runs.
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as g:
        g.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--testdata", default=os.path.join("..", "shared", "testdata", "decoders"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {"generator": "tools/make_preprocess_fixtures.py",
                "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "pillow": PIL.__version__},
                "images": [], "cases": []}
    pil = {}
    for name, rel in IMAGES:
        img = Image.open(os.path.join(args.testdata, rel)).convert("RGB")
        rgb = np.asarray(img, dtype=np.uint8)
        write_gz(os.path.join(OUT, name + ".rgb.gz"), left_delta(rgb).tobytes())
        manifest["images"].append({"name": name, "source": rel, "width": img.width, "height": img.height,
                                   "file": name + ".rgb.gz", "sha256": hashlib.sha256(rgb.tobytes()).hexdigest()})
        pil[name] = img
    for case, (names, our_spec, what, fn) in CASES.items():
        for name in names:
            t = fn(pil[name]).to(torch.float32).contiguous().numpy()
            file = f"{name}.{case}.f32.gz"
            write_gz(os.path.join(OUT, file), t.astype("<f4").tobytes())
            manifest["cases"].append({"case": case, "image": name, "torchvision": what, "spec": our_spec,
                                      "shape": list(t.shape), "file": file})
            print(f"{case:20s} {name:12s} {pil[name].size} -> {tuple(t.shape)}")
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, x)) for x in os.listdir(OUT))
    print(f"{OUT}: {total} bytes")


if __name__ == "__main__":
    main()
