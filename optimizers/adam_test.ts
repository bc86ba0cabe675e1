import { deepEqual, equal, throws } from "node:assert/strict";
import { adam } from "./adam.ts";

Deno.test("adam: defaults resolve to PyTorch's", () => {
  const h = adam.resolve(adam.defaults);
  deepEqual(h, {
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    amsgrad: false,
    maximize: false,
    decoupled_weight_decay: false,
  });
  equal(adam.weightDecay, "coupled");
  deepEqual(adam.slots(h), ["exp_avg", "exp_avg_sq"]);
  deepEqual(adam.slots(adam.resolve({ ...adam.defaults, amsgrad: true })), [
    "exp_avg",
    "exp_avg_sq",
    "max_exp_avg_sq",
  ]);
});

Deno.test("adam: resolve rejects bad hyperparameters naming key and value", () => {
  const d = adam.defaults;
  throws(
    () => adam.resolve({ ...d, betas: [1.5, 0.999] }),
    new RangeError(
      "Cannot create optimizer 'adam': 'betas[0]' must be in [0, 1): current value is 1.5",
    ),
  );
  throws(() => adam.resolve({ ...d, betas: [0.9, 1] }), /'betas\[1\]' must be in \[0, 1\)/);
  throws(() => adam.resolve({ ...d, betas: [0.9] }), TypeError);
  throws(() => adam.resolve({ ...d, eps: -1 }), /'eps' must be >= 0: current value is -1/);
  throws(() => adam.resolve({ ...d, eps: NaN }), /'eps' must be a finite number.*NaN/);
  throws(() => adam.resolve({ ...d, weight_decay: Infinity }), /'weight_decay'.*Infinity/);
  throws(() => adam.resolve({ ...d, eps: "1e-8" }), TypeError);
  throws(() => adam.resolve({ ...d, amsgrad: 1 }), /'amsgrad' must be a boolean/);
  throws(() => adam.resolve({ ...d, lr: 0.1 }), /'lr' must not be set inside/);
  throws(() => adam.resolve({ ...d, ams_grad: true }), /unknown parameter 'ams_grad'.*amsgrad/);
  throws(
    () => adam.resolve({ ...d, decoupled_weight_decay: true }),
    /'decoupled_weight_decay' is true but this definition applies coupled/,
  );
});

Deno.test("adam: WGSL body changes with amsgrad only", () => {
  const a = adam.wgsl(adam.resolve(adam.defaults));
  const b = adam.wgsl(adam.resolve({ ...adam.defaults, amsgrad: true }));
  equal(a.includes("max_exp_avg_sq"), false);
  equal(b.includes("nb_max4(max_exp_avg_sq, exp_avg_sq)"), true); // NaN-propagating (torch.maximum)
});

Deno.test("adam: one CPU step matches a hand computation", () => {
  const h = adam.resolve(adam.defaults);
  const s = Float32Array.from(adam.scalars(h, { step: 1 }, 0.001));
  const p = new Float32Array([1, -2, 0]);
  const g = new Float32Array([0.5, -0.25, 0]);
  const slots = [new Float32Array(3), new Float32Array(3)];
  adam.cpu(h, s, p, g, slots, 0, 3);
  // First step: m̂ = g, v̂ = g², update = lr·g/(|g| + eps) ≈ lr·sign(g).
  equal(Math.abs(p[0] - 0.999) < 1e-6, true);
  equal(Math.abs(p[1] + 1.999) < 1e-6, true);
  equal(p[2], 0);
});

Deno.test("adam: amsgrad's max propagates NaN like torch.maximum", () => {
  const h = adam.resolve({ ...adam.defaults, amsgrad: true });
  const s = Float32Array.from(adam.scalars(h, { step: 1 }, 0.001));
  const vmax = new Float32Array([NaN]);
  adam.cpu(
    h,
    s,
    new Float32Array([1]),
    new Float32Array([1]),
    [
      new Float32Array(1),
      new Float32Array(1),
      vmax,
    ],
    0,
    1,
  );
  equal(Number.isNaN(vmax[0]), true);
});
