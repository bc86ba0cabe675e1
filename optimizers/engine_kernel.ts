/**
 * WGSL assembly for the fused optimizer engine: the update kernel (header from the definition's
 * uniforms and the engine's, bindings for param, grad and each slot, the shared prologue with
 * fused transforms, the definition's body, stores), gradient accumulation, and the norm passes.
 *
 * Every kernel works on `vec4<f32>` of flat, 64-float aligned arenas, has its workgroup size as
 * the `override` constant `WG` (and `EPT`, vec4s per thread, for the element-wise kernels), runs
 * on a 1-D or 2-D grid (`wid.y * nwg.x + wid.x`) and bounds-checks against the chunk length.
 * The element-wise kernels give each thread `EPT` consecutive vec4s: on llvmpipe/lavapipe this
 * ran Adam at 16M parameters with about 2x less CPU time than a stride of `WG` (bench/README.md);
 * with `EPT` 1 both orders are the same.
 *
 * @module
 */

import { type LaneProgram, namesRead } from "../kernels/lane.ts";
import { laneWgsl, type WgslLeaves } from "../kernels/lane_wgsl.ts";
import type { UniformField } from "../transforms/ops/_op.ts";
import { elementOp } from "../transforms/ops/registry.ts";
import type { ElementOp, TransformPlan } from "../transforms/plan.ts";
import type { GroupStep, StepCommand } from "./engine_types.ts";
import { opsProgram, updateProgram } from "./engine_program.ts";
import { TORCH_WGSL } from "./_wgsl_torch.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

/**
 * Layout of the meta buffer (32-bit words): a header (skip flag, consecutive invalid updates,
 * the aborting attempt, skipped updates, then per reduction its global norm and coefficient),
 * then one record per tensor (arena offset, length, 2 spare, then per reduction the tensor's
 * norm and scale).
 *
 * @example Usage
 * ```ts
 * import { META } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { equal } from "node:assert/strict";
 * equal(META.normWord(1), 10);
 * equal(META.recordWords(compilePlan([{ kind: "clip_norm", maxNorm: 1 }])), 6);
 * ```
 */
export const META = Object.freeze({
  /** Words of the header. */
  header: 64,
  /** Header word: 1 when the current update is skipped. */
  skip: 0,
  /** Header word: consecutive invalid updates. */
  consec: 1,
  /** Header word: the (1-based) update attempt that aborted, 0 if none. */
  abort: 2,
  /** Header word: updates skipped so far. */
  skipped: 3,
  /** Header word of reduction r's global norm (`+1`: its coefficient). */
  normWord: (r: number): number => 8 + 2 * r,
  /** Words per tensor record. */
  recordWords: (plan: TransformPlan): number => 4 + 2 * plan.reductions.length,
});

export type { UniformField } from "../transforms/ops/_op.ts";

/**
 * Engine uniform fields (struct `E`, bound as `e`) for a plan: the engine's, then each op's.
 *
 * @example Usage
 * ```ts
 * import { engineFields } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * const fields = engineFields(compilePlan([{ kind: "clip_value", clipValue: 1 }]));
 * deepEqual(fields.at(-1), ["clip0", "f32"]);
 * ```
 */
export function engineFields(plan: TransformPlan): UniformField[] {
  const f: UniformField[] = [
    ["lr", "f32"],
    ["wd", "f32"],
    ["decay", "f32"],
    ["attempt", "u32"],
    ["epoch_start", "u32"],
    ["accum_first", "u32"],
    ["tensors_total", "u32"],
    ["allowed", "u32"],
  ];
  plan.ops.forEach((op, k) => f.push(...elementOp(op.op).uniforms(op, k)));
  plan.reductions.forEach((_, r) => f.push([`max_norm${r}`, "f32"]));
  return f;
}

