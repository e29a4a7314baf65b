#!/usr/bin/python3
"""Golden training steps of a small CNN for tests/test_cnn.c, made by PyTorch 1.13.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/cnn/make_goldens.py
Data: 32 images (1, 10, 10) in [0, 1) and labels 0..9 from torch.manual_seed(0), written
as x.npy (float32) and y.npy (int64). Network (descent's names after the colon):
  Conv2d(1, 4, 3, padding=1, bias=False)             conv2d1 (no bias before BatchNorm:
                                                     its gradient is rounding noise, which
                                                     Adam would amplify into steps)
  BatchNorm2d(4)                                     batchnorm1
  ReLU, MaxPool2d(2)                                 -> (4, 5, 5)
  Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0)) conv2d2 -> (6, 3, 4)
  ReLU, AvgPool2d(2, stride=1)                       -> (6, 2, 3)
  Dropout(0.25) with descent's mask (below)
  Flatten, Linear(36, 10)                            dense1
Initial weights from torch.manual_seed(1) (BatchNorm's γ and β moved off 1 and 0), in
init.safetensors under descent's names. Then 20 full-batch steps without shuffling, for
each optimizer; NAME.losses holds the loss before each step, NAME.safetensors the final
tensors (running statistics and num_batches_tracked too). AdamW decays biases too, so
descent's run of it says decay_biases = true.

Dropout: PyTorch's own draws cannot be reproduced, so the mask is descent's, computed
here from its counter-based generator (runtime/rng.h, layers.c): unit i of the batch
(row-major over (B, C, H, W)) at step s is kept, ×1/q, when
rng_keyed(rng_key(seed, RNG_DROPOUT), s << 40 | layer << 32 | i) >> 11 < ceil(q·2^53),
with layer = 7 (the layers before it that are not views) and seed = SEED.
"""
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SEED, KEEP, DROPOUT_LAYER, RNG_DROPOUT = 7, 0.75, 7, 5
M64 = (1 << 64) - 1


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def key(seed, stream):
    return mix(mix((seed + 0x9E3779B97F4A7C15) & M64) ^ ((stream * 0xD1B54A32D192ED03) & M64))


def keyed(k, counter):
    return mix(k ^ ((counter * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & M64))


def dropout_mask(step, shape):
    """descent's multipliers at step for a batch of shape (B, C, H, W)."""
    k, threshold = key(SEED, RNG_DROPOUT), math.ceil(KEEP * 2.0 ** 53)
    base = step << 40 | (DROPOUT_LAYER & 0xFF) << 32
    kept = np.float32(1 / KEEP)
    n = int(np.prod(shape))
    values = [kept if keyed(k, base | i) >> 11 < threshold else np.float32(0) for i in range(n)]
    return torch.tensor(np.array(values, dtype=np.float32).reshape(shape))


class Dropout(torch.nn.Module):
    """Dropout with descent's mask of the current step (self.step)."""

    def __init__(self):
        super().__init__()
        self.step = 0

    def forward(self, x):
        return x * dropout_mask(self.step, tuple(x.shape)) if self.training else x


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


def network():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0)),
        torch.nn.ReLU(), torch.nn.AvgPool2d(2, stride=1), Dropout(), torch.nn.Flatten(),
        torch.nn.Linear(36, 10))


# descent's names → the Sequential's
MODULES = {
    "conv2d1.weight": "0.weight",
    "batchnorm1.weight": "1.weight", "batchnorm1.bias": "1.bias",
    "batchnorm1.running_mean": "1.running_mean", "batchnorm1.running_var": "1.running_var",
    "batchnorm1.num_batches_tracked": "1.num_batches_tracked",
    "conv2d2.weight": "4.weight", "conv2d2.bias": "4.bias",
    "dense1.weight": "9.weight", "dense1.bias": "9.bias",
}

OPTIMIZERS = {
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01),
}


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.rand(32, 1, 10, 10)
    y = torch.randint(0, 10, (32,))
    np.save(os.path.join(HERE, "x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(HERE, "y.npy"), y.numpy().astype(np.int64))
    torch.manual_seed(1)
    model = network()
    with torch.no_grad():
        model[1].weight.copy_(1 + 0.1 * torch.randn(4))
        model[1].bias.copy_(0.1 * torch.randn(4))
    init = {k: v.clone() for k, v in ((k, model.state_dict()[m]) for k, m in MODULES.items())}
    write_safetensors(os.path.join(HERE, "init.safetensors"), init)
    for name, make in OPTIMIZERS.items():
        model = network()
        model.load_state_dict({MODULES[k]: v for k, v in init.items()})
        opt = make(model.parameters())
        losses = []
        for step in range(20):
            model[7].step = step
            loss = torch.nn.functional.cross_entropy(model(x), y)
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        with open(os.path.join(HERE, name + ".losses"), "w") as f:
            f.write("".join("%r\n" % v for v in losses))
        sd = model.state_dict()
        write_safetensors(os.path.join(HERE, name + ".safetensors"),
                          {k: sd[m] for k, m in MODULES.items()})
    print("torch", torch.__version__, "wrote", len(OPTIMIZERS), "cases")


if __name__ == "__main__":
    main()
