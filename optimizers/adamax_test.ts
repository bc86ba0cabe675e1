import { deepEqual, equal, throws } from "node:assert/strict";
import { adamax } from "./adamax.ts";

Deno.test("adamax: defaults and validation", () => {
  deepEqual(adamax.resolve(adamax.defaults), {
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    maximize: false,
  });
  throws(() => adamax.resolve({ ...adamax.defaults, betas: [1, 0.999] }), /'betas\[0\]'/);
});

Deno.test("adamax: eps is added to |g| inside the max", () => {
  const h = adamax.resolve({ ...adamax.defaults, eps: 0.5 });
  const s = Float32Array.from(adamax.scalars(h, { step: 1 }, 1));
  const u = new Float32Array([0]);
  adamax.cpu(h, s, new Float32Array([0]), new Float32Array([0]), [new Float32Array(1), u], 0, 1);
  equal(u[0], 0.5);
});
