#!/usr/bin/env python3
"""PyTorch peer of newbob's optimizer benchmark (bench/main.ts runs it as a subprocess).

Times torch.optim steps with fixed gradients on one device and prints one JSON object:
{"torch": version, "device": ..., "threads": n, "results": [...], "triad": {...}}.
Each result is {"optimizer", "shape", "rates": [params/s per repetition]} or a "note".
Without torch it prints {"missing": "..."} and exits 0, so the caller can say so.
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
    args = ap.parse_args()
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        import torch
    except ImportError as e:  # pragma: no cover
        print(json.dumps({"missing": f"torch is not importable by {sys.executable}: {e}", "cpu": cpu}))
        return
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    lr = 1e-3
    shapes = [(f"{m}M", [int(float(m) * (1 << 20))]) for m in args.sizes.split(",") if m]
    if args.many:
        s = transformer_sizes()
        shapes.append((f"16M x{len(s)}", s))
    extra = {"fused": True} if args.fused else {}

    def make(opt_id, params):
        o = torch.optim
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
        raise ValueError(opt_id)

    gen = torch.Generator().manual_seed(0)
    results = []
    with torch.no_grad():
        for name, sizes in shapes:
            total = sum(sizes)
            params = [torch.nn.Parameter((torch.rand(n, generator=gen) * 2 - 1).to(dev)) for n in sizes]
            grads = [((torch.rand(n, generator=gen) * 2 - 1) * 0.01).to(dev) for n in sizes]
            for opt_id in args.optimizers.split(","):
                for p, g in zip(params, grads):
                    p.grad = g.clone()
                try:
                    opt = make(opt_id, params)
                except (TypeError, RuntimeError, ValueError) as e:
                    results.append({"optimizer": opt_id, "shape": name, "note": str(e)})
                    continue
                clip = opt_id in ("clip_adam", "clip_noise_adam")
                noise = opt_id in ("noise_adam", "clip_noise_adam")
                k = max(1, min(64, round(args.budget / total)))

                def once():
                    for _ in range(k):
                        if clip:
                            torch.nn.utils.clip_grad_norm_(params, 1.0)
                        if noise:
                            for p in params:
                                p.grad.add_(torch.randn_like(p.grad), alpha=1e-3)
                        opt.step()
                    sync()

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
    # Triad a = b + s*c (12 bytes per float) on the same device and threads.
    n = 1 << 24
    b = torch.ones(n, device=dev)
    c = torch.ones(n, device=dev)
    a = torch.empty(n, device=dev)
    torch.add(b, c, alpha=0.5, out=a)
    sync()
    tri = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        for _ in range(4):
            torch.add(b, c, alpha=0.5, out=a)
        sync()
        tri.append(12 * n * 4 / (time.perf_counter() - t0))
    print(json.dumps({
        "torch": torch.__version__,
        "cpu": cpu,
        "device": args.device if dev.type != "cuda" else torch.cuda.get_device_name(0),
        "threads": torch.get_num_threads(),
        "results": results,
        "triad": {"kernel": f"triad (torch.add, {torch.get_num_threads()} threads)", "rates": tri},
    }))


if __name__ == "__main__":
    main()
