#!/usr/bin/env python3
"""Makes the real-model parity fixtures under tests/GpuSearch.Tests/Fixtures/cnn/.

Inputs are real photos from ../shared/testdata/decoders (see SOURCES.txt there for their origin and
licence), decoded with OpenCV, resized (INTER_AREA) and stored as uint8 RGB NCHW .npy so the C# test
applies exactly the per-model preprocessing of ../shared/models/MODELS.md itself. Reference outputs
come from OpenCV DNN (cv2.dnn.readNetFromONNX, an independent runtime) on the same float inputs.

OpenCV 4.6 only parses Clip with min/max as attributes (opset < 11); for the reference, Clip nodes
whose min/max are initializers are rewritten to that form in memory (same function, older spelling).

Usage: python3 tools/make_cnn_fixtures.py [SHARED_DIR]   (needs python3-opencv, python3-onnx, numpy)
"""
import os
import sys

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "GpuSearch.Tests", "Fixtures", "cnn")
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared")
PHOTOS = ["testdata/decoders/go_x_image_testdata/go-turns-two-280x360.jpeg",
          "testdata/decoders/libjpeg_turbo_testimages/testorig.jpg"]

# file, size, number of photos, preprocessing, outputs (as in MODELS.md)
MODELS = [
    ("mobilenetv2_035_224_imagenet_embed.onnx", 224, 2, "rgb_pm1", ["embedding"]),
    ("squeezenet1.1_imagenet_fp32.onnx", 224, 2, "bgr_mean", ["softmaxout_1", "embedding"]),
    ("nsfwjs_mobilenet_v2_224.onnx", 224, 2, "rgb_01", ["embedding", "probs"]),
    ("nsfwjs_inception_v3_299.onnx", 299, 1, "rgb_01", ["embedding", "probs"]),
]


def pixels(size, count):
    """uint8 [count, 3, size, size] RGB."""
    out = []
    for rel in PHOTOS[:count]:
        bgr = cv2.imread(os.path.join(SHARED, rel), cv2.IMREAD_COLOR)
        bgr = cv2.resize(bgr, (size, size), interpolation=cv2.INTER_AREA)
        out.append(bgr[:, :, ::-1].transpose(2, 0, 1))
    return np.ascontiguousarray(np.stack(out), dtype=np.uint8)


def preprocess(px, kind):
    x = px.astype(np.float32)
    if kind == "rgb_pm1":
        return x / np.float32(127.5) - np.float32(1)
    if kind == "rgb_01":
        return x / np.float32(255)
    if kind == "bgr_mean":
        return x[:, ::-1, :, :] - np.array([104, 117, 123], np.float32).reshape(1, 3, 1, 1)
    raise ValueError(kind)


def opencv_compatible(path):
    """The model with Clip(min, max initializers) rewritten as attribute Clip for OpenCV 4.6."""
    m = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Clip" and len(n.input) > 1:
            lo = float(inits[n.input[1]]) if len(n.input) > 1 and n.input[1] else -3.4e38
            hi = float(inits[n.input[2]]) if len(n.input) > 2 and n.input[2] else 3.4e38
            del n.input[1:]
            n.attribute.extend([helper.make_attribute("min", lo), helper.make_attribute("max", hi)])
    return m.SerializeToString()


def main():
    os.makedirs(OUT, exist_ok=True)
    for size, count in sorted({(m[1], m[2]) for m in MODELS}):
        np.save(os.path.join(OUT, f"pixels_{size}.npy"), pixels(size, count))
    for file, size, count, prep, outputs in MODELS:
        x = preprocess(np.load(os.path.join(OUT, f"pixels_{size}.npy")), prep)
        net = cv2.dnn.readNetFromONNX(opencv_compatible(os.path.join(SHARED, "models", file)))
        net.setInput(np.ascontiguousarray(x))
        for name, y in zip(outputs, net.forward(outputs)):
            stem = file[:-len(".onnx")]
            np.save(os.path.join(OUT, f"{stem}.{name}.npy"), y.astype(np.float32))
            print(f"{stem}.{name}: {y.shape} max|y| {np.abs(y).max():.4g}")


if __name__ == "__main__":
    main()
