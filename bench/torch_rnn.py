"""PyTorch side of bench/rnn.mjs: LSTM and GRU (T = 50, N = 32, F = 128, Hd = 256, one layer,
loss = sum of the last hidden state), forward and forward + backward, timed on request so that
neurite and PyTorch interleave block by block in one run.

Protocol (one JSON object per line):
  stdin  line 1:   {"threads": N, "T": .., "N": .., "F": .., "H": ..}
  stdout:          {"ready": true, "torch": version, "threads": N}
  stdin  "run W K": K timed calls of workload W (lstm_fwd, lstm_fwdbwd, gru_fwd, gru_fwdbwd)
  stdout:          {"ms": [per-call milliseconds]}
  stdin  EOF:      exit
"""
import json
import sys
import time

import torch


def main():
    cfg = json.loads(sys.stdin.readline())
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    T, N, F, H = cfg["T"], cfg["N"], cfg["F"], cfg["H"]
    x = torch.randn(T, N, F)
    mods = {"lstm": torch.nn.LSTM(F, H), "gru": torch.nn.GRU(F, H)}

    def fwd(kind):
        m = mods[kind]

        def run():
            with torch.no_grad():
                m(x)
        return run

    def fwdbwd(kind):
        m = mods[kind]

        def run():
            m.zero_grad(set_to_none=True)
            _, h = m(x)
            h = h[0] if kind == "lstm" else h
            h.sum().backward()
        return run

    work = {"lstm_fwd": fwd("lstm"), "lstm_fwdbwd": fwdbwd("lstm"),
            "gru_fwd": fwd("gru"), "gru_fwdbwd": fwdbwd("gru")}
    for fn in work.values():
        for _ in range(3):
            fn()
    print(json.dumps({"ready": True, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        _, name, k = line.split()
        fn = work[name]
        ms = []
        for _ in range(int(k)):
            t0 = time.perf_counter()
            fn()
            ms.append((time.perf_counter() - t0) * 1e3)
        print(json.dumps({"ms": ms}), flush=True)


if __name__ == "__main__":
    main()
