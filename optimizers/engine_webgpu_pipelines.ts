/**
 * The webgpu backend's kernel shape (workgroup size, vec4s per thread, chunk size: checked
 * against the device) and its compute pipelines (update, accumulation, three norm passes per
 * reduction), from the pipeline cache.
 *
 * @module
 */

import type { GpuContext } from "../gpu/device.ts";
import type { BindingKind } from "../gpu/pipeline_cache.ts";
import type { TransformPlan } from "../transforms/plan.ts";
import {
  accumulateKernel,
  blockNormKernel,
  globalNormKernel,
  tensorNormKernel,
  updateBindings,
  updateKernel,
} from "./engine_kernel.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

/** Tuning and test options of the webgpu backend. */
export interface WebGpuEngineOptions {
  /** Workgroup size of the element-wise kernels (power of two). @default {64} */
  workgroupSize?: number;
  /**
   * vec4s per thread of the element-wise kernels, each thread taking consecutive vec4s. On a
   * software adapter (llvmpipe/lavapipe) 4 halves the per-invocation overhead (measured in
   * `bench/README.md`); on a hardware GPU 1 keeps neighbouring invocations on neighbouring
   * addresses (coalesced loads).
   * @default {4 on a software adapter, 1 on a hardware GPU}
   */
  elementsPerThread?: number;
  /** Largest chunk in floats (tests use small ones). @default {maxStorageBufferBindingSize / 4} */
  chunkFloats?: number;
}

/** The checked kernel shape. */
export interface KernelShape {
  /** Workgroup size. */
  readonly wg: number;
  /** vec4s per thread. */
  readonly ept: number;
  /** Largest chunk, floats. */
  readonly chunkFloats: number;
  /** Most workgroups per grid dimension. */
  readonly maxGroups: number;
}

/**
 * Check the kernel shape against the device and the definition's storage-buffer count.
 *
 * @throws {RangeError} for a workgroup size that is not a power of two within the device's
 * limit, a non-integer `elementsPerThread`, or a kernel needing more storage buffers than the
 * device allows.
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * if (!await navigator.gpu?.requestAdapter()) console.warn("no WebGPU adapter: nothing checked");
 * else {
 *   const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
 *   const state = await opt.init([new Float32Array([1, 2])]); // checks the kernel shape
 *   await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 *   deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 *   opt.dispose(state);
 * }
 * ```
 */
export function kernelShape(
  ctx: GpuContext,
  def: OptimizerDef,
  h: Hyper,
  options: WebGpuEngineOptions,
): KernelShape {
  const limits = ctx.device.limits;
  const wg = options.workgroupSize ?? 64;
  const ept = options.elementsPerThread ?? (ctx.software ? 4 : 1);
  if (!(wg > 0 && (wg & (wg - 1)) === 0 && wg <= limits.maxComputeInvocationsPerWorkgroup)) {
    throw new RangeError(
      `Cannot create the webgpu optimizer as 'workgroupSize' must be a power of two up to ` +
        `${limits.maxComputeInvocationsPerWorkgroup}: current value is ${wg}`,
    );
  }
  if (!(Number.isInteger(ept) && ept >= 1)) {
    throw new RangeError(
      `Cannot create the webgpu optimizer as 'elementsPerThread' must be an integer >= 1: ` +
        `current value is ${ept}`,
    );
  }
  const needed = 2 + def.slots(h).length + 2;
  if (needed > limits.maxStorageBuffersPerShaderStage) {
    throw new RangeError(
      `Cannot run '${def.name}' on this device as its kernel needs ${needed} storage buffers ` +
        `but maxStorageBuffersPerShaderStage is ${limits.maxStorageBuffersPerShaderStage}: ` +
        "choose the cpu backend",
    );
  }
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, 2 ** 31);
  const chunkFloats = Math.min(options.chunkFloats ?? maxBinding / 4, maxBinding / 4);
  return { wg, ept, chunkFloats, maxGroups: limits.maxComputeWorkgroupsPerDimension };
}

/** The pipelines of one optimizer state. */
export interface Pipelines {
  /** The fused update. */
  readonly update: GPUComputePipeline;
  /** `A = first ? G : A + G`, with accumulation. */
  readonly accumulate: GPUComputePipeline | null;
  /** Per reduction: block partials. */
  readonly blockNorm: readonly GPUComputePipeline[];
  /** Per reduction: per-tensor norms (and scales). */
  readonly tensorNorm: readonly GPUComputePipeline[];
  /** Per reduction: the global norm and coefficient (global reductions only). */
  readonly globalNorm: readonly (GPUComputePipeline | null)[];
}

const ACCUMULATE_BINDINGS: BindingKind[] = ["uniform", "uniform", "storage", "read-only-storage"];
const BLOCK_NORM_BINDINGS: BindingKind[] = [
  "uniform",
  "uniform",
  "uniform",
  "read-only-storage",
  "read-only-storage",
  "read-only-storage",
  "read-only-storage",
  "storage",
];
const TENSOR_NORM_BINDINGS: BindingKind[] = ["uniform", "uniform", "storage", "read-only-storage"];
const GLOBAL_NORM_BINDINGS: BindingKind[] = ["uniform", "storage"];

/** Compile (or find in the cache) every pipeline the plan needs. * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * if (!await navigator.gpu?.requestAdapter()) console.warn("no WebGPU adapter: nothing checked");
 * else {
 *   const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
 *   const state = await opt.init([new Float32Array([1, 2])]); // compiles the pipelines
 *   await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 *   deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 *   opt.dispose(state);
 * }
 * ```
 */
export function createPipelines(
  ctx: GpuContext,
  def: OptimizerDef,
  h: Hyper,
  plan: TransformPlan,
  shape: KernelShape,
): Pipelines {
  const pipes = ctx.pipelines;
  const grid = { WG: shape.wg, EPT: shape.ept };
  const reduction = { WG: shape.wg };
  const nSlots = def.slots(h).length;
  return {
    update: pipes.get(
      updateKernel(def, h, plan),
      updateBindings(nSlots),
      grid,
      `newbob ${def.name} step`,
    ),
    accumulate: plan.accumulate
      ? pipes.get(accumulateKernel(plan), ACCUMULATE_BINDINGS, grid, "newbob accumulate")
      : null,
    blockNorm: plan.reductions.map((_, r) =>
      pipes.get(
        blockNormKernel(def, h, plan, r),
        BLOCK_NORM_BINDINGS,
        reduction,
        `newbob norm1 r${r}`,
      )
    ),
    tensorNorm: plan.reductions.map((_, r) =>
      pipes.get(tensorNormKernel(plan, r), TENSOR_NORM_BINDINGS, reduction, `newbob norm2 r${r}`)
    ),
    globalNorm: plan.reductions.map((red, r) =>
      red.scope === "global"
        ? pipes.get(
          globalNormKernel(plan, r),
          GLOBAL_NORM_BINDINGS,
          reduction,
          `newbob norm3 r${r}`,
        )
        : null
    ),
  };
}
