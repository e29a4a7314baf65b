#!/usr/bin/python3
"""Golden training steps for tests/test_train.c, made by PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/train/make_goldens.py
Data: the first 64 rows of examples/data/digits_train.csv (tiny.csv here), pixels / 16.
Network: Linear(64, 32), ReLU, Linear(32, 10), cross-entropy; initial weights from
torch.manual_seed(0), written to init.safetensors (by the plain-Python writer below, with
descent's names dense1.weight, ...). Then 20 full-batch steps without shuffling, for each
optimizer; NAME.losses holds the loss before each step, NAME.safetensors the final weights.
AdamW decays biases too, so descent's run of it says decay_biases = true.

More cases for tests/test_numerics.c (NAME.losses holds each epoch's mean training loss,
NAME.lrs the rate of each epoch's last step, as descent's log; NAME.safetensors the final
weights): the same network trained under PyTorch's schedulers (sched_*: warmup then
cosine, SGDR, one-cycle with its momentum cycle), in batches of 48 so that every epoch
ends with a partial batch of 16 (partial_batch), and the batchnorm network with AdamW's
decay on the weights only (bn_wd_no_bias_decay, descent's decay_biases = false).

And for tests/test_optim_table.c (NAME.losses, NAME.safetensors as the first cases): the
plain network from init.safetensors, 20 full-batch steps on one thread, of the optimizers
torch 1.13 lacks or has otherwise (OPTIM_MORE): nadam, lion and adam without bias
correction from ../optim/formulas.py, radam from torch.optim.RAdam; descent's decoupled wd
(decay_biases = true) applied by hand before each step.

Reproducibility: on the machine that last ran this script (2 cores), the cases written
before torch.set_num_threads(1) (sgd_momentum, adamw, bn_sgd_momentum, bn_adamw) did not
come out byte for byte as committed; those files were kept as they were, and only the new
ones added.
"""
import json
import os
import struct

import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "optim"))
import formulas as F  # noqa: E402


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
    train_cases("", plain_network, init, modules, x, y)
    init_bn, modules_bn = batchnorm_goldens(x, y)
    more_goldens(x, y, init, modules, init_bn, modules_bn)
    optimizer_goldens(x, y, init, modules)
    print("torch", torch.__version__, "wrote", 2 * len(OPTIMIZERS) + len(MORE) + len(OPTIM_MORE),
          "cases and bn_unit.txt")


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
    train_cases("bn_", batchnorm_network, init, modules, x, y)
    return init, modules


def plain_network():
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


def batchnorm_network():
    return torch.nn.Sequential(torch.nn.Linear(64, 32, bias=False), torch.nn.BatchNorm1d(32),
                               torch.nn.ReLU(), torch.nn.Linear(32, 10))


def no_decay_groups(model):
    """AdamW's decay on the two dense weights only: batchnorm's gamma and beta and the
    last bias are not decayed (descent's decay_biases = false)."""
    return [{"params": [model[0].weight, model[3].weight]},
            {"params": [model[1].weight, model[1].bias, model[3].bias], "weight_decay": 0.0}]


S = torch.optim.lr_scheduler

# name: (batchnorm network?, batch, epochs, optimizer, scheduler or None, param groups or None)
MORE = {
    # descent: sgd(lr = 0.1, momentum = 0.9), warmup(5, start_factor = 0.2) then cosine(15)
    "sched_warmup_cosine": (False, 64, 20,
                            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                            lambda o: S.SequentialLR(o, [
                                S.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=5),
                                S.CosineAnnealingLR(o, T_max=15)], milestones=[5]), None),
    # descent: adam(lr = 0.01), cosine_restart(T0 = 4, T_mult = 2)
    "sched_sgdr": (False, 64, 20, lambda p: torch.optim.Adam(p, lr=0.01),
                   lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2), None),
    # descent: sgd(lr = 0.1, momentum = 0.95), one_cycle(20), and OneCycleLR's momentum
    # (0.95 down to 0.85 over its first phase, 0.3·20 − 1 = 5 steps, and back up over the
    # 14 left) as momentum_schedule = cosine(5, eta_min = 0.85) then
    # one_cycle(total = 30, pct_start = 0.5, div = 0.95 / 0.85), whose rising phase
    # lasts 0.5·30 − 1 = 14 steps from 0.95 / div = 0.85
    "sched_one_cycle": (False, 64, 20, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.95),
                        lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=20, pct_start=0.3,
                                               base_momentum=0.85, max_momentum=0.95), None),
    # descent: sgd(lr = 0.1, momentum = 0.9), batch = 48: batches of 48 and 16 rows
    "partial_batch": (False, 48, 10, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                      None, None),
    # descent: adamw(lr = 0.01, wd = 0.5), decay_biases = false
    "bn_wd_no_bias_decay": (True, 64, 20,
                            lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.5), None,
                            no_decay_groups),
}


