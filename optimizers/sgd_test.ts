import { deepEqual, equal, throws } from "node:assert/strict";
import { sgd } from "./sgd.ts";

Deno.test("sgd: defaults, slots and uniforms follow momentum", () => {
  const h = sgd.resolve(sgd.defaults);
  deepEqual(h, { momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false });
  deepEqual(sgd.slots(h), []);
  deepEqual(sgd.uniforms(h), ["neg_lr"]);
  const hm = sgd.resolve({ ...sgd.defaults, momentum: 0.9 });
  deepEqual(sgd.slots(hm), ["momentum_buffer"]);
  equal(sgd.wgsl(hm).includes("select("), true);
});

Deno.test("sgd: resolve validation", () => {
  const d = sgd.defaults;
  throws(
    () => sgd.resolve({ ...d, momentum: -0.1 }),
    new RangeError("Cannot create optimizer 'sgd': 'momentum' must be >= 0: current value is -0.1"),
  );
  throws(() => sgd.resolve({ ...d, nesterov: true }), /'nesterov' requires 'momentum' > 0/);
  throws(
    () => sgd.resolve({ ...d, nesterov: true, momentum: 0.9, dampening: 0.1 }),
    /'dampening' = 0/,
  );
  throws(() => sgd.resolve({ ...d, dampening: NaN }), /'dampening'.*NaN/);
  throws(() => sgd.resolve({ ...d, nesterov: "yes" }), TypeError);
  throws(() => sgd.resolve({ ...d, momentun: 0.9 }), /Did you mean 'momentum'\?/);
});

Deno.test("sgd: first momentum step copies g (no dampening), later steps dampen", () => {
  const h = sgd.resolve({ ...sgd.defaults, momentum: 0.5, dampening: 0.5 });
  const p = new Float32Array([1]);
  const buf = new Float32Array([123]); // ignored on step 1
  sgd.cpu(
    h,
    Float32Array.from(sgd.scalars(h, { step: 1 }, 0.1)),
    p,
    new Float32Array([2]),
    [
      buf,
    ],
    0,
    1,
  );
  equal(buf[0], 2);
  equal(p[0], Math.fround(1 - Math.fround(0.2)));
  sgd.cpu(
    h,
    Float32Array.from(sgd.scalars(h, { step: 2 }, 0.1)),
    p,
    new Float32Array([2]),
    [
      buf,
    ],
    0,
    1,
  );
  equal(buf[0], 2); // 0.5·2 + 0.5·2
});
