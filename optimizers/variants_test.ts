/**
 * The general rule, not just the fixtures: every algorithm with many hyperparameter variants
 * (amsgrad, nesterov, dampening, centered + momentum, maximize, coupled and decoupled weight
 * decay, unusual betas, changing learning rates) against an independent float64 implementation
 * of PyTorch's update rules written here from the torch sources. The float32 CPU references
 * must stay within the fixture tolerance (32 ε32 of each element's own scale), and so must the
 * WGSL bodies (through the kernel harness, on a WebGPU adapter) and the engine's public API
 * (`createOptimizer`) on both backends.
 */

import { gpuTest } from "../tests/_gpu.ts";
import { harnessStepper } from "../tests/_kernel_harness.ts";
import {
  engineStepper,
  type FixtureCase,
  referenceStepper,
  runFixtureCase,
  WorstTable,
} from "../tests/_optimizer_fixtures.ts";
import { resolveOptimizerConfig } from "./registry.ts";
import type { Hyper } from "./types.ts";

type Params = Record<string, number | boolean | number[]>;

const VARIANTS: [string, Params][] = [
  ["sgd", {}],
  ["sgd", { momentum: 0.9 }],
  ["sgd", { momentum: 0.9, dampening: 0.3 }],
  ["sgd", { momentum: 0.8, nesterov: true, weight_decay: 0.01 }],
  ["sgd", { momentum: 0.5, maximize: true, weight_decay: 0.1, dampening: -0.5 }],
  ["adam", {}],
  ["adam", { amsgrad: true }],
  ["adam", { amsgrad: true, maximize: true, weight_decay: 0.05, betas: [0.5, 0.9] }],
  ["adam", { eps: 1e-3, betas: [0, 0] }],
  ["adamw", {}],
  ["adamw", { amsgrad: true, weight_decay: 0.2 }],
  ["adamw", { maximize: true, betas: [0.7, 0.8], weight_decay: 0 }],
  ["nadam", {}],
  ["nadam", { momentum_decay: 0.1, betas: [0.8, 0.95], weight_decay: 0.01 }],
  ["nadam", { maximize: true, momentum_decay: 0 }],
  ["nadam", { decoupled_weight_decay: true, weight_decay: 0.1 }],
  ["adam", { decoupled_weight_decay: true, weight_decay: 0.1, amsgrad: true }],
  ["radam", { decoupled_weight_decay: true, weight_decay: 0.2, maximize: true }],
  ["radam", {}],
  ["radam", { betas: [0.9, 0.8] }],
  ["radam", { betas: [0.5, 0.99], weight_decay: 0.1, maximize: true }],
  ["adamax", {}],
  ["adamax", { betas: [0.5, 0.6], eps: 0.1, weight_decay: 0.01, maximize: true }],
  ["adagrad", {}],
  ["adagrad", { lr_decay: 0.3, initial_accumulator_value: 0.5, eps: 1e-3, maximize: true }],
  ["adagrad", { weight_decay: 0.1 }],
  ["adadelta", {}],
  ["adadelta", { rho: 0.5, eps: 1e-3, weight_decay: 0.1 }],
  ["adadelta", { rho: 0, maximize: true }],
  ["rmsprop", {}],
  ["rmsprop", { centered: true }],
  ["rmsprop", { momentum: 0.9 }],
  ["rmsprop", { centered: true, momentum: 0.5, alpha: 0.5, maximize: true, weight_decay: 0.01 }],
  ["asgd", {}],
  ["asgd", { lambd: 0.1, alpha: 0.5, t0: 3 }],
  ["asgd", { t0: 0, weight_decay: 0.1, maximize: true }],
  ["rprop", {}],
  ["rprop", { etas: [0.3, 1.7], step_sizes: [0.001, 0.02], maximize: true }],
  ["lion", {}],
  ["lion", { betas: [0.5, 0.9], weight_decay: 0.1 }],
];

