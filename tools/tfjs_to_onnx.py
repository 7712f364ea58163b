#!/usr/bin/env python3
"""tfjs_to_onnx.py — converts a Keras *layers* model exported by tensorflowjs (model.json + weights.bin,
see tfjs_extract.js) into an NCHW float32 ONNX model the engine runs.

Covers the layers the nsfwjs MobileNetV2 and InceptionV3 models use: InputLayer, ZeroPadding2D, Conv2D,
DepthwiseConv2D, BatchNormalization, ReLU (incl. max_value), Activation, Add, AveragePooling2D,
MaxPooling2D, Concatenate, Flatten, Dense, Dropout. Anything else is an error naming the layer.
uint8/uint16-quantized weights are dequantized (value = q * scale + min, tfjs' rule).

Outputs: `embedding` = the first Flatten's output (the pooled CNN features used for similarity) and
`probs` = the model's own output. The input is `input` [N, 3, H, W] (RGB; the caller scales to [0,1]).
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class ConversionError(Exception):
    pass


def load_weights(manifest, blob):
    """Dequantizes every weight in manifest order from the concatenated shard bytes."""
    out, off = {}, 0
    for group in manifest:
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q:
                dt = {"uint8": np.uint8, "uint16": np.uint16}[q["dtype"]]
                size = n * np.dtype(dt).itemsize
                raw = np.frombuffer(blob, dt, n, off).astype(np.float64)
                val = (raw * q["scale"] + q["min"]).astype(np.float32)
            else:
                if w["dtype"] != "float32":
                    raise ConversionError(f"weight {w['name']}: dtype {w['dtype']} not supported")
                size = n * 4
                val = np.frombuffer(blob, np.float32, n, off).copy()
            out[w["name"]] = val.reshape(w["shape"])
            off += size
    if off != len(blob):
        raise ConversionError(f"weights.bin has {len(blob)} bytes, manifest describes {off}")
    return out


def same_pads(size, k, s, d=1):
    """TensorFlow 'same' padding for one spatial axis: (before, after, output size)."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2, out


def valid_out(size, k, s, d=1):
    return (size - (k - 1) * d - 1) // s + 1


