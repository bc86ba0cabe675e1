/**
 * Private: WGSL functions with PyTorch's handling of NaN, for the kernels of every optimizer and
 * transform. WGSL's `max`, `min` and `clamp` return the other operand when one is NaN and
 * `sign(NaN)` is unspecified, while torch (1.13, checked with the Debian `python3-torch`) keeps
 * NaN through `torch.maximum`, `amax`, `clamp` and `clamp_`, and gives `sign(NaN) = 0`. NaN is
 * recognised on the bits: shader compilers may assume finite floats.
 *
 * @module
 */

/**
 * `nb_isnan4`, `nb_max4`, `nb_min4` (NaN if either operand is NaN), `nb_max1`, `nb_min1` (the
 * same on `f32`), `nb_clamp4` (NaN stays NaN; bounds are never NaN) and `nb_sign4` (NaN gives
 * 0). Prepended to every kernel that uses them.
 * @example Usage
 * ```ts
 * import { TORCH_WGSL } from "./_wgsl_torch.ts";
 * import { match } from "node:assert/strict";
 * match(TORCH_WGSL, /fn nb_max4\(a: vec4<f32>, b: vec4<f32>\) -> vec4<f32>/);
 * ```
 */
export const TORCH_WGSL: string = /* wgsl */ `
fn nb_isnan4(x: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}
fn nb_isnan1(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
fn nb_max4(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  return select(max(a, b), a + b, nb_isnan4(a) | nb_isnan4(b));
}
fn nb_min4(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  return select(min(a, b), a + b, nb_isnan4(a) | nb_isnan4(b));
}
fn nb_max1(a: f32, b: f32) -> f32 {
  return select(max(a, b), a + b, nb_isnan1(a) || nb_isnan1(b));
}
fn nb_min1(a: f32, b: f32) -> f32 {
  return select(min(a, b), a + b, nb_isnan1(a) || nb_isnan1(b));
}
fn nb_clamp4(x: vec4<f32>, lo: vec4<f32>, hi: vec4<f32>) -> vec4<f32> {
  return select(min(max(x, lo), hi), x, nb_isnan4(x));
}
fn nb_sign4(x: vec4<f32>) -> vec4<f32> {
  return select(sign(x), vec4<f32>(0.0), nb_isnan4(x));
}
fn nb_sign1(x: f32) -> f32 {
  return select(sign(x), 0.0, nb_isnan1(x));
}
`;
