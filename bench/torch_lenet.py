"""PyTorch side of bench/lenet.mjs: timed rounds of LeNet training steps on request, so that
neurite and PyTorch rounds can be interleaved.

Model: conv 1->32 3x3 -> ReLU -> maxpool 2 -> conv 32->64 3x3 -> ReLU -> maxpool 2
       -> Linear 1600->128 -> ReLU -> Linear 128->10; cross-entropy; SGD (no momentum).

Protocol (one JSON object per line):
  stdin  line 1:  {"threads": N, "data": path to a safetensors file with images [N, 1, 28, 28]
                   float32 and labels [N] int32, "batch": 64, "lr": 0.01, "steps": S}
  stdout:         {"ready": true, "torch": version, "threads": N}   after one warm-up round
  stdin  "round": S timed steps (batches taken in order, wrapping) -> {"seconds": s, "loss": last}
  stdin  EOF:     exit
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
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    batch, steps = cfg["batch"], cfg["steps"]
    batches = [(x[i : i + batch], y[i : i + batch]) for i in range(0, x.shape[0] - batch + 1, batch)]
    at = 0

    def run():
        nonlocal at
        model.train()
        loss = None
        for _ in range(steps):
            xb, yb = batches[at % len(batches)]
            at += 1
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        return loss.item()

    run()
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            continue
        t0 = time.perf_counter()
        loss = run()
        print(json.dumps({"seconds": time.perf_counter() - t0, "loss": loss}), flush=True)


if __name__ == "__main__":
    main()
