"""PyTorch side of bench/gemm.mjs: times torch.mm on the GEMM shapes it sends, one block at a
time on request, so that neurite and PyTorch can be interleaved shape by shape.

Protocol (one JSON object per line):
  stdin  line 1:    {"target": seconds per block, "shapes": [{"M", "N", "K", "ta", "tb"}...]}
  stdout:           {"ready": true, "torch": version, "mkl": bool, "isa": str, "blas": str}
  stdin  "threads N": torch.set_num_threads(N), then recalibrates ->
  stdout:           {"threads": N}
  stdin  "run I":   one timed block of shape I (torch.mm allocating its result) ->
  stdout:           {"seconds": seconds per call}
  stdin  "out I":   the same with torch.mm(a, b, out=c) into one preallocated c
  stdin  EOF:       exit

Transposed operands are transposed views (a.t()), so torch.mm passes transpose flags to its
BLAS as neurite's gemm does, with no copy. bench/gemm.mjs starts this script with
/usr/bin/python3 and, unless told otherwise, MKL_ENABLE_INSTRUCTIONS=AVX2 (the ISA neurite
targets; this machine also has AVX-512).
"""
import ctypes
import json
import sys
import time

import torch


def blas_set_threads(n):
    """Debian's torch (BLAS_INFO=generic) calls the system libblas.so.3, OpenBLAS here, whose
    own threads torch.set_num_threads does not limit: set them too. Returns the BLAS core name
    or None when the BLAS is not OpenBLAS."""
    try:
        blas = ctypes.CDLL("libblas.so.3")
        blas.openblas_set_num_threads(ctypes.c_int(n))
        blas.openblas_get_corename.restype = ctypes.c_char_p
        return blas.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return None


def thunks(s):
    """Returns two functions computing op(A)·op(B) for shape spec `s` once: torch.mm
    allocating its output (as neurite's matmul does) and torch.mm(out=) into one tensor (as
    neurite's matmul(a, b, { out }))."""
    M, N, K = s["M"], s["N"], s["K"]
    a = torch.randn(K, M).t() if s["ta"] else torch.randn(M, K)
    b = torch.randn(N, K).t() if s["tb"] else torch.randn(K, N)
    c = torch.empty(M, N)
    return (lambda: torch.mm(a, b)), (lambda: torch.mm(a, b, out=c))


def calibrate(fn, target):
    """Calls per block so that one block takes about `target` seconds (at least 1)."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target / 4 or n >= 1 << 20:
            return max(1, round(target * n / dt))
        n *= 2


def main():
    config = json.loads(sys.stdin.readline())
    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    target = config["target"]
    pairs = [thunks(s) for s in config["shapes"]]
    fns = [p[0] for p in pairs]
    outs = [p[1] for p in pairs]
    reps = [1] * len(fns)
    isa = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "?"
    print(json.dumps({"ready": True, "torch": torch.__version__,
                      "mkl": torch.backends.mkl.is_available(), "isa": isa,
                      "blas": blas_set_threads(1)}), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "threads":
            torch.set_num_threads(int(arg))
            blas_set_threads(int(arg))
            reps = [calibrate(fn, target) for fn in fns]
            print(json.dumps({"threads": torch.get_num_threads()}), flush=True)
        elif cmd in ("run", "out"):
            i = int(arg)
            fn, n = (fns if cmd == "run" else outs)[i], reps[i]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            print(json.dumps({"seconds": (time.perf_counter() - t0) / n}), flush=True)


if __name__ == "__main__":
    main()