class Converter:
    def __init__(self, model, weights, height, width):
        self.layers = model["modelTopology"]["model_config"]["config"]["layers"]
        self.cfg = model["modelTopology"]["model_config"]["config"]
        self.w = weights
        self.used = set()
        self.nodes, self.inits = [], []
        self.shape = {}    # tensor name -> (C, H, W)
        self.pending_pad = {}  # ZeroPadding2D output -> (source tensor, (t, b, l, r))
        self.hw = (height, width)
        self.embedding = None

    def weight(self, layer, name):
        key = f"{layer}/{name}"
        if key not in self.w:
            raise ConversionError(f"layer {layer}: weight {key} missing from the manifest")
        self.used.add(key)
        return self.w[key]

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def act(self, layer, x, kind, out):
        if kind in ("linear", None):
            return x
        if kind == "relu":
            self.nodes.append(helper.make_node("Relu", [x], [out], name=f"{layer}/relu"))
        elif kind == "softmax":
            self.nodes.append(helper.make_node("Softmax", [x], [out], name=f"{layer}/softmax", axis=1))
        elif kind == "sigmoid":
            self.nodes.append(helper.make_node("Sigmoid", [x], [out], name=f"{layer}/sigmoid"))
        else:
            raise ConversionError(f"layer {layer}: activation '{kind}' not supported")
        return out

    def conv(self, l, x, out, depthwise):
        c = l["config"]
        name = l["name"]
        src, pad = self.pending_pad.pop(x, (x, (0, 0, 0, 0)))
        cin, h, w = self.shape[src]
        h, w = h + pad[0] + pad[1], w + pad[2] + pad[3]
        kh, kw = c["kernel_size"]
        sh, sw = c["strides"]
        dh, dw = c.get("dilation_rate", [1, 1])
        if c.get("data_format", "channels_last") != "channels_last":
            raise ConversionError(f"layer {name}: data_format {c['data_format']} not supported")
        if c["padding"] == "same":
            t, b, ho = same_pads(h, kh, sh, dh)
            lft, r, wo = same_pads(w, kw, sw, dw)
        else:
            t = b = lft = r = 0
            ho, wo = valid_out(h, kh, sh, dh), valid_out(w, kw, sw, dw)
        pads = [pad[0] + t, pad[2] + lft, pad[1] + b, pad[3] + r]
        if depthwise:
            k = self.weight(name, "depthwise_kernel")  # [kh, kw, cin, mult]
            mult = k.shape[3]
            wt = k.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
            group, cout = cin, cin * mult
        else:
            k = self.weight(name, "kernel")  # [kh, kw, cin, cout]
            wt = k.transpose(3, 2, 0, 1)
            group, cout = 1, k.shape[3]
        inputs = [src, self.init(f"{name}/W", wt)]
        if c.get("use_bias", False):
            inputs.append(self.init(f"{name}/B", self.weight(name, "bias")))
        conv_out = out if c.get("activation", "linear") == "linear" else f"{name}/conv"
        self.nodes.append(helper.make_node("Conv", inputs, [conv_out], name=name, kernel_shape=[kh, kw],
                                           strides=[sh, sw], dilations=[dh, dw], pads=pads, group=group))
        self.shape[conv_out] = (cout, ho, wo)
        return self.act(name, conv_out, c.get("activation"), out), (cout, ho, wo)

    def pool(self, l, x, out, op):
        c = l["config"]
        name = l["name"]
        ch, h, w = self.shape[x]
        kh, kw = c["pool_size"]
        sh, sw = c["strides"] or c["pool_size"]
        attrs = {"kernel_shape": [kh, kw], "strides": [sh, sw]}
        if c["padding"] == "same":
            t, b, ho = same_pads(h, kh, sh)
            lft, r, wo = same_pads(w, kw, sw)
            attrs["pads"] = [t, lft, b, r]
        else:
            ho, wo = valid_out(h, kh, sh), valid_out(w, kw, sw)
        if op == "AveragePool":
            attrs["count_include_pad"] = 0  # TensorFlow averages only the valid cells
        self.nodes.append(helper.make_node(op, [x], [out], name=name, **attrs))
        return out, (ch, ho, wo)

    def convert(self):
        (inp_layer, _, _), = self.cfg["input_layers"]
        for l in self.layers:
            cls, name = l["class_name"], l["name"]
            ins = [n[0] for n in l["inbound_nodes"][0]] if l["inbound_nodes"] else []
            c = l["config"]
            out = name
            if cls == "InputLayer":
                shp = c["batch_input_shape"]
                if shp[1] and shp[2] and (shp[1], shp[2]) != self.hw:
                    raise ConversionError(f"input is {shp[1]}x{shp[2]}, not {self.hw}")
                self.input_name = "input"
                self.shape[name] = (shp[3], *self.hw)
                self.alias = {name: "input"}
                self.shape["input"] = self.shape[name]
                continue
            ins = [self.alias.get(i, i) for i in ins]
            x = ins[0] if ins else None
            if cls == "ZeroPadding2D":
                (t, b), (lft, r) = c["padding"]
                ch, h, w = self.shape[x]
                self.pending_pad[out] = (x, (t, b, lft, r))
                self.shape[out] = (ch, h + t + b, w + lft + r)
                continue
            if x in self.pending_pad and cls not in ("Conv2D", "DepthwiseConv2D"):
                src, (t, b, lft, r) = self.pending_pad.pop(x)
                pads = self.init(f"{x}/pads", np.array([0, 0, t, lft, 0, 0, b, r], np.int64))
                self.nodes.append(helper.make_node("Pad", [src, pads], [x], name=x, mode="constant"))
            if cls in ("Conv2D", "DepthwiseConv2D"):
                out, shp = self.conv(l, x, out, cls == "DepthwiseConv2D")
            elif cls == "BatchNormalization":
                if c["axis"] not in (-1, 3):
                    raise ConversionError(f"layer {name}: BatchNormalization axis {c['axis']} not supported")
                ch = self.shape[x][0]
                gamma = self.weight(name, "gamma") if c.get("scale", True) else np.ones(ch, np.float32)
                beta = self.weight(name, "beta") if c.get("center", True) else np.zeros(ch, np.float32)
                args = [x, self.init(f"{name}/scale", gamma), self.init(f"{name}/bias", beta),
                        self.init(f"{name}/mean", self.weight(name, "moving_mean")),
                        self.init(f"{name}/var", self.weight(name, "moving_variance"))]
                self.nodes.append(helper.make_node("BatchNormalization", args, [out], name=name, epsilon=c["epsilon"]))
                shp = self.shape[x]
            elif cls == "ReLU":
                if c.get("negative_slope", 0) or c.get("threshold", 0):
                    raise ConversionError(f"layer {name}: ReLU with negative_slope/threshold not supported")
                if c.get("max_value") is not None:
                    lo = self.init(f"{name}/min", np.array(0, np.float32))
                    hi = self.init(f"{name}/max", np.array(c["max_value"], np.float32))
                    self.nodes.append(helper.make_node("Clip", [x, lo, hi], [out], name=name))
                else:
                    self.nodes.append(helper.make_node("Relu", [x], [out], name=name))
                shp = self.shape[x]
            elif cls == "Activation":
                out = self.act(name, x, c["activation"], out)
                shp = self.shape[x]
            elif cls == "Add":
                self.nodes.append(helper.make_node("Add", ins, [out], name=name))
                shp = self.shape[x]
            elif cls == "Concatenate":
                if c["axis"] not in (-1, 3):
                    raise ConversionError(f"layer {name}: Concatenate axis {c['axis']} not supported")
                self.nodes.append(helper.make_node("Concat", ins, [out], name=name, axis=1))
                shp = (sum(self.shape[i][0] for i in ins), *self.shape[x][1:])
            elif cls in ("AveragePooling2D", "MaxPooling2D"):
                out, shp = self.pool(l, x, out, "AveragePool" if cls.startswith("Average") else "MaxPool")
            elif cls == "Flatten":
                ch, h, w = self.shape[x]
                src = x
                if (h, w) != (1, 1):  # Keras flattens NHWC order: move channels last first
                    src = f"{name}/nhwc"
                    self.nodes.append(helper.make_node("Transpose", [x], [src], name=src, perm=[0, 2, 3, 1]))
                self.nodes.append(helper.make_node("Flatten", [src], [out], name=name, axis=1))
                shp = (ch * h * w, 1, 1)
                if self.embedding is None:
                    self.embedding = out
            elif cls == "Dense":
                k = self.weight(name, "kernel")
                args = [x, self.init(f"{name}/W", k.T)]  # transB form: [units, in], as most runtimes expect
                if c.get("use_bias", True):
                    args.append(self.init(f"{name}/B", self.weight(name, "bias")))
                gemm_out = out if c.get("activation", "linear") == "linear" else f"{name}/gemm"
                self.nodes.append(helper.make_node("Gemm", args, [gemm_out], name=name, transB=1))
                out = self.act(name, gemm_out, c.get("activation"), out)
                shp = (k.shape[1], 1, 1)
            elif cls == "Dropout":
                self.alias[name] = x  # inference: identity
                continue
            else:
                raise ConversionError(f"layer {name}: Keras layer type {cls} not supported")
            if out != name:
                self.alias[name] = out
            self.shape[out] = shp
        unused = set(self.w) - self.used
        if unused:
            raise ConversionError(f"weights never used: {sorted(unused)[:5]}")
        (out_layer, _, _), = self.cfg["output_layers"]
        return self.alias.get(out_layer, out_layer)

    def model(self, opset):
        final = self.convert()
        if self.embedding is None:
            raise ConversionError("no Flatten layer: cannot tell which tensor is the embedding")
        emb_dim = self.shape[self.embedding][0]
        probs_dim = self.shape[final][0]
        self.nodes.append(helper.make_node("Identity", [self.embedding], ["embedding"], name="embedding_out"))
        self.nodes.append(helper.make_node("Identity", [final], ["probs"], name="probs_out"))
        graph = helper.make_graph(
            self.nodes, "tfjs_converted",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, *self.hw])],
            [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", emb_dim]),
             helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", probs_dim])],
            self.inits)
        m = helper.make_model(graph, producer_name="gpusearch tools/tfjs_to_onnx.py",
                              opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", help="folder with model.json and weights.bin (from tfjs_extract.js)")
    ap.add_argument("out", help="output .onnx path")
    ap.add_argument("--size", type=int, default=224, help="input height and width the model is fixed to")
    ap.add_argument("--opset", type=int, default=13)
    a = ap.parse_args()
    with open(f"{a.model_dir}/model.json") as f:
        model = json.load(f)
    with open(f"{a.model_dir}/weights.bin", "rb") as f:
        blob = f.read()
    try:
        conv = Converter(model, load_weights(model["weightsManifest"], blob), a.size, a.size)
        onnx.save(conv.model(a.opset), a.out)
    except ConversionError as e:
        print(f"tfjs_to_onnx: {a.model_dir}: {e}", file=sys.stderr)
        return 1
    print(f"wrote {a.out}: {len(conv.nodes)} nodes, {len(conv.inits)} initializers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
