#!/usr/bin/env python3
"""Reads a safetensors file that descent saved, with the standard library only, and counts
the right predictions of its network on a CSV: layers dense1, dense2, ... (PyTorch's
[out, in] weights), ReLU between them.

usage: predict.py WEIGHTS.safetensors DATA.csv LABEL_COLUMN SCALE
prints the number of rows whose argmax equals the label.
"""
import json
import struct
import sys


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        values = struct.unpack("<%df" % ((end - begin) // 4), data[begin:end])
        shape = entry["shape"]
        if len(shape) == 2:
            values = [values[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])]
        tensors[name] = values
    return tensors


def main():
    weights, csv, label, scale = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    tensors = read_safetensors(weights)
    layers = sorted({n.split(".")[0] for n in tensors}, key=lambda n: int(n[len("dense"):]))
    lines = open(csv).read().split()
    columns = lines[0].split(",")
    at = columns.index(label)
    right = 0
    for line in lines[1:]:
        fields = [float(v) for v in line.split(",")]
        x = [v * scale for i, v in enumerate(fields) if i != at]
        for k, name in enumerate(layers):
            w, b = tensors[name + ".weight"], tensors[name + ".bias"]
            x = [sum(wi * xi for wi, xi in zip(row, x)) + bi for row, bi in zip(w, b)]
            if k < len(layers) - 1:
                x = [max(v, 0.0) for v in x]
        right += max(range(len(x)), key=lambda c: x[c]) == int(fields[at])
    print(right)


if __name__ == "__main__":
    main()
