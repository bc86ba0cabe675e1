"""PyTorch peer of bench/lstm.ts (run by it with /usr/bin/python3; prints one JSON line).

Reads a JSON job file (argv[1]) written by bench/lstm.ts:
  {"threads": 2, "reps": 5,
   "ops": [{"id": "12ax", "B": 10, "T": 55, "nIn": 9, "n": 10, "reps": 10}, ...],
   "epoch": {"lr": 0.01, "eps": 1e-8, "epochs": 2, "dropout": 0.1,
             "init": {"W": [...], "W_re": [...], "b": [...], "out_W": [...], "out_b": [...]},
             "train": [{"B": .., "T": .., "x": [class ids, B*T], "y": [B*T], "lens": [B]}, ...],
             "dev": [...]}}

ops: nn.LSTM (batch_first, full-length sequences) forward + backward (gradients of all
parameters and of the input), seconds per call, `reps` timed calls after warm-up.
epoch: the 12AX demo model (one-hot 9 -> dropout -> nn.LSTM(9, 10) -> Linear(10, 2)), packed
padded sequences, summed frame-wise cross-entropy (RETURNN's TF loss), torch.optim.Adam, the
given batches in the given order; seconds per training epoch and the dev frame error rate after
each epoch. Initial weights are newbob's (RETURNN gate order j, i, f, o mapped to torch's
i, f, g, o; b_ih = b, b_hh = 0).
"""

import json
import sys
import time


def main():
    job = json.load(open(sys.argv[1]))
    try:
        import torch
        import torch.nn.functional as F
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"missing": f"cannot import torch: {e}"}))
        return
    torch.set_num_threads(job.get("threads", 2))
    torch.manual_seed(0)
    reps = job.get("reps", 5)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "ops": [], "epoch": None}

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

    ep = job.get("epoch")
    if ep:
        init = ep["init"]
        n = len(init["b"]) // 4
        nIn = len(init["W"]) // (4 * n)

        def rows(flat, r, c):
            return torch.tensor(flat, dtype=torch.float32).reshape(r, c)

        def to_torch(m):  # [rows, 4n] in j,i,f,o columns -> [4n, rows] in i,f,g,o rows
            j, i, f, o = m[:, :n], m[:, n:2 * n], m[:, 2 * n:3 * n], m[:, 3 * n:]
            return torch.cat([i, f, j, o], dim=1).t().contiguous()

        lstm = torch.nn.LSTM(nIn, n, batch_first=True)
        lin = torch.nn.Linear(n, 2)
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(to_torch(rows(init["W"], nIn, 4 * n)))
            lstm.weight_hh_l0.copy_(to_torch(rows(init["W_re"], n, 4 * n)))
            lstm.bias_ih_l0.copy_(to_torch(rows(init["b"], 1, 4 * n))[:, 0])
            lstm.bias_hh_l0.zero_()
            lin.weight.copy_(rows(init["out_W"], n, 2).t())
            lin.bias.copy_(torch.tensor(init["out_b"]))
        params = list(lstm.parameters()) + list(lin.parameters())
        opt = torch.optim.Adam(params, lr=ep["lr"], eps=ep["eps"])

        def tensors(bt):
            B, T = bt["B"], bt["T"]
            x = F.one_hot(torch.tensor(bt["x"]).reshape(B, T), 9).float()
            return x, torch.tensor(bt["y"]).reshape(B, T), torch.tensor(bt["lens"])

        def logits(x, lens, train):
            if train and ep["dropout"] > 0:
                x = F.dropout(x, ep["dropout"], training=True)
            packed = pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
            y, _ = lstm(packed)
            y, _ = pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
            return lin(y)

        def mask(lens, T):
            return torch.arange(T)[None, :] < lens[:, None]

        epochs = []
        for _ in range(ep["epochs"]):
            t0 = time.perf_counter()
            for bt in ep["train"]:
                x, y, lens = tensors(bt)
                m = mask(lens, x.shape[1])
                z = logits(x, lens, True)
                loss = F.cross_entropy(z[m], y[m], reduction="sum")
                opt.zero_grad()
                loss.backward()
                opt.step()
            seconds = time.perf_counter() - t0
            wrong = frames = 0
            with torch.no_grad():
                for bt in ep["dev"]:
                    x, y, lens = tensors(bt)
                    m = mask(lens, x.shape[1])
                    z = logits(x, lens, False)
                    wrong += int((z.argmax(-1)[m] != y[m]).sum())
                    frames += int(m.sum())
            epochs.append({"seconds": seconds, "dev_fer": wrong / frames})
        out["epoch"] = epochs
    print(json.dumps(out))


if __name__ == "__main__":
    main()
