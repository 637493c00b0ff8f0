"""PyTorch side of bench/conv.mjs: conv2d 64->64, 3x3, padding 'same', 32x32, batch 32.

Protocol (one line each way): stdin line 1 is {"threads": N, "iters": K}; after warm-up this
prints {"ready": true, "torch": version}. Each later line "fwd" or "train" runs K calls and
prints {"ms": mean milliseconds per call}. EOF exits. Started by bench/conv.mjs.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def main():
    cfg = json.loads(sys.stdin.readline())
    torch.set_num_threads(cfg['threads'])
    torch.manual_seed(0)
    x = torch.randn(32, 64, 32, 32, requires_grad=True)
    w = torch.randn(64, 64, 3, 3, requires_grad=True)
    b = torch.randn(64, requires_grad=True)
    r = torch.randn(32, 64, 32, 32)

    def fwd():
        with torch.no_grad():
            F.conv2d(x, w, b, padding='same')

    def train():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding='same').backward(r)

    fns = {'fwd': fwd, 'train': train}
    for f in fns.values():
        f()
        f()
    print(json.dumps({'ready': True, 'torch': torch.__version__}), flush=True)
    for line in sys.stdin:
        f = fns[line.strip()]
        t0 = time.perf_counter()
        for _ in range(cfg['iters']):
            f()
        ms = (time.perf_counter() - t0) * 1e3 / cfg['iters']
        print(json.dumps({'ms': ms}), flush=True)


if __name__ == '__main__':
    main()