function _rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function _normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Independent float64 implementation of the torch update rules (one tensor, in place). */
function _f64Optimizer(name: string, h: Hyper, n: number) {
  const z = () => new Float64Array(n);
  const s: Record<string, Float64Array> = {
    a: z(),
    b: z(),
    c: z(),
    d: z(),
  };
  const num = (k: string) => h[k] as number;
  const pair = (k: string) => h[k] as number[];
  if (name === "adagrad") s.a.fill(num("initial_accumulator_value"));
  let muProduct = 1, eta = 0, mu = 1;
  return (p: Float64Array, grad: Float64Array, lr: number, t: number) => {
    const g = Float64Array.from(grad, (x) => (h.maximize === true ? -x : x));
    const wd = typeof h.weight_decay === "number" ? h.weight_decay : 0;
    const decoupled = name === "adamw" || name === "lion" || h.decoupled_weight_decay === true;
    for (let i = 0; i < n; i++) {
      if (decoupled) p[i] *= 1 - lr * wd;
      else g[i] += wd * p[i];
    }
    if (name === "asgd" && t === 1) eta = lr;
    const [b1, b2] = pair("betas") ?? [0, 0];
    const muT = b1 * (1 - 0.5 * 0.96 ** (t * num("momentum_decay")));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * num("momentum_decay")));
    if (name === "nadam") muProduct *= muT;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      switch (name) {
        case "sgd": {
          let d = gi;
          if (num("momentum") !== 0) {
            s.a[i] = t === 1 ? gi : num("momentum") * s.a[i] + (1 - num("dampening")) * gi;
            d = h.nesterov ? gi + num("momentum") * s.a[i] : s.a[i];
          }
          p[i] -= lr * d;
          break;
        }
        case "adam":
        case "adamw": {
          s.a[i] = b1 * s.a[i] + (1 - b1) * gi;
          s.b[i] = b2 * s.b[i] + (1 - b2) * gi * gi;
          s.c[i] = Math.max(s.c[i], s.b[i]);
          const v = h.amsgrad ? s.c[i] : s.b[i];
          const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + num("eps");
          p[i] -= (lr / (1 - b1 ** t)) * s.a[i] / denom;
          break;
        }
        case "nadam": {
          s.a[i] = b1 * s.a[i] + (1 - b1) * gi;
          s.b[i] = b2 * s.b[i] + (1 - b2) * gi * gi;
          const denom = Math.sqrt(s.b[i] / (1 - b2 ** t)) + num("eps");
          p[i] -= (lr * (1 - muT)) / (1 - muProduct) * gi / denom;
          p[i] -= (lr * muNext) / (1 - muProduct * muNext) * s.a[i] / denom;
          break;
        }
        case "radam": {
          s.a[i] = b1 * s.a[i] + (1 - b1) * gi;
          s.b[i] = b2 * s.b[i] + (1 - b2) * gi * gi;
          const mHat = s.a[i] / (1 - b1 ** t);
          const rhoInf = 2 / (1 - b2) - 1;
          const rhoT = rhoInf - (2 * t * b2 ** t) / (1 - b2 ** t);
          if (rhoT > 5) {
            const r = Math.sqrt(
              ((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT),
            );
            p[i] -= mHat * lr * Math.sqrt(1 - b2 ** t) / (Math.sqrt(s.b[i]) + num("eps")) * r;
          } else {
            p[i] -= mHat * lr;
          }
          break;
        }
        case "adamax": {
          s.a[i] = b1 * s.a[i] + (1 - b1) * gi;
          s.b[i] = Math.max(b2 * s.b[i], Math.abs(gi) + num("eps"));
          p[i] -= (lr / (1 - b1 ** t)) * s.a[i] / s.b[i];
          break;
        }
        case "adagrad": {
          s.a[i] += gi * gi;
          const clr = lr / (1 + (t - 1) * num("lr_decay"));
          p[i] -= clr * gi / (Math.sqrt(s.a[i]) + num("eps"));
          break;
        }
        case "adadelta": {
          const rho = num("rho"), eps = num("eps");
          s.a[i] = rho * s.a[i] + (1 - rho) * gi * gi;
          const delta = Math.sqrt(s.b[i] + eps) / Math.sqrt(s.a[i] + eps) * gi;
          s.b[i] = rho * s.b[i] + (1 - rho) * delta * delta;
          p[i] -= lr * delta;
          break;
        }
        case "rmsprop": {
          const alpha = num("alpha");
          s.a[i] = alpha * s.a[i] + (1 - alpha) * gi * gi;
          let avg: number;
          if (h.centered) {
            s.c[i] = alpha * s.c[i] + (1 - alpha) * gi;
            avg = Math.sqrt(s.a[i] - s.c[i] * s.c[i]) + num("eps");
          } else {
            avg = Math.sqrt(s.a[i]) + num("eps");
          }
          if (num("momentum") > 0) {
            s.b[i] = num("momentum") * s.b[i] + gi / avg;
            p[i] -= lr * s.b[i];
          } else {
            p[i] -= lr * gi / avg;
          }
          break;
        }
        case "asgd": {
          p[i] *= 1 - num("lambd") * eta;
          p[i] -= eta * gi;
          s.a[i] = mu === 1 ? p[i] : s.a[i] + (p[i] - s.a[i]) * mu;
          break;
        }
        case "rprop": {
          const [em, ep] = pair("etas"), [lo, hi] = pair("step_sizes");
          if (t === 1) s.b[i] = lr;
          const prod = gi * s.a[i];
          let gg = gi;
          if (prod > 0) s.b[i] *= ep;
          else if (prod < 0) {
            s.b[i] *= em;
            gg = 0;
          }
          s.b[i] = Math.min(Math.max(s.b[i], lo), hi);
          p[i] -= Math.sign(gg) * s.b[i];
          s.a[i] = gg;
          break;
        }
        case "lion": {
          const c = b1 * s.a[i] + (1 - b1) * gi;
          p[i] -= lr * Math.sign(c);
          s.a[i] = b2 * s.a[i] + (1 - b2) * gi;
          break;
        }
        default:
          throw new Error(`no float64 reference for ${name}`);
      }
    }
    if (name === "asgd") {
      eta = lr / (1 + num("lambd") * lr * t) ** num("alpha");
      mu = 1 / Math.max(1, t - num("t0"));
    }
  };
}

