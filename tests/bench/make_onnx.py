#!/usr/bin/python3
"""make_onnx.py MODEL.safetensors -o model.onnx [--net G]

The ONNX twin of a ganzoo generator for the browser benchmark (tests/bench/peers.mjs): reads the
.safetensors file itself (header JSON, the "ganzoo" graph in its metadata, F16/F32 tensors,
docs/format.md), builds the same net as a torch.nn.Module from those exact weights (F16 widened
to F32, so every engine multiplies the same numbers) and exports it with torch.onnx.export,
batch dimension dynamic. Input "z" [N, z_dim], output "images" [N, C, H, W].

Bench-only: Debian's /usr/bin/python3 with python3-torch (1.13); the `onnx` package is not
needed. Prints the max |difference| between the module and the core's stored golden check
values (docs/format.md, "check"), so a mistranslated graph is caught here.
"""
import argparse
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F16": np.float16, "F32": np.float32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in DTYPES:
            sys.exit(f"make_onnx: tensor {name}: dtype {entry['dtype']} is not F16 or F32")
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[base + begin : base + end], dtype=DTYPES[entry["dtype"]])
        tensors[name] = torch.from_numpy(array.astype(np.float32).reshape(entry["shape"]))
    meta = json.loads(header["__metadata__"]["ganzoo"])
    return meta, tensors


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


class GraphNet(torch.nn.Module):
    """Runs a ganzoo net (a list of ops) with torch.nn.functional; weights as buffers."""

    SUPPORTED = {"linear", "reshape", "conv2d", "conv_transpose2d", "batch_norm", "relu", "leaky_relu",
                 "elu", "tanh", "sigmoid", "add", "scale", "concat", "upsample_nearest"}

    def __init__(self, net, tensors):
        super().__init__()
        self.inputs = net["inputs"]
        self.ops = []
        used = {}
        for k, op in enumerate(net["ops"]):
            if op["op"] not in self.SUPPORTED:
                sys.exit(f"make_onnx: op {k} ({op['op']}) is not supported by the benchmark exporter")
            op = dict(op)
            for key in ("weight", "bias", "scale", "shift"):
                if isinstance(op.get(key), str):
                    name = op[key]
                    if name not in used:
                        used[name] = f"t{len(used)}"
                        self.register_buffer(used[name], tensors[name].clone())
                    op[key] = used[name]
            self.ops.append(op)

    def forward(self, *xs):
        values = dict(zip(self.inputs, xs))
        prev = self.inputs[0]
        for k, op in enumerate(self.ops):
            ins = [values[name] for name in op.get("in", [prev])]
            x = ins[0]
            t = lambda key: getattr(self, op[key]) if op.get(key) else None  # noqa: E731
            kind = op["op"]
            if kind == "linear":
                y = F.linear(x, t("weight"), t("bias"))
            elif kind == "reshape":
                y = x.reshape([-1] + list(op["shape"]))
            elif kind == "conv2d":
                y = F.conv2d(x, t("weight"), t("bias"), stride=pair(op.get("stride", 1)),
                             padding=pair(op.get("padding", 0)))
            elif kind == "conv_transpose2d":
                y = F.conv_transpose2d(x, t("weight"), t("bias"), stride=pair(op.get("stride", 1)),
                                       padding=pair(op.get("padding", 0)),
                                       output_padding=pair(op.get("output_padding", 0)))
            elif kind == "batch_norm":
                shape = [1, -1] + [1] * (x.dim() - 2)
                y = x * t("scale").reshape(shape) + t("shift").reshape(shape)
            elif kind == "relu":
                y = F.relu(x)
            elif kind == "leaky_relu":
                y = F.leaky_relu(x, op.get("slope", 0.01))
            elif kind == "elu":
                y = F.elu(x, op.get("alpha", 1.0))
            elif kind == "tanh":
                y = torch.tanh(x)
            elif kind == "sigmoid":
                y = torch.sigmoid(x)
            elif kind == "add":
                y = x + ins[1]
            elif kind == "scale":
                y = x * op["factor"]
            elif kind == "concat":
                y = torch.cat(ins, dim=op.get("axis", 1))
            elif kind == "upsample_nearest":
                y = F.interpolate(x, scale_factor=pair(op["scale"]), mode="nearest")
            prev = op.get("out", f"#{k}")
            values[prev] = y
        return values[prev]


# The portable latents (docs/format.md), for the golden check only.
def splitmix64(x):
    m = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def normal_latents(seed, first, count, dim):
    z = np.zeros((count, dim), dtype=np.float32)
    for i in range(count):
        key = splitmix64(seed ^ splitmix64((first + i) ^ splitmix64(0)))
        for j in range(0, dim, 2):
            a, b = splitmix64((key + j) & ((1 << 64) - 1)), splitmix64((key + j + 1) & ((1 << 64) - 1))
            u1 = ((a >> 11) + 1) * 2.0**-53
            u2 = (b >> 11) * 2.0**-53
            r = math.sqrt(-2.0 * math.log(u1))
            z[i, j] = r * math.cos(6.283185307179586 * u2)
            if j + 1 < dim:
                z[i, j + 1] = r * math.sin(6.283185307179586 * u2)
    return torch.from_numpy(z)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--net", default="G")
    p.add_argument("--opset", type=int, default=13)
    args = p.parse_args()

    meta, tensors = read_safetensors(args.model)
    net = meta["nets"][args.net]
    if net["inputs"] != ["z"]:
        sys.exit(f"make_onnx: net {args.net} takes {net['inputs']}; the benchmark handles z-only generators")
    z_dim = meta["inputs"]["z"]["dim"]
    module = GraphNet(net, tensors).eval()

    check = meta.get("check")
    if check and check.get("net", "G") == args.net and not check.get("labels"):
        with torch.no_grad():
            out = module(normal_latents(check["seed"], check.get("first_index", 0), check["count"], z_dim))
        values = torch.tensor(check["values"])
        diff = (out.flatten()[: len(values)] - values).abs().max().item()
        print(f"make_onnx: golden check max |diff| = {diff:.3g} (file tolerance {check['tolerance']})")
        if not diff <= check["tolerance"]:
            sys.exit("make_onnx: the torch module does not reproduce the file's golden check")

    example = torch.zeros(2, z_dim)
    torch.onnx.export(module, (example,), args.output, input_names=["z"], output_names=["images"],
                      dynamic_axes={"z": {0: "batch"}, "images": {0: "batch"}}, opset_version=args.opset,
                      do_constant_folding=True)
    print(f"make_onnx: wrote {args.output} ({meta['name']}, net {args.net}, z_dim {z_dim}, opset {args.opset})")


if __name__ == "__main__":
    main()
