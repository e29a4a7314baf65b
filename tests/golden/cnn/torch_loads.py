"""Checks by hand (not a test: tests never need PyTorch) that a torch nn.Sequential of the
same layers loads a CNN that descent saved, strictly, under its own names.

    cd tests/golden/cnn && ../../../descent run torch_loads.nn && /usr/bin/python3 torch_loads.py

Prints "<All keys matched successfully>" and each tensor's shape (PyTorch's layouts:
conv weight (F, C, KH, KW), batchnorm per channel, num_batches_tracked an int64 scalar).
"""
import json
import struct

import torch

raw = open("runs/torch_loads.safetensors", "rb").read()
size = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + size])
body = raw[8 + size:]
tensors = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    start, end = t["data_offsets"]
    dtype = {"F32": torch.float32, "I64": torch.int64}[t["dtype"]]
    tensors[name] = torch.frombuffer(bytearray(body[start:end]), dtype=dtype).reshape(t["shape"])

net = torch.nn.Sequential(
    torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
    torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, (3, 2), stride=(1, 2)), torch.nn.ReLU(),
    torch.nn.AvgPool2d(2, stride=1), torch.nn.Flatten(), torch.nn.Linear(12, 10))
position = {"conv2d1": "0", "batchnorm1": "1", "conv2d2": "4", "dense1": "8"}
state = {position[k.split(".")[0]] + "." + k.split(".", 1)[1]: v for k, v in tensors.items()}
print(net.load_state_dict(state, strict=True))
print({k: tuple(v.shape) for k, v in state.items()})
