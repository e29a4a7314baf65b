#!/usr/bin/python3
"""Golden training steps for tests/test_train.c, made by PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/train/make_goldens.py
Data: the first 64 rows of examples/data/digits_train.csv (tiny.csv here), pixels / 16.
Network: Linear(64, 32), ReLU, Linear(32, 10), cross-entropy; initial weights from
torch.manual_seed(0), written to init.safetensors (by the plain-Python writer below, with
descent's names dense1.weight, ...). Then 20 full-batch steps without shuffling, for each
optimizer; NAME.losses holds the loss before each step, NAME.safetensors the final weights.
AdamW decays biases too, so descent's run of it says decay_biases = true.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")


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


def main():
    lines = open(os.path.join(ROOT, "examples", "data", "digits_train.csv")).read().splitlines()
    with open(os.path.join(HERE, "tiny.csv"), "w") as f:
        f.write("\n".join(lines[:65]) + "\n")
    rows = [[float(v) for v in line.split(",")] for line in lines[1:65]]
    x = torch.tensor([r[:-1] for r in rows], dtype=torch.float32) / 16
    y = torch.tensor([int(r[-1]) for r in rows])
    torch.manual_seed(0)
    first, second = torch.nn.Linear(64, 32), torch.nn.Linear(32, 10)
    init = {"dense1.weight": first.weight, "dense1.bias": first.bias,
            "dense2.weight": second.weight, "dense2.bias": second.bias}
    write_safetensors(os.path.join(HERE, "init.safetensors"), init)
    cases = {
        "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01),
    }
    for name, make in cases.items():
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        with torch.no_grad():
            model[0].weight.copy_(first.weight)
            model[0].bias.copy_(first.bias)
            model[2].weight.copy_(second.weight)
            model[2].bias.copy_(second.bias)
        opt = make(model.parameters())
        losses = []
        for _ in range(20):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        with open(os.path.join(HERE, name + ".losses"), "w") as f:
            f.write("".join("%r\n" % v for v in losses))
        write_safetensors(os.path.join(HERE, name + ".safetensors"),
                          {"dense1.weight": model[0].weight, "dense1.bias": model[0].bias,
                           "dense2.weight": model[2].weight, "dense2.bias": model[2].bias})
    print("torch", torch.__version__, "wrote", len(cases), "cases")


if __name__ == "__main__":
    main()