/** A synthetic fixture case: float32 data, float64 trajectory rounded to float32. */
function _syntheticCase(k: number, name: string, params: Params): FixtureCase {
  const r = _rng(1000 + k);
  const sizes = [37, 5];
  const nSteps = 12;
  const { hyper } = resolveOptimizerConfig({ class: name, ...params }, { returnnEpsilon: false });
  const f32 = (x: number) => Math.fround(x);
  const init = sizes.map((n) => Array.from({ length: n }, () => f32(_normal(r))));
  const p64 = init.map((a) => Float64Array.from(a));
  const opt = sizes.map((n) => _f64Optimizer(name, hyper, n));
  const baseLr = name === "adadelta" ? 1 : name === "lion" ? 1e-3 : 1e-2;
  const steps = [];
  for (let t = 1; t <= nSteps; t++) {
    const lr = baseLr * (1 + 0.5 * Math.sin(t));
    const scale = 10 ** (2 * r() - 1);
    const grads = sizes.map((n) => Array.from({ length: n }, () => f32(_normal(r) * scale)));
    grads[0][0] = 0; // an always-zero element
    for (let q = 0; q < sizes.length; q++) opt[q](p64[q], Float64Array.from(grads[q]), lr, t);
    steps.push({ lr, grads, expected: p64.map((a) => Array.from(a, f32)) });
  }
  return {
    id: `${name}#${k} ${JSON.stringify(params)}`,
    optimizer: { class: name, params, given: params, torch_path: "float64 re-implementation" },
    shapes: sizes.map((n) => [n]),
    grad_kind: "normal",
    init,
    steps,
    ftz_sensitive: false,
  };
}

const cases = VARIANTS.map(([name, params], k) => _syntheticCase(k, name, params));
const table = new WorstTable();

Deno.test(`variants: ${cases.length} hyperparameter variants, CPU references vs float64`, async (t) => {
  for (const c of cases) {
    await t.step(c.id, async () => {
      const r = await runFixtureCase(c, referenceStepper);
      table.add("reference (cpu) vs float64", c.optimizer.class, c.id, r);
      if (r.failures > 0) {
        throw new Error(`${r.failures} beyond tolerance:\n${r.messages.join("\n")}`);
      }
    });
  }
});

gpuTest(`variants: ${cases.length} hyperparameter variants, WGSL bodies vs float64`, async (t) => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  try {
    for (const c of cases) {
      await t.step(c.id, async () => {
        const r = await runFixtureCase(c, (c, init) => {
          const { def, hyper } = resolveOptimizerConfig(
            { class: c.optimizer.class, ...c.optimizer.params },
            { returnnEpsilon: false },
          );
          return harnessStepper(device, def, hyper, init);
        });
        table.add("kernel harness (webgpu) vs float64", c.optimizer.class, c.id, r);
        if (r.failures > 0) {
          throw new Error(`${r.failures} beyond tolerance:\n${r.messages.join("\n")}`);
        }
      });
    }
  } finally {
    device.destroy();
  }
});

Deno.test(`variants: ${cases.length} variants through createOptimizer, backend cpu`, async (t) => {
  for (const c of cases) {
    await t.step(c.id, async () => {
      const r = await runFixtureCase(c, engineStepper("cpu"));
      table.add("engine cpu vs float64", c.optimizer.class, c.id, r);
      if (r.failures > 0) {
        throw new Error(`${r.failures} beyond tolerance:\n${r.messages.join("\n")}`);
      }
    });
  }
});

gpuTest(`variants: ${cases.length} variants through createOptimizer, backend webgpu`, async (t) => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  try {
    for (const c of cases) {
      await t.step(c.id, async () => {
        const r = await runFixtureCase(c, engineStepper("webgpu", { device }));
        table.add("engine webgpu vs float64", c.optimizer.class, c.id, r);
        if (r.failures > 0) {
          throw new Error(`${r.failures} beyond tolerance:\n${r.messages.join("\n")}`);
        }
      });
    }
  } finally {
    device.destroy();
  }
});

Deno.test("variants: worst-error table", () => {
  console.log(table.toString());
});
