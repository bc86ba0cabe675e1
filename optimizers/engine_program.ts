/**
 * The engine's element program, described once for every backend that generates kernels (WGSL
 * in `engine_kernel.ts`, WebAssembly in `engine_wasm_kernels.ts`): the plan's element-wise
 * operations (each from its transform module), the shared prologue (`maximize`, coupled or
 * decoupled `weight_decay`) and the definition's update.
 *
 * @module
 */

import { fma, LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { elementOp } from "../transforms/ops/registry.ts";
import type { TransformPlan } from "../transforms/plan.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

/**
 * The plan's first `n` element-wise operations, on the variables `g` and `p`.
 *
 * @example Usage
 * ```ts
 * import { opsProgram } from "./engine_program.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { laneWgsl } from "../kernels/lane_wgsl.ts";
 * import { equal } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_value", clipValue: 1 }]);
 * equal(laneWgsl(opsProgram(plan, 1)), "gv = nb_min4(nb_max4(gv, vec4<f32>((-e.clip0))), vec4<f32>(e.clip0));");
 * ```
 */
export function opsProgram(plan: TransformPlan, n: number): LaneProgram {
  const b = new LaneBuilder();
  plan.ops.slice(0, n).forEach((op, k) => elementOp(op.op).kernel(op, k, b));
  return b.program();
}

/**
 * The shared prologue: `g = -g` with `maximize`; coupled decay `g = fma(wd, p, g)` (torch's
 * `grad.add(param, alpha=wd)`, one rounding) or decoupled `p = p·decay`, each when the group's
 * `wd` is not 0.
 *
 * @example Usage
 * ```ts
 * import { prologueProgram } from "./engine_program.ts";
 * import { adamw } from "./adamw.ts";
 * import { laneWgsl } from "../kernels/lane_wgsl.ts";
 * import { equal } from "node:assert/strict";
 * const text = laneWgsl(prologueProgram(adamw, adamw.resolve(adamw.defaults)));
 * equal(text, "if ((e.wd != 0.0)) {\n  p = (p * e.decay);\n}");
 * ```
 */
export function prologueProgram(def: OptimizerDef, h: Hyper): LaneProgram {
  const b = new LaneBuilder();
  if (h.maximize === true) b.set("g", b.g.neg());
  const wd = b.e("wd");
  if (def.weightDecay === "coupled") b.when(wd.ne(0), () => b.set("g", fma(wd, b.p, b.g)));
  if (def.weightDecay === "decoupled") b.when(wd.ne(0), () => b.set("p", b.p.mul(b.e("decay"))));
  return b.program();
}

/**
 * The whole element program of an update: the plan's operations, the prologue, the definition's
 * update.
 *
 * @example Usage
 * ```ts
 * import { updateProgram } from "./engine_program.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { sgd } from "./sgd.ts";
 * import { laneWgsl } from "../kernels/lane_wgsl.ts";
 * import { match } from "node:assert/strict";
 * const text = laneWgsl(updateProgram(sgd, sgd.resolve(sgd.defaults), compilePlan([])));
 * match(text, /fma/); // sgd's coupled weight decay
 * ```
 */
export function updateProgram(def: OptimizerDef, h: Hyper, plan: TransformPlan): LaneProgram {
  return {
    body: [
      ...opsProgram(plan, plan.ops.length).body,
      ...prologueProgram(def, h).body,
      ...def.kernel(h).body,
    ],
  };
}
