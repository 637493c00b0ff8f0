"""PyTorch side of bench/mlp_epoch.mjs: one training epoch of the 784-128-10 MLP on request,
so that neurite and PyTorch epochs can be interleaved.

Protocol (one JSON object per line):
  stdin  line 1:  {"threads": N, "data": path to a safetensors file with images [N, 784]
                   float32 and labels [N] int32, "batch": 64, "lr": 0.1}
  stdout:         {"ready": true, "torch": version, "threads": N}   after one warm-up epoch
  stdin  "epoch": one timed epoch -> stdout {"seconds": s, "loss": mean loss}
  stdin  EOF:     exit

Batches are gathered with a shuffled index (x[idx]), as neurite's DataLoader does for a
TensorDataset; torch.utils.data.DataLoader would add per-item Python work to PyTorch's time.
The safetensors file is parsed here with the standard library so no extra package is needed.
"""
import json
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    dtypes = {"F32": torch.float32, "I32": torch.int32, "I64": torch.int64}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        buf = bytearray(raw[8 + n + begin : 8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=dtypes[e["dtype"]]).reshape(e["shape"])
    return out


def main():
    cfg = json.loads(sys.stdin.readline())
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    data = read_safetensors(cfg["data"])
    x, y = data["images"], data["labels"].long()
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    batch = cfg["batch"]

    def epoch():
        model.train()
        perm = torch.randperm(x.shape[0])
        total = 0.0
        for i in range(0, x.shape[0], batch):
            idx = perm[i : i + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        return total / x.shape[0]

    epoch()
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if line.strip() != "epoch":
            continue
        t0 = time.perf_counter()
        loss = epoch()
        print(json.dumps({"seconds": time.perf_counter() - t0, "loss": loss}), flush=True)


if __name__ == "__main__":
    main()
