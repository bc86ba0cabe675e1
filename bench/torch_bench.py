#!/usr/bin/env python3
"""PyTorch peer of newbob's optimizer benchmark (bench/main.ts runs it as a subprocess).

Times torch.optim steps with fixed gradients on one device and prints one JSON object:
{"torch": version, "device": ..., "threads": n, "results": [...], "triad": {...}}.
Each result is {"optimizer", "shape", "rates": [params/s per repetition]} or a "note".
Without torch it prints {"missing": "..."} and exits 0, so the caller can say so.

With --serve it answers one JSON request per line on stdin with one JSON line on stdout, so the
caller can time PyTorch's repetitions in turn with its own (bench/torch_server.ts):
{"op": "hello"} -> {"torch", "device", "threads", "cpu"} (or {"missing", "cpu"});
{"op": "prepare", "optimizer": id, "sizes": [n, ...]} -> {"steps": k} after one warm-up
repetition of k steps (or {"note": why}); {"op": "once"} -> {"seconds": s} for one repetition
(answered 20 ms after it ends, once the OpenMP threads have stopped spinning);
{"op": "free"} -> {}; {"op": "triad", "reps": r} -> {"kernel", "rates"}.
"""
import argparse
import json
import math
import sys
import time


def transformer_sizes(total=16 << 20):
    """Same shapes as bench/shapes.ts transformerSizes()."""
    d, layers, ctx = 384, 9, 512
    layer = []
    for _ in range(4):
        layer += [d * d, d]
    layer += [d, d, d * 4 * d, 4 * d, 4 * d * d, d, d, d]
    body = layer * layers
    fixed = [ctx * d] + body + [d, d]
    used = sum(fixed)
    vocab = max(1, (total - used) // (d + 1))
    sizes = [vocab * d] + fixed + [vocab]
    rest = total - sum(sizes)
    if rest > 0:
        sizes.append(rest)
    return sizes


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown")
    except OSError:
        return "unknown"


class Peer:
    """torch on one device: the optimizer cases (with their clip and noise parts) and the triad."""

    def __init__(self, torch, device, threads, budget, fused):
        torch.set_num_threads(threads)
        self.torch = torch
        self.dev = torch.device(device)
        self.device = device if self.dev.type != "cuda" else torch.cuda.get_device_name(0)
        self.budget = budget
        self.extra = {"fused": True} if fused else {}
        self.sync = (lambda: torch.cuda.synchronize()) if self.dev.type == "cuda" else (lambda: None)
        self.gen = torch.Generator().manual_seed(0)

    def make(self, opt_id, params):
        o, lr, extra = self.torch.optim, 1e-3, self.extra
        if opt_id in ("adam", "clip_adam", "noise_adam", "clip_noise_adam"):
            return o.Adam(params, lr=lr, eps=1e-8, **extra)
        if opt_id == "adamw":
            return o.AdamW(params, lr=lr, eps=1e-8, weight_decay=0.01, **extra)
        if opt_id == "sgd_momentum":
            return o.SGD(params, lr=lr, momentum=0.9)
        if opt_id == "adagrad":
            return o.Adagrad(params, lr=lr)
        if opt_id == "rmsprop":
            return o.RMSprop(params, lr=lr, eps=1e-8)
        raise ValueError(f"no PyTorch case '{opt_id}'")

    def tensors(self, sizes):
        torch, gen, dev = self.torch, self.gen, self.dev
        params = [torch.nn.Parameter((torch.rand(n, generator=gen) * 2 - 1).to(dev)) for n in sizes]
        grads = [((torch.rand(n, generator=gen) * 2 - 1) * 0.01).to(dev) for n in sizes]
        return params, grads

    def case(self, opt_id, params, grads):
        """(once, steps) of one optimizer on `params`, gradients reset to `grads`."""
        torch = self.torch
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt = self.make(opt_id, params)
        clip = opt_id in ("clip_adam", "clip_noise_adam")
        noise = opt_id in ("noise_adam", "clip_noise_adam")
        k = max(1, min(64, round(self.budget / sum(p.numel() for p in params))))

        def once():
            with torch.no_grad():
                for _ in range(k):
                    if clip:
                        torch.nn.utils.clip_grad_norm_(params, 1.0)
                    if noise:
                        for p in params:
                            p.grad.add_(torch.randn_like(p.grad), alpha=1e-3)
                    opt.step()
            self.sync()

        return once, k, opt

    def triad(self, reps):
        """Triad a = b + s*c (12 bytes per float) on the same device and threads."""
        torch, n = self.torch, 1 << 24
        b = torch.ones(n, device=self.dev)
        c = torch.ones(n, device=self.dev)
        a = torch.empty(n, device=self.dev)
        torch.add(b, c, alpha=0.5, out=a)
        self.sync()
        tri = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(4):
                torch.add(b, c, alpha=0.5, out=a)
            self.sync()
            tri.append(12 * n * 4 / (time.perf_counter() - t0))
        return {"kernel": f"triad (torch.add, {torch.get_num_threads()} threads)", "rates": tri}


def serve(peer):
    """Answer one JSON request per stdin line (see the module doc)."""
    case = None
    for line in sys.stdin:
        req = json.loads(line)
        op = req.get("op")
        if op == "hello":
            out = {"torch": peer.torch.__version__, "device": peer.device,
                   "threads": peer.torch.get_num_threads(), "cpu": cpu_model()}
        elif op == "prepare":
            case = None
            params, grads = peer.tensors(req["sizes"])
            try:
                once, k, _ = peer.case(req["optimizer"], params, grads)
                once()
                case = once
                out = {"steps": k}
            except (TypeError, RuntimeError, ValueError) as e:
                out = {"note": str(e)}
        elif op == "once":
            if case is None:
                out = {"error": "no case prepared"}
            else:
                t0 = time.perf_counter()
                case()
                out = {"seconds": time.perf_counter() - t0}
                # Let the OpenMP threads, which spin a while after a parallel region, fall
                # asleep before the caller times its next implementation.
                time.sleep(0.02)
        elif op == "free":
            case = None
            out = {}
        elif op == "triad":
            out = peer.triad(int(req.get("reps", 5)))
        else:
            out = {"error": f"unknown op '{op}'"}
        print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", default="1,4,16", help="single-tensor sizes in units of 2^20")
    ap.add_argument("--many", type=int, default=1, help="include the ~150-tensor 16M case")
    ap.add_argument("--optimizers",
                    default="adam,adamw,sgd_momentum,adagrad,rmsprop,clip_adam,noise_adam,clip_noise_adam")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--budget", type=float, default=32e6, help="parameter updates per repetition")
    ap.add_argument("--fused", type=int, default=0, help="Adam/AdamW fused=True (CUDA, torch>=2)")
    ap.add_argument("--serve", action="store_true", help="answer requests on stdin (module doc)")
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:  # pragma: no cover
        missing = {"missing": f"torch is not importable by {sys.executable}: {e}", "cpu": cpu_model()}
        if args.serve:
            for _ in sys.stdin:
                print(json.dumps(missing), flush=True)
        else:
            print(json.dumps(missing))
        return
    peer = Peer(torch, args.device, args.threads, args.budget, args.fused)
    if args.serve:
        serve(peer)
        return
    shapes = [(f"{m}M", [int(float(m) * (1 << 20))]) for m in args.sizes.split(",") if m]
    if args.many:
        s = transformer_sizes()
        shapes.append((f"16M x{len(s)}", s))
    results = []
    for name, sizes in shapes:
        total = sum(sizes)
        params, grads = peer.tensors(sizes)
        for opt_id in args.optimizers.split(","):
            try:
                once, k, opt = peer.case(opt_id, params, grads)
            except (TypeError, RuntimeError, ValueError) as e:
                results.append({"optimizer": opt_id, "shape": name, "note": str(e)})
                continue
            once()
            rates = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                once()
                rates.append(total * k / (time.perf_counter() - t0))
            results.append({"optimizer": opt_id, "shape": name, "rates": rates,
                            "foreach": opt.defaults.get("foreach")})
            del opt
        del params, grads
    print(json.dumps({
        "torch": torch.__version__,
        "cpu": cpu_model(),
        "device": peer.device,
        "threads": torch.get_num_threads(),
        "results": results,
        "triad": peer.triad(args.reps),
    }))


if __name__ == "__main__":
    main()
