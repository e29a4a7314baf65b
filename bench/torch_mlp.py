#!/usr/bin/python3
"""The PyTorch side of bench/run.sh's Fashion-MNIST comparison: the network, optimizer,
batch and epochs of examples/fashion_mlp.nn (784-256-128-10, ReLU, AdamW(lr = 1e-3,
weight_decay = 0.01), batch 128, 3 epochs, pixels / 255, a new order every epoch).
Each epoch's time includes evaluating the 10,000 test images, as descent's log does.

usage: /usr/bin/python3 bench/torch_mlp.py THREADS [plain|regularized] [EPOCHS]
(prints one line per epoch, then RSS; EPOCHS default 3). With `regularized`: the network of
bench/fashion_regularized.nn, with BatchNorm1d after the first Linear (no bias) and
Dropout(0.2) after its ReLU.
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


def main():
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    x = torch.from_numpy(idx("train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)) / 255
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)) / 255
    yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    if len(sys.argv) > 2 and sys.argv[2] == "regularized":
        model = torch.nn.Sequential(torch.nn.Linear(784, 256, bias=False), torch.nn.BatchNorm1d(256),
                                    torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(256, 128),
                                    torch.nn.ReLU(), torch.nn.Linear(128, 10))
    else:
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                    torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
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
        print("torch threads %d epoch %d: %.3f s, test_acc %.4f" % (
            threads, epoch, time.perf_counter() - start, correct / len(xt)))
    print("torch threads %d: peak RSS %d KiB" % (threads, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


if __name__ == "__main__":
    main()
