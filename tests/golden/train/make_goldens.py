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
        if t.dtype == torch.int64:  # num_batches_tracked: an I64 scalar
            data, dtype = struct.pack("<q", int(t.item())), "I64"
        else:
            data, dtype = t.detach().contiguous().to(torch.float32).numpy().tobytes(), "F32"
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# The optimizers each network is trained with: NAME.losses and NAME.safetensors.
OPTIMIZERS = {
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01),
}


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
    modules = {"dense1.weight": "0.weight", "dense1.bias": "0.bias",
               "dense2.weight": "2.weight", "dense2.bias": "2.bias"}
    train_cases("", lambda: torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                                 torch.nn.Linear(32, 10)), init, modules, x, y)
    batchnorm_goldens(x, y)
    print("torch", torch.__version__, "wrote", 2 * len(OPTIMIZERS), "cases and bn_unit.txt")


def train_cases(prefix, build, init, modules, x, y):
    """For each of OPTIMIZERS: the network build() makes, started from init (descent's
    names; modules maps them to the network's), trained for 20 steps and saved as
    PREFIXNAME.safetensors under descent's names."""
    for name, make in OPTIMIZERS.items():
        model = build()
        model.load_state_dict({modules[k]: v for k, v in init.items()})
        train_20_steps(model, make, x, y, prefix + name)
        sd = model.state_dict()
        write_safetensors(os.path.join(HERE, prefix + name + ".safetensors"),
                          {k: sd[m] for k, m in modules.items()})


def train_20_steps(model, make, x, y, name):
    """Trains model on the whole batch (x, y) for 20 steps of the optimizer make builds,
    writing each step's loss (before the step) to NAME.losses."""
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


def batchnorm_goldens(x, y):
    """bn_unit.txt: one BatchNorm1d(5) in training mode (output, input gradient, weight and
    bias gradients for an upstream gradient dout), then its running statistics after
    three batches; bn_NAME.losses/.safetensors: Linear(64, 32, bias=False),
    BatchNorm1d(32), ReLU, Linear(32, 10) trained as the cases above (init_bn.safetensors)."""
    torch.manual_seed(1)
    bn = torch.nn.BatchNorm1d(5)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(5))
        bn.bias.copy_(torch.randn(5))
    inp = (torch.randn(8, 5) * 3 + 1).requires_grad_(True)
    dout = torch.randn(8, 5)
    out = bn(inp)
    out.backward(dout)
    bn(inp.detach() * 2)
    bn(inp.detach() - 1)
    with open(os.path.join(HERE, "bn_unit.txt"), "w") as f:
        for name, t in [("x", inp), ("gamma", bn.weight), ("beta", bn.bias), ("dout", dout),
                        ("y", out), ("dx", inp.grad), ("dgamma", bn.weight.grad),
                        ("dbeta", bn.bias.grad), ("running_mean", bn.running_mean),
                        ("running_var", bn.running_var)]:
            f.write(name + " " + " ".join("%r" % v for v in t.detach().flatten().tolist()) + "\n")
    torch.manual_seed(2)
    first, norm, second = torch.nn.Linear(64, 32, bias=False), torch.nn.BatchNorm1d(32), torch.nn.Linear(32, 10)
    with torch.no_grad():
        norm.weight.copy_(1 + 0.1 * torch.randn(32))
        norm.bias.copy_(0.1 * torch.randn(32))
    init = {"dense1.weight": first.weight, "batchnorm1.weight": norm.weight,
            "batchnorm1.bias": norm.bias, "batchnorm1.running_mean": norm.running_mean,
            "batchnorm1.running_var": norm.running_var,
            "batchnorm1.num_batches_tracked": norm.num_batches_tracked,
            "dense2.weight": second.weight, "dense2.bias": second.bias}
    write_safetensors(os.path.join(HERE, "init_bn.safetensors"), init)
    modules = {"dense1.weight": "0.weight", "batchnorm1.weight": "1.weight",
               "batchnorm1.bias": "1.bias", "batchnorm1.running_mean": "1.running_mean",
               "batchnorm1.running_var": "1.running_var",
               "batchnorm1.num_batches_tracked": "1.num_batches_tracked",
               "dense2.weight": "3.weight", "dense2.bias": "3.bias"}
    train_cases("bn_", lambda: torch.nn.Sequential(
        torch.nn.Linear(64, 32, bias=False), torch.nn.BatchNorm1d(32), torch.nn.ReLU(),
        torch.nn.Linear(32, 10)), init, modules, x, y)


if __name__ == "__main__":
    main()