/**
 * Values of the engine uniforms for one group and step, by field name (`step` undefined on an
 * accumulation-only micro-step: the update's fields are left as they are).
 * @example Usage
 * ```ts
 * import { engineValues } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { equal } from "node:assert/strict";
 * const cmd = { update: false, accumFirst: true, attempt: 0, epochStart: false, groups: [] };
 * equal(engineValues(compilePlan([]), cmd, undefined, 3).tensors_total, 3);
 * ```
 */
export function engineValues(
  plan: TransformPlan,
  cmd: StepCommand,
  step: GroupStep | undefined,
  tensorsTotal: number,
): Record<string, number> {
  const v: Record<string, number> = {
    attempt: cmd.attempt,
    epoch_start: cmd.epochStart ? 1 : 0,
    accum_first: cmd.accumFirst ? 1 : 0,
    tensors_total: tensorsTotal,
    allowed: plan.skip ? Math.min(plan.skip.allowed, 0xffffffff) : 0,
  };
  if (step) Object.assign(v, { lr: step.lr, wd: step.wd, decay: step.decay });
  plan.ops.forEach((op, k) => {
    const values = elementOp(op.op).uniformValues(op, k, step?.opValues[k] ?? 1);
    // A per-step value is only known with the update's group step.
    if (step || elementOp(op.op).perStep === undefined) Object.assign(v, values);
  });
  plan.reductions.forEach((red, r) => v[`max_norm${r}`] = red.maxNorm);
  return v;
}

/**
 * Write `values` into a uniform block laid out as `fields` (4 bytes each, from word `at`).
 *
 * @throws {Error} for a value whose name is not a field (a bug: a transform module's uniform
 * values and fields disagree).
 * @example Usage
 * ```ts
 * import { packUniforms } from "./engine_kernel.ts";
 * import { equal, throws } from "node:assert/strict";
 * const buffer = new ArrayBuffer(8);
 * packUniforms([["lr", "f32"], ["attempt", "u32"]], { attempt: 7 }, buffer, 0);
 * equal(new Uint32Array(buffer)[1], 7);
 * throws(() => packUniforms([["lr", "f32"]], { lr_typo: 1 }, buffer, 0), /not a field/);
 * ```
 */
export function packUniforms(
  fields: readonly UniformField[],
  values: Readonly<Record<string, number>>,
  buffer: ArrayBuffer,
  at: number,
): void {
  const f32 = new Float32Array(buffer);
  const u32 = new Uint32Array(buffer);
  for (const [name, v] of Object.entries(values)) {
    const i = fields.findIndex(([n]) => n === name);
    if (i < 0) {
      throw new Error(
        `internal: the uniform '${name}' is not a field of the engine uniforms ` +
          `(${fields.map(([n]) => n).join(", ")}): a transform module's uniformValues and ` +
          "uniforms disagree",
      );
    }
    if (fields[i][1] === "u32") u32[at + i] = v >>> 0;
    else f32[at + i] = v;
  }
}

/** Indent every line of `code` by `n` spaces (readable generated WGSL). */
function indent(code: string, n: number): string {
  const pad = " ".repeat(n);
  return code.split("\n").map((l) => (l.trim() ? pad + l.trim() : "")).join("\n");
}

function struct(name: string, fields: readonly UniformField[]): string {
  const body = fields.length
    ? fields.map(([n, t]) => `  ${n}: ${t},`).join("\n")
    : "  _unused: f32,";
  return `struct ${name} {\n${body}\n}`;
}

const CHUNK_STRUCT = `struct C {
  count: u32,       // vec4s in this chunk
  base: u32,        // global vec4 index of the chunk's first vec4
  tensor_base: u32, // global index of the group's first tensor record
  tensors: u32,     // tensors in the group
}`;

function uniformHeader(def: OptimizerDef, h: Hyper, plan: TransformPlan): string {
  return [
    struct("U", def.uniforms(h).map((n) => [n, "f32"] as const)),
    struct("E", engineFields(plan)),
    CHUNK_STRUCT,
    "@group(0) @binding(0) var<uniform> u: U;",
    "@group(0) @binding(1) var<uniform> e: E;",
    "@group(0) @binding(2) var<uniform> c: C;",
  ].join("\n");
}

