#!/usr/bin/python3
"""Golden gradient clipping for tests/test_stopping.c, made by PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/clip/make_goldens.py
The network, data and initial weights of tests/golden/train/ (Linear(64, 32), ReLU,
Linear(32, 10), cross-entropy, on tiny.csv's 64 rows / 16, from init.safetensors), trained
for 20 full-batch steps, on one thread, with torch.nn.utils.clip_grad_norm_ or
clip_grad_value_ between backward() and step() (as descent's clip = norm(max) and
clip = value(max)). For each case: NAME.losses (the loss before each step), NAME.clipped
(1 when clipping changed that step's gradients: clip_grad_norm_'s coefficient
max / (norm + 1e-6) below 1, or a gradient outside [-max, max]; else 0) and
NAME.safetensors (the final weights, descent's names). The l2 case checks that clipping
comes before the penalty: SGD's weight_decay adds λθ inside step(), after clipping.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, "..", "train")
NAMES = {"dense1.weight": "0.weight", "dense1.bias": "0.bias",
         "dense2.weight": "2.weight", "dense2.bias": "2.bias"}

# name: (optimizer, clipping (kind, max))
CASES = {
    "norm_sgd": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), ("norm", 0.3)),
    "norm_sgd_l2": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.05),
                    ("norm", 0.33)),
    "value_adam": (lambda p: torch.optim.Adam(p, lr=0.01), ("value", 0.06)),
}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = bytearray(data[8 + n + a:8 + n + b])
        out[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def clip(params, kind, limit):
    """Clips the gradients of params as descent's clip = KIND(limit); whether it acted."""
    if kind == "norm":
        total = torch.nn.utils.clip_grad_norm_(params, limit)
        return bool(limit / (total + 1e-6) < 1)
    acted = any(bool((p.grad.abs() > limit).any()) for p in params)
    torch.nn.utils.clip_grad_value_(params, limit)
    return acted


def main():
    torch.set_num_threads(1)
    lines = open(os.path.join(TRAIN, "tiny.csv")).read().splitlines()
    rows = [[float(v) for v in line.split(",")] for line in lines[1:]]
    x = torch.tensor([r[:-1] for r in rows], dtype=torch.float32) / 16
    y = torch.tensor([int(r[-1]) for r in rows])
    init = read_safetensors(os.path.join(TRAIN, "init.safetensors"))
    for name, (make, (kind, limit)) in CASES.items():
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        model.load_state_dict({NAMES[k]: v for k, v in init.items()})
        params = list(model.parameters())
        opt = make(params)
        losses, clipped = [], []
        for _ in range(20):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            clipped.append(clip(params, kind, limit))
            opt.step()
        with open(os.path.join(HERE, name + ".losses"), "w") as f:
            f.write("".join("%.9g\n" % v for v in losses))
        with open(os.path.join(HERE, name + ".clipped"), "w") as f:
            f.write("".join("%d\n" % c for c in clipped))
        sd = model.state_dict()
        write_safetensors(os.path.join(HERE, name + ".safetensors"), {k: sd[m] for k, m in NAMES.items()})
        print(name, "clipped", sum(clipped), "of 20 steps")
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()
