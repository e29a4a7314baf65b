#!/usr/bin/python3
"""The PyTorch golden of `descent predict` for tests/test_predict.c, made by PyTorch 1.13.

Run from the repository's root with Debian's python3-torch, after `make`:
    /usr/bin/python3 tests/golden/predict/make_goldens.py
It trains model.nn's two blocks once with ./descent (model.safetensors, binary.safetensors
and their logs are frozen here: the test reads these weights, it does not retrain them),
then computes, without descent, what predict must print.

Block golden, for test.csv (expected.csv):
  - the standardization from train.csv itself (per-feature mean and population standard
    deviation, as StandardScaler), not from the statistics saved in the weights;
  - the network as torch modules loading the same safetensors (read with the standard
    library): Linear(4, 8, bias=False), BatchNorm1d(8) in eval mode (running statistics), ReLU,
    Dropout(0.5) in eval mode (the identity), Linear(8, 3), then the softmax;
  - the label: the class of the largest probability, by its name (names in sorted order).
Block binary (bce, one output), for binary_test.csv (binary_expected.csv): the inputs
times 0.1 in float32, Linear(4, 4), Tanh, Linear(4, 1); p_versicolor = sigmoid(output),
p_setosa = 1 - p_versicolor; the label is versicolor when the output is above 0.
Both files hold `row,label,p_<CLASS>...` with %.9g, as predict writes it.
"""
import json
import os
import struct
import subprocess

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)


def read_csv(path):
    lines = open(path).read().split("\n")
    rows = [line.split(",") for line in lines[1:] if line.strip()]
    x = torch.tensor([[float(v) for v in r[:4]] for r in rows], dtype=torch.float64)
    return x, [r[4] for r in rows]


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        kind = {"F32": ("f", torch.float32), "I64": ("q", torch.int64)}[entry["dtype"]]
        values = struct.unpack("<%d%s" % ((end - begin) // (4 if kind[0] == "f" else 8), kind[0]),
                               data[begin:end])
        tensors[name] = torch.tensor(values, dtype=kind[1]).reshape(entry["shape"])
    return tensors


def main():
    subprocess.run(["./descent", "run", "--quiet", os.path.join(HERE, "model.nn")], check=True,
                   stdout=subprocess.DEVNULL)
    train_x, train_y = read_csv(os.path.join(HERE, "train.csv"))
    test_x, _ = read_csv(os.path.join(HERE, "test.csv"))
    classes = sorted(set(train_y))
    mean = train_x.mean(0)
    std = ((train_x - mean) ** 2).mean(0).sqrt()
    x = ((test_x - mean) / std).float()
    w = read_safetensors(os.path.join(HERE, "model.safetensors"))
    net = torch.nn.Sequential(torch.nn.Linear(4, 8, bias=False), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                              torch.nn.Dropout(0.5), torch.nn.Linear(8, 3))
    names = {"0": "dense1", "1": "batchnorm1", "4": "dense2"}
    net.load_state_dict({k: w[names[k.split(".")[0]] + "." + k.split(".", 1)[1]]
                         for k in net.state_dict()})
    net.eval()
    with torch.no_grad():
        p = torch.softmax(net(x).double(), dim=1)
    labels = [classes[int(row.argmax())] for row in p]
    write_expected("expected.csv", classes, labels, p)
    binary()


def write_expected(name, classes, labels, p):
    with open(os.path.join(HERE, name), "w") as out:
        out.write("row,label," + ",".join("p_" + c for c in classes) + "\n")
        for i in range(len(p)):
            out.write("%d,%s,%s\n" % (i, labels[i], ",".join("%.9g" % v for v in p[i].tolist())))


def binary():
    train_x, train_y = read_csv(os.path.join(HERE, "binary_train.csv"))
    test_x, _ = read_csv(os.path.join(HERE, "binary_test.csv"))
    classes = sorted(set(train_y))
    x = test_x.float() * torch.tensor(0.1, dtype=torch.float32)
    w = read_safetensors(os.path.join(HERE, "binary.safetensors"))
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    names = {"0": "dense1", "2": "dense2"}
    net.load_state_dict({k: w[names[k.split(".")[0]] + "." + k.split(".", 1)[1]]
                         for k in net.state_dict()})
    with torch.no_grad():
        z = net(x).double()[:, 0]
    one = torch.sigmoid(z)
    p = torch.stack([1 - one, one], dim=1)
    labels = [classes[int(v > 0)] for v in z]
    write_expected("binary_expected.csv", classes, labels, p)


if __name__ == "__main__":
    main()