const needsTensorInfo = (ops: readonly ElementOp[]) => ops.some((o) => elementOp(o.op).needsTensor);

/** How the engine's kernels spell the leaves of an element program. */
function leaves(plan: TransformPlan): WgslLeaves {
  const rw = META.recordWords(plan);
  return {
    tensorScale: (r) => `bitcast<f32>(mt[${META.header}u + t * ${rw}u + ${4 + 2 * r + 1}u])`,
    globalScale: (r) => `bitcast<f32>(mt[${META.normWord(r) + 1}u])`,
    // 1 for any real tensor count, opaque to the compiler (the exact sums need it).
    one: "nb_one",
  };
}

/** WGSL of an element program on `gv`, `p` and the slots, in its own scope. */
function emitProgram(plan: TransformPlan, program: LaneProgram): string {
  return [
    "{",
    "  let nb_one = select(1.0, 0.5, e.tensors_total == 0xFFFFFFFFu);",
    indent(laneWgsl(program, leaves(plan)), 2),
    "}",
  ].join("\n");
}

/** Statements defining `t` (global tensor index), `e0` (element of lane 0), `valid`. */
function tensorInfo(plan: TransformPlan): string {
  const rw = META.recordWords(plan);
  return [
    "let t = c.tensor_base + blocks[(c.base + i) / 16u];",
    `let rec = ${META.header}u + t * ${rw}u;`,
    "let e0 = (c.base + i) * 4u - mt[rec];",
    "let valid = vec4<u32>(e0, e0 + 1u, e0 + 2u, e0 + 3u) < vec4<u32>(mt[rec + 1u]);",
  ].join("\n");
}

const GRID = `
override WG: u32 = 64u;
override EPT: u32 = 1u;`;

/**
 * The update kernel. Bindings: 0 `u` (definition uniforms), 1 `e` (engine uniforms), 2 `c`
 * (chunk), 3 `P` (params, read-write), 4 `G` (gradients, read), 5.. one per slot (read-write),
 * then `meta` (read) and `blocks` (read).
 * @example Usage
 * ```ts
 * import { updateKernel } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { sgd } from "./sgd.ts";
 * import { match } from "node:assert/strict";
 * const wgsl = updateKernel(sgd, sgd.resolve(sgd.defaults), compilePlan([]));
 * match(wgsl, /p = \(p \+ \(u\.neg_lr \* gv\)\);/);
 * ```
 */
export function updateKernel(def: OptimizerDef, h: Hyper, plan: TransformPlan): string {
  const slots = def.slots(h);
  const slotBase = 5;
  const metaBinding = slotBase + slots.length;
  const lines = [
    "// newbob fused optimizer step: " + def.name,
    uniformHeader(def, h, plan),
    "@group(0) @binding(3) var<storage, read_write> P: array<vec4<f32>>;",
    "@group(0) @binding(4) var<storage, read> G: array<vec4<f32>>;",
    ...slots.map((s, k) =>
      `@group(0) @binding(${slotBase + k}) var<storage, read_write> S_${s}: array<vec4<f32>>;`
    ),
    `@group(0) @binding(${metaBinding}) var<storage, read> mt: array<u32>;`,
    `@group(0) @binding(${metaBinding + 1}) var<storage, read> blocks: array<u32>;`,
    GRID,
    TORCH_WGSL,
    "@compute @workgroup_size(WG)",
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,",
    "        @builtin(local_invocation_index) lid: u32) {",
    plan.skip ? `  if (mt[${META.skip}u] != 0u) { return; }` : "",
    "  let first = ((wid.y * nwg.x + wid.x) * WG + lid) * EPT;",
    "  for (var k = 0u; k < EPT; k = k + 1u) {",
    "    let i = first + k;",
    "    if (i >= c.count) { return; }",
    "    var p = P[i];",
    "    var gv = G[i];",
    needsTensorInfo(plan.ops) ? indent(tensorInfo(plan), 4) : "",
    ...slots.map((s) => `    var ${s} = S_${s}[i];`),
    indent(emitProgram(plan, updateProgram(def, h, plan)), 4),
    "    P[i] = p;",
    ...slots.map((s) => `    S_${s}[i] = ${s};`),
    "  }",
    "}",
  ];
  return lines.filter((l) => l !== "").join("\n");
}

