/**
 * Compute pipeline and bind-group-layout cache. A pipeline is keyed by everything that changes
 * it: the full WGSL source, the entry point, the `override` constants and the binding layout.
 *
 * @module
 */

/** Kind of one binding of an explicit bind group layout. */
export type BindingKind = "uniform" | "storage" | "read-only-storage";

/** A cache of compute pipelines for one device. */
export interface PipelineCache {
  /**
   * The pipeline for `source` (created on first use), with an explicit layout of one bind group
   * whose binding `i` has kind `bindings[i]`.
   */
  get(
    source: string,
    bindings: readonly BindingKind[],
    constants?: Record<string, number>,
    label?: string,
  ): GPUComputePipeline;
  /** The bind group layout for `bindings` (shared by every pipeline with that layout). */
  layout(bindings: readonly BindingKind[]): GPUBindGroupLayout;
  /** Number of pipelines created so far (cache misses). */
  readonly created: number;
  /** Number of cached pipelines. */
  readonly size: number;
}

/**
 * Create a pipeline cache for `device`.
 *
 * @example Usage
 * ```ts
 * import { createPipelineCache } from "./pipeline_cache.ts";
 * import { equal } from "node:assert/strict";
 * const adapter = await navigator.gpu?.requestAdapter();
 * if (!adapter) console.warn("no WebGPU adapter: this example checks nothing");
 * else {
 *   const device = await adapter.requestDevice();
 *   const cache = createPipelineCache(device);
 *   const src = "@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n" +
 *     "@compute @workgroup_size(1) fn main() { a[0] = 1.0; }";
 *   equal(cache.get(src, ["storage"]), cache.get(src, ["storage"]));
 *   device.destroy();
 * }
 * ```
 */
export function createPipelineCache(device: GPUDevice): PipelineCache {
  const pipelines = new Map<string, GPUComputePipeline>();
  const layouts = new Map<string, GPUBindGroupLayout>();
  let created = 0;
  const layout = (bindings: readonly BindingKind[]): GPUBindGroupLayout => {
    const key = bindings.join(",");
    let l = layouts.get(key);
    if (!l) {
      l = device.createBindGroupLayout({
        label: `newbob layout ${key}`,
        entries: bindings.map((type, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type },
        })),
      });
      layouts.set(key, l);
    }
    return l;
  };
  return {
    get(source, bindings, constants = {}, label = "newbob kernel") {
      const key = `${bindings.join(",")}|${JSON.stringify(constants)}|${source}`;
      let p = pipelines.get(key);
      if (!p) {
        const module = device.createShaderModule({ label, code: source });
        p = device.createComputePipeline({
          label,
          layout: device.createPipelineLayout({ bindGroupLayouts: [layout(bindings)] }),
          compute: { module, entryPoint: "main", constants },
        });
        pipelines.set(key, p);
        created++;
      }
      return p;
    },
    layout,
    get created() {
      return created;
    },
    get size() {
      return pipelines.size;
    },
  };
}
