"""PyTorch peer of bench/lstm.ts (run by it with /usr/bin/python3; prints one JSON line).

Reads a JSON job file (argv[1]) written by bench/lstm.ts:
  {"threads": 2, "reps": 5,
   "ops": [{"id": "12ax", "B": 10, "T": 55, "nIn": 9, "n": 10, "reps": 10}, ...]}

ops: nn.LSTM (batch_first, full-length sequences) forward + backward (gradients of all
parameters and of the input), seconds per call, `reps` timed calls after warm-up.
"""

import json
import sys
import time


def main():
    job = json.load(open(sys.argv[1]))
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"missing": f"cannot import torch: {e}"}))
        return
    torch.set_num_threads(job.get("threads", 2))
    torch.manual_seed(0)
    reps = job.get("reps", 5)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "ops": []}

    for op in job.get("ops", []):
        B, T, nIn, n = op["B"], op["T"], op["nIn"], op["n"]
        lstm = torch.nn.LSTM(nIn, n, batch_first=True)
        x = torch.randn(B, T, nIn, requires_grad=True)
        dy = torch.randn(B, T, n)

        def call():
            y, _ = lstm(x)
            y.backward(dy)

        for _ in range(3):
            call()
        times = []
        for _ in range(op.get("reps", reps)):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        out["ops"].append({"id": op["id"], "seconds": times})

    print(json.dumps(out))


if __name__ == "__main__":
    main()