/**
 * Binding kinds of the update kernel.
 *
 * @example Usage
 * ```ts
 * import { updateBindings } from "./engine_kernel.ts";
 * import { equal } from "node:assert/strict";
 * equal(updateBindings(2).length, 9);
 * ```
 */
export function updateBindings(nSlots: number): ("uniform" | "storage" | "read-only-storage")[] {
  return [
    "uniform",
    "uniform",
    "uniform",
    "storage",
    "read-only-storage",
    ...Array<"storage">(nSlots).fill("storage"),
    "read-only-storage",
    "read-only-storage",
  ];
}

/**
 * Accumulation kernel: `A = e.accum_first ? G : A + G`. Bindings: 0 `e`, 1 `c`, 2 `A` (rw),
 * 3 `G` (read).
 * @example Usage
 * ```ts
 * import { accumulateKernel } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { match } from "node:assert/strict";
 * match(accumulateKernel(compilePlan([])), /A\[i\] = A\[i\] \+ G\[i\]/);
 * ```
 */
export function accumulateKernel(plan: TransformPlan): string {
  return [
    struct("E", engineFields(plan)),
    CHUNK_STRUCT,
    "@group(0) @binding(0) var<uniform> e: E;",
    "@group(0) @binding(1) var<uniform> c: C;",
    "@group(0) @binding(2) var<storage, read_write> A: array<vec4<f32>>;",
    "@group(0) @binding(3) var<storage, read> G: array<vec4<f32>>;",
    GRID,
    "@compute @workgroup_size(WG)",
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,",
    "        @builtin(local_invocation_index) lid: u32) {",
    "  let first = ((wid.y * nwg.x + wid.x) * WG + lid) * EPT;",
    "  for (var k = 0u; k < EPT; k = k + 1u) {",
    "    let i = first + k;",
    "    if (i >= c.count) { return; }",
    "    if (e.accum_first != 0u) { A[i] = G[i]; } else { A[i] = A[i] + G[i]; }",
    "  }",
    "}",
  ].join("\n");
}

function combine(normType: 2 | 1 | "inf", a: string, b: string): string {
  return normType === "inf" ? `nb_max1(${a}, ${b})` : `${a} + ${b}`;
}

/**
 * Norm pass 1 for reduction `r`: one thread per 64-float block writes the block's partial
 * (sum of squares, sum of |g|, or max |g|) over valid lanes of the gradient after `at`
 * operations. Bindings: 0 `u`, 1 `e`, 2 `c`, 3 `P` (read), 4 `G` (read), 5 `meta` (read),
 * 6 `blocks` (read), 7 `out` (rw, one f32 per block of the group).
 * @example Usage
 * ```ts
 * import { blockNormKernel } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { sgd } from "./sgd.ts";
 * import { match } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_global_norm", maxNorm: 1, normType: "inf", style: "torch" }]);
 * match(blockNormKernel(sgd, sgd.resolve(sgd.defaults), plan, 0), /nb_max4\(acc, x\)/);
 * ```
 */
