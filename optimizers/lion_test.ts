import { deepEqual, equal, throws } from "node:assert/strict";
import { lion } from "./lion.ts";

Deno.test("lion: RETURNN defaults and validation", () => {
  deepEqual(lion.resolve(lion.defaults), { betas: [0.9, 0.99], weight_decay: 0 });
  equal(lion.weightDecay, "decoupled");
  deepEqual(lion.resolve({ ...lion.defaults, betas: [1, 1] }).betas, [1, 1]);
  throws(
    () => lion.resolve({ ...lion.defaults, betas: [1.1, 0.99] }),
    /'betas\[0\]' must be in \[0, 1\]/,
  );
  throws(() => lion.resolve({ ...lion.defaults, eps: 1e-8 }), /unknown parameter 'eps'/);
});

Deno.test("lion: sign update from the interpolation, momentum with beta2", () => {
  const h = lion.resolve({ ...lion.defaults, betas: [0.5, 0.25] });
  const s = Float32Array.from(lion.scalars(h, { step: 1 }, 0.1));
  const p = new Float32Array([1, 1, 1]);
  const m = new Float32Array([1, -1, 0]);
  // c = 0.5·m + 0.5·g: [0.5 + -0.25, -0.5 + 0.25, 0]
  lion.cpu(h, s, p, new Float32Array([-0.5, 0.5, 0]), [m], 0, 3);
  deepEqual([...p], [Math.fround(1 - Math.fround(0.1)), Math.fround(1 + Math.fround(0.1)), 1]);
  deepEqual([...m], [0.25 - 0.375, -0.25 + 0.375, 0]);
});

Deno.test("lion: a NaN gradient leaves p in place (torch 1.13's sign(NaN) is 0), m turns NaN", () => {
  const h = lion.resolve(lion.defaults);
  const p = new Float32Array([1]);
  const m = new Float32Array(1);
  lion.cpu(
    h,
    Float32Array.from(lion.scalars(h, { step: 1 }, 0.1)),
    p,
    new Float32Array([NaN]),
    [m],
    0,
    1,
  );
  equal(p[0], 1); // tests/fixtures/torch_nonfinite: torch.sign(NaN) == 0
  equal(Number.isNaN(m[0]), true);
});
