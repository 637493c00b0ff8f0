"""PyTorch side of `npm run bench`: times the workloads bench/run.mjs sends, one block at a
time on request, so that neurite and PyTorch can be interleaved workload by workload.

Protocol (one JSON object per line):
  stdin  line 1:  {"threads": N, "target": seconds per block, "workloads": [spec...]}
  stdout:         {"ready": true, "torch": version, "threads": N}   after warm-up and calibration
  stdin  "run I": one timed block of workload I (index into the list) ->
  stdout:         {"seconds": seconds per call}
  stdin  EOF:     exit

The specs are plain data from bench/workloads.mjs (op, input shapes); `npm run bench`
starts this script with /usr/bin/python3 and OMP_NUM_THREADS/OPENBLAS_NUM_THREADS = N.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def thunk(spec):
    """Builds the inputs of `spec` and returns a function that runs the op once."""
    a, *rest = [torch.randn(*s) for s in spec["shapes"]]
    b = rest[0] if rest else None
    op = spec["op"]
    if op == "set":
        dst = torch.empty_like(a)
        return lambda: dst.copy_(a)
    table = {
        "clone": lambda: a.clone(),
        "add": lambda: torch.add(a, b),
        "mul": lambda: torch.mul(a, b),
        "exp": lambda: torch.exp(a),
        "relu": lambda: torch.relu(a),
        "sigmoid": lambda: torch.sigmoid(a),
        "tanh": lambda: torch.tanh(a),
        "gelu": lambda: F.gelu(a),
        "sum": lambda: torch.sum(a),
        "sum_last": lambda: torch.sum(a, -1),
        "max_dim0": lambda: torch.max(a, 0),
        "softmax": lambda: torch.softmax(a, -1),
        "matmul": lambda: torch.matmul(a, b),
    }
    if op not in table:
        raise ValueError(f"torch_ops: no torch setup for op {op}")
    return table[op]


def calibrate(fn, target):
    """Calls per chunk so that one chunk takes about a quarter of `target` (at least 1)."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= 0.01 or n >= 1 << 20:
            return max(1, round(target / 4 * n / dt))
        n *= 2


def timed(fn, n, target):
    """Seconds per call over chunks of n calls, repeated until `target` seconds have passed."""
    calls = 0
    t0 = time.perf_counter()
    while True:
        for _ in range(n):
            fn()
        calls += n
        dt = time.perf_counter() - t0
        if dt >= target:
            return dt / calls


def main():
    config = json.loads(sys.stdin.readline())
    torch.set_num_threads(config["threads"])
    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    target = config["target"]
    work = []
    for spec in config["workloads"]:
        fn = thunk(spec)
        work.append((fn, calibrate(fn, target)))
    print(json.dumps({"ready": True, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd != "run":
            continue
        fn, n = work[int(arg)]
        print(json.dumps({"seconds": timed(fn, n, target)}), flush=True)


if __name__ == "__main__":
    main()
