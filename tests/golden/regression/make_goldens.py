#!/usr/bin/python3
"""Golden training runs for tests/test_regression.c, made by PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/regression/make_goldens.py
(torch 1.13, one thread, float32).

Regression (descent's `targets = values`): rows 1-64 of examples/data/diabetes.csv are
train.csv here, rows 65-96 test.csv; inputs are the other columns times 0.01 (descent's
`scale = 0.01`, no normalization: targets are never scaled). Network Linear(F, 16), ReLU,
Linear(16, T), initial weights from torch.manual_seed(0) in init_NAME.safetensors
(descent's names). 20 full-batch steps without shuffling, so descent's epoch k is step k:
NAME.txt has one line per step with the training loss, rmse, mae and r2 of the forward pass
before the step, then the test set's loss, rmse, mae and r2 after the step; NAME.safetensors
the final weights. rmse and mae are over all N*T outputs, r2 is scikit-learn's r2_score
(1 - SSE/SST per target about the set's mean, averaged over the targets).

Cases: mse (MSELoss), mae (L1Loss), huber (HuberLoss(delta = 1)) and mse on two targets.

Label smoothing: smoothing.losses / smoothing.safetensors, the network and data of
tests/golden/train (tiny.csv, init.safetensors: Linear(64, 32), ReLU, Linear(32, 10),
pixels / 16) trained for 20 full-batch steps of SGD(lr = 0.1, momentum = 0.9) with
CrossEntropyLoss(label_smoothing = 0.1); the loss before each step.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
TRAIN_GOLDENS = os.path.join(HERE, "..", "train")


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(h["shape"])
        out[name] = t.clone()
    return out


# name: (loss, target columns, optimizer)
CASES = {
    "mse": (torch.nn.MSELoss(), ["progression"], lambda p: torch.optim.Adam(p, lr=0.05)),
    "mae": (torch.nn.L1Loss(), ["progression"], lambda p: torch.optim.Adam(p, lr=0.05)),
    "huber": (torch.nn.HuberLoss(delta=1.0), ["s5"],
              lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "mse2": (torch.nn.MSELoss(), ["s5", "s6"], lambda p: torch.optim.Adam(p, lr=0.02)),
}


def table(path):
    lines = open(path).read().splitlines()
    return lines[0].split(","), [[float(v) for v in line.split(",")] for line in lines[1:]]


def split(header, rows, targets):
    cols = [header.index(t) for t in targets]
    feats = [j for j in range(len(header)) if j not in cols]
    x = torch.tensor([[r[j] for j in feats] for r in rows], dtype=torch.float32) * 0.01
    t = torch.tensor([[r[j] for j in cols] for r in rows], dtype=torch.float32)
    return x, t


def figures(z, t):
    """rmse, mae, r2 of outputs z against targets t, in double."""
    z, t = z.double(), t.double()
    e = z - t
    sse = (e * e).sum(0)
    sst = ((t - t.mean(0)) ** 2).sum(0)
    r2 = torch.where(sst > 0, 1 - sse / sst, (sse == 0).double()).mean()
    return e.pow(2).mean().sqrt().item(), e.abs().mean().item(), r2.item()


def regression_case(name, loss_fn, targets, make, data):
    header, rows = data["train"]
    x, t = split(header, rows, targets)
    xt, tt = split(*data["test"], targets)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, len(targets)))
    names = {"dense1.weight": "0.weight", "dense1.bias": "0.bias",
             "dense2.weight": "2.weight", "dense2.bias": "2.bias"}
    sd = model.state_dict()
    write_safetensors(os.path.join(HERE, "init_%s.safetensors" % name),
                      {k: sd[m] for k, m in names.items()})
    opt = make(model.parameters())
    lines = []
    for _ in range(20):
        z = model(x)
        loss = loss_fn(z, t)
        train = (loss.item(),) + figures(z.detach(), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            zt = model(xt)
            test = (loss_fn(zt, tt).item(),) + figures(zt, tt)
        lines.append(" ".join("%.9g" % v for v in train + test))
    with open(os.path.join(HERE, name + ".txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    sd = model.state_dict()
    write_safetensors(os.path.join(HERE, name + ".safetensors"),
                      {k: sd[m] for k, m in names.items()})


def smoothing_case():
    lines = open(os.path.join(TRAIN_GOLDENS, "tiny.csv")).read().splitlines()
    rows = [[float(v) for v in line.split(",")] for line in lines[1:]]
    x = torch.tensor([r[:-1] for r in rows], dtype=torch.float32) / 16
    y = torch.tensor([int(r[-1]) for r in rows])
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    names = {"dense1.weight": "0.weight", "dense1.bias": "0.bias",
             "dense2.weight": "2.weight", "dense2.bias": "2.bias"}
    init = read_safetensors(os.path.join(TRAIN_GOLDENS, "init.safetensors"))
    model.load_state_dict({m: init[k] for k, m in names.items()})
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    losses = []
    for _ in range(20):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    with open(os.path.join(HERE, "smoothing.losses"), "w") as f:
        f.write("".join("%.9g\n" % v for v in losses))
    sd = model.state_dict()
    write_safetensors(os.path.join(HERE, "smoothing.safetensors"),
                      {k: sd[m] for k, m in names.items()})


def main():
    torch.set_num_threads(1)
    lines = open(os.path.join(ROOT, "examples", "data", "diabetes.csv")).read().splitlines()
    with open(os.path.join(HERE, "train.csv"), "w") as f:
        f.write("\n".join(lines[:65]) + "\n")
    with open(os.path.join(HERE, "test.csv"), "w") as f:
        f.write("\n".join([lines[0]] + lines[65:97]) + "\n")
    data = {"train": table(os.path.join(HERE, "train.csv")),
            "test": table(os.path.join(HERE, "test.csv"))}
    for name, (loss_fn, targets, make) in CASES.items():
        regression_case(name, loss_fn, targets, make, data)
    smoothing_case()
    print("torch", torch.__version__, "wrote", len(CASES), "regression cases and smoothing")


if __name__ == "__main__":
    main()
