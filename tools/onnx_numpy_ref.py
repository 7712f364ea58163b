#!/usr/bin/env python3
"""onnx_numpy_ref.py — a deliberately plain numpy evaluator for the ONNX ops our CNN tooling meets
(Conv incl. groups/dilation/pads, BatchNormalization, Relu, Clip, Add, Mul, Sigmoid, MaxPool,
AveragePool, GlobalAveragePool, Concat, Flatten, Gemm, Softmax, Pad, Transpose, Identity, Dropout).
It exists to cross-check converted models and make test fixtures where OpenCV DNN (Debian 4.6)
rejects valid opset-13 forms such as Clip with min/max inputs. Slow, but obviously correct.

usage: onnx_numpy_ref.py MODEL.onnx INPUT.npy OUT_PREFIX   (writes OUT_PREFIX<output>.npy)
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    g = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    t, l, bt, r = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (t, bt), (l, r)))
    ho = (h + t + bt - (kh - 1) * dh - 1) // sh + 1
    wo = (wd + l + r - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((n, m, ho, wo), np.float64)
    mg = m // g
    for gi in range(g):
        xs = xp[:, gi * cg:(gi + 1) * cg]
        ws = w[gi * mg:(gi + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
                y[:, gi * mg:(gi + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def pool(x, a, op):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    t, l, bt, r = a.get("pads", [0, 0, 0, 0])
    if a.get("ceil_mode", 0):
        raise NotImplementedError("ceil_mode")
    fill = -np.inf if op == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (t, bt), (l, r)), constant_values=fill)
    ones = np.pad(np.ones_like(x), ((0, 0), (0, 0), (t, bt), (l, r)))
    ho = (x.shape[2] + t + bt - kh) // sh + 1
    wo = (x.shape[3] + l + r - kw) // sw + 1
    acc = np.full(x.shape[:2] + (ho, wo), fill, np.float64)
    cnt = np.zeros_like(acc)
    for i in range(kh):
        for j in range(kw):
            v = xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
            if op == "max":
                acc = np.maximum(acc, v)
            else:
                acc += v
                cnt += ones[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
    if op == "avg":
        acc = acc / (cnt if not a.get("count_include_pad", 0) else kh * kw)
    return acc.astype(np.float32)


def run(model, feeds):
    env = dict(feeds)
    for t in model.graph.initializer:
        env[t.name] = numpy_helper.to_array(t)
    for node in model.graph.node:
        a = attrs(node)
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            y = conv(i[0], i[1], i[2] if len(i) > 2 else None, a)
        elif op == "BatchNormalization":
            x, s, b, mu, var = i[:5]
            sh = (1, -1) + (1,) * (x.ndim - 2)
            y = ((x - mu.reshape(sh)) / np.sqrt(var.reshape(sh) + a.get("epsilon", 1e-5)) * s.reshape(sh) + b.reshape(sh)).astype(np.float32)
        elif op == "Relu":
            y = np.maximum(i[0], 0)
        elif op == "Clip":
            lo = i[1] if len(i) > 1 and i[1] is not None else a.get("min", -np.inf)
            hi = i[2] if len(i) > 2 and i[2] is not None else a.get("max", np.inf)
            y = np.clip(i[0], lo, hi)
        elif op in ("Add", "Mul", "Sub", "Div"):
            y = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract, "Div": np.divide}[op](i[0], i[1])
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-i[0]))
        elif op == "MaxPool":
            y = pool(i[0], a, "max")
        elif op == "AveragePool":
            y = pool(i[0], a, "avg")
        elif op == "GlobalAveragePool":
            y = i[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Concat":
            y = np.concatenate(i, axis=a["axis"])
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        elif op == "Gemm":
            A = i[0].T if a.get("transA", 0) else i[0]
            B = i[1].T if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A.astype(np.float64) @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
            y = y.astype(np.float32)
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(i[0] - i[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "Pad":
            p = i[1].reshape(2, -1)
            y = np.pad(i[0], list(zip(p[0], p[1])))
        elif op == "Transpose":
            y = i[0].transpose(a["perm"])
        elif op in ("Identity", "Dropout"):
            y = i[0]
        else:
            raise NotImplementedError(f"node {node.name}: op {op}")
        env[node.output[0]] = np.asarray(y, np.float32)
    return {o.name: env[o.name] for o in model.graph.output}


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    model = onnx.load(sys.argv[1])
    x = np.load(sys.argv[2])
    outs = run(model, {model.graph.input[0].name: x})
    for k, v in outs.items():
        np.save(f"{sys.argv[3]}{k}.npy", v)
        print(k, v.shape)
    return 0


if __name__ == "__main__":
    sys.exit(main())
