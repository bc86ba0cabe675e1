"""A plain PyTorch training loop over RETURNN's 12AX demo models, on the batches newbob's
datasets made (read from a JSON file), for `bench/seq_demos.ts`.

Models as RETURNN's demos define them: `lstm` (demo-tf-native-lstm.12ax: dropout 0.1 on the
input, an LSTM of 10 units, a softmax output) and `conv` (demo-torch.config: three Conv1d of
filter 5, padding 2, ReLU). Adam at the given learning rate and eps; the gradient is taken of
the summed frame cross-entropy (RETURNN's default, `use_normalized_loss=False`), padded frames
excluded. Prints one JSON line: seconds per training epoch and the dev frame error per epoch.

Usage: python3 torch_seq.py BATCHES.json MODEL EPOCHS LR EPS THREADS
"""

import json
import sys
import time


def main():
    path, model_kind, epochs, lr, eps, threads = sys.argv[1:7]
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"missing": "torch is not installed for %s (%s)" % (sys.executable, e)}))
        return
    torch.set_num_threads(int(threads))
    torch.manual_seed(1)
    with open(path) as f:
        data = json.load(f)

    def tensors(batch):
        lens = torch.tensor(batch["lens"], dtype=torch.int64)
        x = torch.nn.functional.one_hot(torch.tensor(batch["x"], dtype=torch.int64), 9).float()
        y = torch.tensor(batch["y"], dtype=torch.int64)
        mask = torch.arange(x.shape[1])[None, :] < lens[:, None]
        return x, y, mask

    if model_kind == "lstm":

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = torch.nn.Dropout(0.1)
                self.lstm = torch.nn.LSTM(9, 10, batch_first=True)
                self.out = torch.nn.Linear(10, 2)

            def forward(self, x, lens):
                packed = torch.nn.utils.rnn.pack_padded_sequence(
                    self.drop(x), lens, batch_first=True, enforce_sorted=False
                )
                h, _ = self.lstm(packed)
                h, _ = torch.nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
                return self.out(h)

    else:

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = torch.nn.Sequential(
                    torch.nn.Conv1d(9, 50, 5, padding=2),
                    torch.nn.ReLU(),
                    torch.nn.Conv1d(50, 100, 5, padding=2),
                    torch.nn.ReLU(),
                    torch.nn.Conv1d(100, 2, 5, padding=2),
                )

            def forward(self, x, lens):
                return self.layers(x.permute(0, 2, 1)).permute(0, 2, 1)

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=float(lr), eps=float(eps))
    train_batches = [[tensors(b) + (torch.tensor(b["lens"]),) for b in ep] for ep in data["epochs"]]
    dev_batches = [tensors(b) + (torch.tensor(b["lens"]),) for b in data["dev"]]
    seconds, fer = [], []
    for e in range(int(epochs)):
        model.train()
        t0 = time.perf_counter()
        for x, y, mask, lens in train_batches[e % len(train_batches)]:
            opt.zero_grad()
            logits = model(x, lens)
            loss = torch.nn.functional.cross_entropy(logits[mask], y[mask], reduction="sum")
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
        model.eval()
        wrong = frames = 0
        with torch.no_grad():
            for x, y, mask, lens in dev_batches:
                pred = model(x, lens).argmax(-1)
                wrong += int((pred[mask] != y[mask]).sum())
                frames += int(mask.sum())
        fer.append(wrong / frames)
    print(json.dumps({"torch": torch.__version__, "threads": int(threads), "seconds": seconds, "dev_fer": fer}))


if __name__ == "__main__":
    main()
