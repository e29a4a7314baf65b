#!/usr/bin/python3
"""The PyTorch golden of `descent predict` on a regression run, for
tests/test_predict_regression.c, made by PyTorch 1.13.

Run from the repository's root with Debian's python3-torch, after `make`:
    /usr/bin/python3 tests/golden/predict/make_regression_golden.py
It trains regression.nn once with ./descent (regression.safetensors and regression.jsonl
are frozen here: the test reads these weights, it does not retrain them), then computes,
without descent, what predict must print for reg_test.csv (reg_expected.csv):
  - the inputs: every column but the targets progression and s5, in file order,
    standardized with reg_train.csv's own per-feature mean and population standard
    deviation (as StandardScaler), not with the statistics saved in the weights;
  - the network as torch modules loading the same safetensors (read with the standard
    library): Linear(9, 16), ReLU, Dropout(0.2) in eval mode (the identity), Linear(16, 2);
  - the outputs as they are: the targets in their own units (normalize touches inputs
    only), float32, written `row,progression,s5` with %.9g, as predict writes them.
"""
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_goldens import read_safetensors  # noqa: E402

torch.set_num_threads(1)
TARGETS = ["progression", "s5"]


def read_csv(path):
    lines = [line for line in open(path).read().split("\n") if line.strip()]
    header = lines[0].split(",")
    keep = [c for c, name in enumerate(header) if name not in TARGETS]
    rows = [line.split(",") for line in lines[1:]]
    return torch.tensor([[float(r[c]) for c in keep] for r in rows], dtype=torch.float64)


def main():
    subprocess.run(["./descent", "run", "--quiet", os.path.join(HERE, "regression.nn")],
                   check=True, stdout=subprocess.DEVNULL)
    train_x = read_csv(os.path.join(HERE, "reg_train.csv"))
    test_x = read_csv(os.path.join(HERE, "reg_test.csv"))
    mean = train_x.mean(0)
    std = ((train_x - mean) ** 2).mean(0).sqrt()
    x = ((test_x - mean) / std).float()
    w = read_safetensors(os.path.join(HERE, "regression.safetensors"))
    net = torch.nn.Sequential(torch.nn.Linear(9, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                              torch.nn.Linear(16, 2))
    names = {"0": "dense1", "3": "dense2"}
    net.load_state_dict({k: w[names[k.split(".")[0]] + "." + k.split(".", 1)[1]]
                         for k in net.state_dict()})
    net.eval()
    with torch.no_grad():
        z = net(x)
    with open(os.path.join(HERE, "reg_expected.csv"), "w") as out:
        out.write("row," + ",".join(TARGETS) + "\n")
        for i, row in enumerate(z.tolist()):
            out.write("%d,%s\n" % (i, ",".join("%.9g" % v for v in row)))


if __name__ == "__main__":
    main()
