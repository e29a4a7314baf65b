#!/usr/bin/python3
"""The PyTorch side of bench/cnn.sh: the network, optimizer, batch and data of
examples/fashion_cnn.nn — Conv2d(1, 32, 3, padding='same'), ReLU, MaxPool2d(2),
Conv2d(32, 64, 3, padding='same'), ReLU, MaxPool2d(2), Flatten, Linear(3136, 128), ReLU,
Linear(128, 10); AdamW(lr = 1e-3, weight_decay = 0.01), batch 128, pixels / 255, a new
order every epoch. Each epoch's time includes evaluating the 10,000 test images, as
descent's log does.

usage: /usr/bin/python3 bench/torch_cnn.py THREADS [EPOCHS] [bn]
(prints one line per epoch, then peak RSS). With `bn`: examples/fashion_cnn_bn.nn's
network, BatchNorm2d after each convolution (which then has no bias).
Needs Debian's python3-torch and dataset-fashion-mnist.
"""
import gzip
import resource
import struct
import sys
import time

import numpy as np
import torch

FOLDER = "/usr/share/datasets/fashion-mnist/"


def idx(name):
    data = gzip.open(FOLDER + name).read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def network(bn):
    nn = torch.nn
    norm = (lambda c: [nn.BatchNorm2d(c)]) if bn else (lambda c: [])
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding="same", bias=not bn), *norm(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding="same", bias=not bn), *norm(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    threads = int(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    bn = len(sys.argv) > 3 and sys.argv[3] == "bn"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.from_numpy(idx("train-images-idx3-ubyte.gz").reshape(-1, 1, 28, 28).astype(np.float32)) / 255
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").reshape(-1, 1, 28, 28).astype(np.float32)) / 255
    yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = network(bn)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            rows = order[i:i + 128]
            loss = torch.nn.functional.cross_entropy(model(x[rows]), y[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item()
                          for i in range(0, len(xt), 1000))
        print("torch cnn%s threads %d epoch %d: %.3f s, test_acc %.4f" % (
            "_bn" if bn else "", threads, epoch, time.perf_counter() - start, correct / len(xt)))
    print("torch cnn%s threads %d: peak RSS %d KiB" % (
        "_bn" if bn else "", threads, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


if __name__ == "__main__":
    main()