export function blockNormKernel(
  def: OptimizerDef,
  h: Hyper,
  plan: TransformPlan,
  r: number,
): string {
  const red = plan.reductions[r];
  const lane = red.normType === 2 ? "gv * gv" : "abs(gv)";
  const acc = red.normType === "inf" ? "nb_max4(acc, x)" : "acc + x";
  const ops = opsProgram(plan, red.at);
  // The parameters are read only by operations that need them (weight decay before the norm).
  const readsP = namesRead(ops, "var").includes("p");
  return [
    `// newbob norm pass 1 (reduction ${r})`,
    uniformHeader(def, h, plan),
    "@group(0) @binding(3) var<storage, read> P: array<vec4<f32>>;",
    "@group(0) @binding(4) var<storage, read> G: array<vec4<f32>>;",
    "@group(0) @binding(5) var<storage, read> mt: array<u32>;",
    "@group(0) @binding(6) var<storage, read> blocks: array<u32>;",
    "@group(0) @binding(7) var<storage, read_write> out: array<f32>;",
    GRID,
    TORCH_WGSL,
    "@compute @workgroup_size(WG)",
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,",
    "        @builtin(local_invocation_index) lid: u32) {",
    "  let b = (wid.y * nwg.x + wid.x) * WG + lid;",
    "  if (b >= c.count / 16u) { return; }",
    "  var acc = vec4<f32>(0.0);",
    "  for (var k = 0u; k < 16u; k = k + 1u) {",
    "    let i = b * 16u + k;",
    readsP ? "    var p = P[i];" : "",
    "    var gv = G[i];",
    indent(tensorInfo(plan), 4),
    indent(emitProgram(plan, ops), 4),
    `    let x = select(vec4<f32>(0.0), ${lane}, valid);`,
    `    acc = ${acc};`,
    "  }",
    `  out[c.base / 16u + b] = ${
      combine(
        red.normType,
        combine(red.normType, "acc.x", "acc.y"),
        combine(red.normType, "acc.z", "acc.w"),
      )
    };`,
    "}",
  ].filter((l) => l !== "").join("\n");
}

/**
 * Norm pass 2 for reduction `r`: one workgroup per tensor of the group combines its blocks and
 * writes the tensor's norm (and, for a per-tensor clip, its scale `c/max(n, c)`) into its meta
 * record. Bindings: 0 `e`, 1 `c` (any chunk of the group), 2 `meta` (rw), 3 `vals` (read).
 * @example Usage
 * ```ts
 * import { tensorNormKernel } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { match } from "node:assert/strict";
 * match(tensorNormKernel(compilePlan([{ kind: "clip_norm", maxNorm: 1 }]), 0), /e\.max_norm0 \/ nb_max1/);
 * ```
 */
export function tensorNormKernel(plan: TransformPlan, r: number): string {
  const red = plan.reductions[r];
  const rw = META.recordWords(plan);
  const finish = red.normType === 2 ? "sqrt(s[0])" : "s[0]";
  return [
    `// newbob norm pass 2 (reduction ${r})`,
    struct("E", engineFields(plan)),
    CHUNK_STRUCT,
    "@group(0) @binding(0) var<uniform> e: E;",
    "@group(0) @binding(1) var<uniform> c: C;",
    "@group(0) @binding(2) var<storage, read_write> mt: array<u32>;",
    "@group(0) @binding(3) var<storage, read> vals: array<f32>;",
    "override WG: u32 = 64u;",
    "var<workgroup> s: array<f32, WG>;",
    TORCH_WGSL,
    "@compute @workgroup_size(WG)",
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,",
    "        @builtin(local_invocation_index) lid: u32) {",
    "  let tl = wid.y * nwg.x + wid.x;",
    "  let inside = tl < c.tensors;",
    "  let t = c.tensor_base + min(tl, max(c.tensors, 1u) - 1u);",
    `  let rec = ${META.header}u + t * ${rw}u;`,
    "  let b0 = mt[rec] / 64u;",
    "  let nb = (mt[rec + 1u] + 63u) / 64u;",
    "  var acc = 0.0;",
    "  for (var b = lid; b < nb; b = b + WG) {",
    `    acc = ${combine(red.normType, "acc", "vals[b0 + b]")};`,
    "  }",
    "  s[lid] = acc;",
    "  workgroupBarrier();",
    "  for (var w = WG / 2u; w > 0u; w = w / 2u) {",
    `    if (lid < w) { s[lid] = ${combine(red.normType, "s[lid]", "s[lid + w]")}; }`,
    "    workgroupBarrier();",
    "  }",
    "  if (lid == 0u && inside) {",
    `    let norm = ${finish};`,
    `    mt[rec + ${4 + 2 * r}u] = bitcast<u32>(norm);`,
    red.scope === "tensor"
      ? `    mt[rec + ${
        4 + 2 * r + 1
      }u] = bitcast<u32>(e.max_norm${r} / nb_max1(norm, e.max_norm${r}));`
      : "",
    "  }",
    "}",
  ].filter((l) => l !== "").join("\n");
}