def more_goldens(x, y, init, modules, init_bn, modules_bn):
    """Each case of MORE, started from init (or init_bn), trained in file order. One
    thread, so that a rerun on the same machine writes the same bytes (the sums of a
    matrix product are split by thread count)."""
    torch.set_num_threads(1)
    for name, (bn, batch, epochs, make, schedule, groups) in MORE.items():
        model = batchnorm_network() if bn else plain_network()
        names = modules_bn if bn else modules
        model.load_state_dict({names[k]: v for k, v in (init_bn if bn else init).items()})
        opt = make(groups(model) if groups else model.parameters())
        sched = schedule(opt) if schedule else None
        losses, lrs = train_epochs(model, opt, sched, x, y, batch, epochs)
        for ext, values in ((".losses", losses), (".lrs", lrs)):
            with open(os.path.join(HERE, name + ext), "w") as f:
                f.write("".join("%r\n" % v for v in values))
        sd = model.state_dict()
        write_safetensors(os.path.join(HERE, name + ".safetensors"),
                          {k: sd[m] for k, m in names.items()})


def train_epochs(model, opt, sched, x, y, batch, epochs):
    """Trains model on (x, y) in file order, in batches of `batch` rows (the last one
    smaller), stepping sched after every step; returns each epoch's mean loss over its
    samples and the rate of its last step."""
    losses, lrs = [], []
    for _ in range(epochs):
        total = 0.0
        for first in range(0, len(y), batch):
            xb, yb = x[first:first + batch], y[first:first + batch]
            lr = opt.param_groups[0]["lr"]
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            total += loss.item() * len(yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched:
                sched.step()
        losses.append(total / len(y))
        lrs.append(lr)
    return losses, lrs


# name: (optimizer, decoupled wd applied to every tensor before each step), with descent's
# optimizer (decay_biases = true) in the comment
OPTIM_MORE = {
    "nadam": (lambda p: F.NAdam(p, lr=0.01), 0.0),  # nadam(lr = 0.01)
    "radam": (lambda p: torch.optim.RAdam(p, lr=0.01), 0.01),  # radam(lr = 0.01, wd = 0.01)
    "lion": (lambda p: F.Lion(p, lr=1e-3), 0.5),  # lion(lr = 1e-3, wd = 0.5)
    # adam(lr = 0.01, bias_correction = false)
    "adam_uncorrected": (lambda p: F.AdamUncorrected(p, lr=0.01), 0.0),
}


def optimizer_goldens(x, y, init, modules):
    """Each case of OPTIM_MORE: 20 full-batch steps of the plain network from init (after
    more_goldens set one thread)."""
    for name, (make, wd) in OPTIM_MORE.items():
        model = plain_network()
        model.load_state_dict({modules[k]: v for k, v in init.items()})
        opt = make(model.parameters())
        losses = []
        for _ in range(20):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p.mul_(1 - opt.param_groups[0]["lr"] * wd)
            opt.step()
        with open(os.path.join(HERE, name + ".losses"), "w") as f:
            f.write("".join("%r\n" % v for v in losses))
        sd = model.state_dict()
        write_safetensors(os.path.join(HERE, name + ".safetensors"),
                          {k: sd[m] for k, m in modules.items()})


if __name__ == "__main__":
    main()
