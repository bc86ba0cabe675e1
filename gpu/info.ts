/**
 * Adapter description, features and limits, for a CLI `info` command.
 *
 * @module
 */

import { GPU_FIX_HINT } from "./errors.ts";
import type { GpuProvider } from "./device.ts";

/** What {@linkcode gpuInfo} reports. */
export interface GpuInfo {
  /** Whether a WebGPU adapter was found. */
  available: boolean;
  /** Adapter description (e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`), or why none was found. */
  description: string;
  /** Adapter vendor, architecture, device id. */
  vendor: string;
  /** Adapter architecture. */
  architecture: string;
  /** Whether the adapter is a software fallback. */
  fallback: boolean;
  /** `DENO_WEBGPU_BACKEND` when set (Deno only). */
  backend: string | null;
  /** Sorted feature names. */
  features: string[];
  /** Every numeric adapter limit. */
  limits: Record<string, number>;
}

/**
 * Describe the WebGPU adapter (never throws; `available: false` says how to get one).
 *
 * @example Usage
 * ```ts
 * import { gpuInfo } from "./info.ts";
 * import { equal } from "node:assert/strict";
 * const info = await gpuInfo({ requestAdapter: () => Promise.resolve(null) });
 * equal(info.available, false);
 * ```
 */
export async function gpuInfo(provider?: GpuProvider | null): Promise<GpuInfo> {
  let backend: string | null = null;
  try {
    backend = (globalThis as { Deno?: typeof Deno }).Deno?.env.get("DENO_WEBGPU_BACKEND") ?? null;
  } catch {
    backend = null;
  }
  const gpu = provider === undefined
    ? (globalThis.navigator as { gpu?: GpuProvider } | undefined)?.gpu
    : provider;
  const adapter = await gpu?.requestAdapter().catch(() => null) ?? null;
  if (!adapter) {
    return {
      available: false,
      description: `no WebGPU adapter: ${GPU_FIX_HINT}`,
      vendor: "",
      architecture: "",
      fallback: false,
      backend,
      features: [],
      limits: {},
    };
  }
  const limits: Record<string, number> = {};
  // Limits are getters on the prototype: walk it.
  for (
    let o = adapter.limits as object;
    o && o !== Object.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const v = (adapter.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === "number") limits[k] = v;
    }
  }
  const info = adapter.info;
  return {
    available: true,
    description: info?.description || "unknown",
    vendor: info?.vendor ?? "",
    architecture: info?.architecture ?? "",
    fallback: (info as { isFallbackAdapter?: boolean })?.isFallbackAdapter ?? false,
    backend,
    features: [...adapter.features].sort(),
    limits,
  };
}

/**
 * Format a {@linkcode GpuInfo} as human-readable lines.
 *
 * @example Usage
 * ```ts
 * import { formatGpuInfo, gpuInfo } from "./info.ts";
 * import { match } from "node:assert/strict";
 * const none = await gpuInfo({ requestAdapter: () => Promise.resolve(null) });
 * match(formatGpuInfo(none), /^WebGPU: no WebGPU adapter/);
 * ```
 */
export function formatGpuInfo(info: GpuInfo): string {
  if (!info.available) return `WebGPU: ${info.description}`;
  const lines = [
    `WebGPU adapter: ${info.description}${info.fallback ? " (software fallback)" : ""}`,
    `vendor: ${info.vendor || "-"}  architecture: ${info.architecture || "-"}  backend: ${
      info.backend ?? "default"
    }`,
    `features: ${info.features.join(", ") || "-"}`,
    "limits:",
    ...Object.entries(info.limits).sort().map(([k, v]) => `  ${k}: ${v}`),
  ];
  return lines.join("\n");
}