/**
 * Norm pass 3 for global reduction `r`: one workgroup combines the per-tensor norms of every
 * group into the global norm and coefficient (header words), and, when `r` is the checked
 * reduction, updates the skip state. Bindings: 0 `e`, 1 `meta` (rw).
 * @example Usage
 * ```ts
 * import { globalNormKernel } from "./engine_kernel.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { match } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_global_norm", maxNorm: 1, normType: 2, style: "torch" }]);
 * match(globalNormKernel(plan, 0), /nb_min1\(e\.max_norm0 \/ \(norm \+ 1e-6\), 1\.0\)/);
 * ```
 */
export function globalNormKernel(plan: TransformPlan, r: number): string {
  const red = plan.reductions[r];
  const rw = META.recordWords(plan);
  const term = red.normType === 2 ? "x * x" : "x";
  const finish = red.normType === 2 ? "sqrt(s[0])" : "s[0]";
  const coef = red.style === "torch"
    ? `nb_min1(e.max_norm${r} / (norm + 1e-6), 1.0)`
    : `e.max_norm${r} / nb_max1(norm, e.max_norm${r})`;
  const checked = plan.skip?.reduction === r;
  return [
    `// newbob norm pass 3 (reduction ${r})`,
    struct("E", engineFields(plan)),
    "@group(0) @binding(0) var<uniform> e: E;",
    "@group(0) @binding(1) var<storage, read_write> mt: array<u32>;",
    "override WG: u32 = 64u;",
    "var<workgroup> s: array<f32, WG>;",
    TORCH_WGSL,
    "@compute @workgroup_size(WG)",
    "fn main(@builtin(local_invocation_index) lid: u32) {",
    "  var acc = 0.0;",
    "  for (var t = lid; t < e.tensors_total; t = t + WG) {",
    `    let x = bitcast<f32>(mt[${META.header}u + t * ${rw}u + ${4 + 2 * r}u]);`,
    `    acc = ${combine(red.normType, "acc", term)};`,
    "  }",
    "  s[lid] = acc;",
    "  workgroupBarrier();",
    "  for (var w = WG / 2u; w > 0u; w = w / 2u) {",
    `    if (lid < w) { s[lid] = ${combine(red.normType, "s[lid]", "s[lid + w]")}; }`,
    "    workgroupBarrier();",
    "  }",
    "  if (lid != 0u) { return; }",
    `  let norm = ${finish};`,
    `  mt[${META.normWord(r)}u] = bitcast<u32>(norm);`,
    Number.isFinite(red.maxNorm) ? `  mt[${META.normWord(r) + 1}u] = bitcast<u32>(${coef});` : "",
    ...(checked
      ? [
        `  if (e.epoch_start != 0u) { mt[${META.consec}u] = 0u; }`,
        "  // Non-finite test on the bits: shader compilers may assume finite floats.",
        "  if ((bitcast<u32>(norm) & 0x7f800000u) == 0x7f800000u) {",
        `    mt[${META.consec}u] = mt[${META.consec}u] + 1u;`,
        `    mt[${META.skip}u] = 1u;`,
        `    mt[${META.skipped}u] = mt[${META.skipped}u] + 1u;`,
        `    if (mt[${META.consec}u] > e.allowed && mt[${META.abort}u] == 0u) {`,
        `      mt[${META.abort}u] = e.attempt;`,
        "    }",
        "  } else {",
        `    mt[${META.consec}u] = 0u;`,
        `    mt[${META.skip}u] = select(0u, 1u, mt[${META.abort}u] != 0u);`,
        "  }",
      ]
      : []),
    "}",
  ].filter((l) => l !== "").join("\n");
}
