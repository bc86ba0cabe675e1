/**
 * The fused CTC loss as WGSL programs for tfjs' webgpu backend. Forward: one invocation per
 * frame for the log-softmax, then one workgroup per sequence for the alpha recursion (its
 * invocations over the `2S+1` states, frames one after another behind storage barriers,
 * invocation 0 normalising each frame with a serial log-sum-exp, as the host kernel does) in
 * step-ranged dispatches (see `LOOP_BUDGET` in `lstm_wgsl.ts`); the last one writes the losses.
 * Backward: the beta recursion, the occupation probabilities and the gradient per frame, the
 * same way. `-1e30` stands in for log 0 (WGSL promises nothing about infinities). Same
 * workspace layout as `ctc_cpu.ts`; the loss slots hold the running sum of the frames' log
 * normalisers until the last forward dispatch.
 *
 * @module
 */

import { LSTM_WORKGROUP as WG, perSequenceProgram, type WebGpuProgram } from "./lstm_wgsl.ts";

const COMMON = /* wgsl */ `
const NEG = -1e30;
// exp(x - m) for a log-sum-exp over terms up to m, 0 for the -1e30 stand-in, clamped at
// exp(-80) (below float32's precision next to 1).
fn nbTerm(x : f32, m : f32) -> f32 {
  if (x <= -1e29) { return 0.0; }
  return exp(max(x - m, -80.0));
}
fn nbLse2(a : f32, b : f32) -> f32 {
  let m = max(a, b);
  if (m <= -1e29) { return NEG; }
  return m + log(nbTerm(a, m) + nbTerm(b, m));
}
fn nbLse3(a : f32, b : f32, c : f32) -> f32 {
  let m = max(max(a, b), c);
  if (m <= -1e29) { return NEG; }
  return m + log(nbTerm(a, m) + nbTerm(b, m) + nbTerm(c, m));
}
fn nbExt(b : i32, s : i32, S : i32) -> i32 {
  if (s % 2 == 0) { return uniforms.blank; }
  return tg[b * S + (s - 1) / 2];
}
`;

/** The recursion programs' names for their sequence, sizes and workspace offsets (`B` set). */
const PRELUDE = /* wgsl */ `  let b = i32(workgroupId.x);
  let tid = i32(localId.x);
  let T = uniforms.T;
  let C = uniforms.C;
  let S = uniforms.tgShape.y;
  let L = 2 * S + 1;
  let Tb = il[b];
  let Lb = 2 * tl[b] + 1;
  let oLp = 2 * B;
  let oA = oLp + B * T * C;`;

/** Uniforms of the recursion programs (then `k0, k1` from `runStepChunks`). */
const UNIFORMS = "blank : i32, zeroInf : i32, T : i32, C : i32, k0 : i32, k1 : i32,";

function _size(B: number, T: number, C: number, S: number): number {
  return 2 * B + B * T * C + B * T * (2 * S + 1);
}

/**
 * Forward, first program: log-probabilities, the alphas set to log 0 and the loss slots to 0.
 * Inputs `logits` `[B, T, C]`, `il` `[B]`; one invocation per frame.
 *
 * @param B Sequences.
 * @param T Frames.
 * @param C Classes.
 * @param S Target positions.
 * @returns The program (uniforms `blank, zeroInf, T, C, L`; output: the workspace).
 */
export function ctcLogSoftmaxProgram(B: number, T: number, C: number, S: number): WebGpuProgram {
  return {
    variableNames: ["logits", "il"],
    outputShape: [_size(B, T, C, S)],
    shaderKey: "newbobCtcLogSoftmax",
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil((B * T) / WG), 1, 1],
    workgroupSize: [WG, 1, 1],
    uniforms: "blank : i32, zeroInf : i32, T : i32, C : i32, L : i32,",
    getUserCode: () => /* wgsl */ `
fn main(index : i32) {
  let B = uniforms.ilShape;
  let T = uniforms.T;
  let C = uniforms.C;
  let L = uniforms.L;
  if (index >= B * T) { return; }
  let b = index / T;
  let t = index - b * T;
  let row = index * C;
  let oLp = 2 * B;
  let oA = oLp + B * T * C;
  if (t == 0) {
    result[b] = 0.0;
    result[B + b] = 0.0;
  }
  if (t < il[b]) {
    var m = logits[row];
    for (var c = 1; c < C; c++) { m = max(m, logits[row + c]); }
    var sum = 0.0;
    for (var c = 0; c < C; c++) { sum += exp(logits[row + c] - m); }
    let z = m + log(sum);
    for (var c = 0; c < C; c++) { result[oLp + row + c] = logits[row + c] - z; }
  } else {
    for (var c = 0; c < C; c++) { result[oLp + row + c] = 0.0; }
  }
  for (var s = 0; s < L; s++) { result[oA + index * L + s] = -1e30; }
}
`,
  };
}

/**
 * Forward, second program (step-ranged over frames): the normalised alphas; the dispatch that
 * ends at frame `T` writes the losses and the aligned flags. Inputs `tg` `[B, S]`, `il`,
 * `tl` `[B]`, into the first program's output.
 *
 * @param B Sequences.
 * @param T Frames.
 * @param C Classes.
 * @param S Target positions.
 * @returns The program.
 */
export function ctcAlphaProgram(B: number, T: number, C: number, S: number): WebGpuProgram {
  return perSequenceProgram(
    "newbobCtcAlpha",
    ["tg", "il", "tl"],
    _size(B, T, C, S),
    B,
    UNIFORMS,
    COMMON + /* wgsl */ `
fn main(index : i32) {
  let B = uniforms.ilShape;
${PRELUDE}
  for (var t = uniforms.k0; t < uniforms.k1; t++) {
    if (t < Tb) {
      let ar = oA + (b * T + t) * L;
      for (var s = tid; s < Lb; s += ${WG}) {
        var a = NEG;
        if (t == 0) {
          if (s < 2) { a = 0.0; }
        } else {
          let pr = ar - L;
          var a1 = NEG;
          if (s > 0) { a1 = result[pr + s - 1]; }
          var a2 = NEG;
          if (s >= 2 && s % 2 == 1 && nbExt(b, s, S) != nbExt(b, s - 2, S)) { a2 = result[pr + s - 2]; }
          a = nbLse3(result[pr + s], a1, a2);
        }
        if (a > -1e29) { a += result[oLp + (b * T + t) * C + nbExt(b, s, S)]; }
        result[ar + s] = a;
      }
    }
    storageBarrier();
    workgroupBarrier();
    if (t < Tb && tid == 0) {
      let ar = oA + (b * T + t) * L;
      var m = NEG;
      for (var s = 0; s < Lb; s++) { m = max(m, result[ar + s]); }
      if (m > -1e29) {
        var sum = 0.0;
        for (var s = 0; s < Lb; s++) { sum += nbTerm(result[ar + s], m); }
        let c = m + log(sum);
        result[b] = result[b] + c;
        for (var s = 0; s < Lb; s++) {
          let v = result[ar + s];
          if (v > -1e29) { result[ar + s] = v - c; }
        }
      } else {
        result[b] = NEG;
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
  if (uniforms.k1 == T && tid == 0) {
    let scale = result[b];
    var logp = NEG;
    if (Tb == 0) {
      if (Lb == 1) { logp = 0.0; }
    } else if (scale > -1e29) {
      let ar = oA + (b * T + Tb - 1) * L;
      var last2 = NEG;
      if (Lb > 1) { last2 = result[ar + Lb - 2]; }
      let f = nbLse2(result[ar + Lb - 1], last2);
      if (f > -1e29) { logp = f + scale; }
    }
    if (logp > -1e29) {
      result[b] = -logp;
      result[B + b] = 1.0;
    } else {
      result[B + b] = 0.0;
      if (uniforms.zeroInf != 0) { result[b] = 0.0; } else { result[b] = uniforms.INFINITY; }
    }
  }
}
`,
  );
}

/** Loop iterations per frame of {@linkcode ctcAlphaProgram} (an upper bound). */
export function ctcAlphaIters(S: number): number {
  const L = 2 * S + 1;
  return Math.ceil(L / WG) + 3 * L + 4;
}

/**
 * Backward (step-ranged over frames, last frame first): inputs `dy` `[B]`, `tg`, `il`, `tl`,
 * `ws` (the forward's workspace); output the gradient `[B, T, C]` followed by scratch (two
 * beta rows and one gamma row per sequence).
 *
 * @param B Sequences.
 * @param T Frames.
 * @param C Classes.
 * @param S Target positions.
 * @returns The program.
 */
export function ctcBackwardProgram(B: number, T: number, C: number, S: number): WebGpuProgram {
  return perSequenceProgram(
    "newbobCtcBackward",
    ["dy", "tg", "il", "tl", "ws"],
    B * T * C + 3 * B * (2 * S + 1),
    B,
    UNIFORMS,
    COMMON + /* wgsl */ `
fn main(index : i32) {
  let B = uniforms.dyShape;
${PRELUDE}
  let aligned = ws[B + b] > 0.5;
  let oScr = B * T * C + 3 * b * L;
  let gam = oScr + 2 * L;
  let g = dy[b];
  for (var k = uniforms.k0; k < uniforms.k1; k++) {
    let t = T - 1 - k;
    let cur = oScr + (k % 2) * L;
    let nxt = oScr + (1 - k % 2) * L;
    if (t >= Tb) {
      for (var c = tid; c < C; c += ${WG}) { result[(b * T + t) * C + c] = 0.0; }
    }
    if (t < Tb && aligned) {
      for (var s = tid; s < Lb; s += ${WG}) {
        var v = NEG;
        if (t == Tb - 1) {
          if (s >= Lb - 2) { v = 0.0; }
        } else {
          let lpn = oLp + (b * T + t + 1) * C;
          let e0 = result[nxt + s] + ws[lpn + nbExt(b, s, S)];
          var e1 = NEG;
          if (s + 1 < Lb) { e1 = result[nxt + s + 1] + ws[lpn + nbExt(b, s + 1, S)]; }
          var e2 = NEG;
          if (s + 2 < Lb && (s + 2) % 2 == 1 && nbExt(b, s + 2, S) != nbExt(b, s, S)) {
            e2 = result[nxt + s + 2] + ws[lpn + nbExt(b, s + 2, S)];
          }
          v = nbLse3(e0, e1, e2);
        }
        result[cur + s] = v;
      }
    }
    storageBarrier();
    workgroupBarrier();
    if (t < Tb && aligned && tid == 0) {
      var m = NEG;
      for (var s = 0; s < Lb; s++) { m = max(m, result[cur + s]); }
      var sum = 0.0;
      for (var s = 0; s < Lb; s++) { sum += nbTerm(result[cur + s], m); }
      let c = m + log(sum);
      var mx = NEG;
      for (var s = 0; s < Lb; s++) {
        let v = result[cur + s];
        var nv = NEG;
        if (v > -1e29) { nv = v - c; }
        result[cur + s] = nv;
        var x = NEG;
        let a = ws[oA + (b * T + t) * L + s];
        if (nv > -1e29 && a > -1e29) { x = a + nv; }
        result[gam + s] = x;
        mx = max(mx, x);
      }
      var gs = 0.0;
      for (var s = 0; s < Lb; s++) { gs += nbTerm(result[gam + s], mx); }
      let lz = mx + log(gs);
      for (var s = 0; s < Lb; s++) {
        let x = result[gam + s];
        var e = 0.0;
        if (x > -1e29) { e = exp(max(x - lz, -80.0)); }
        result[gam + s] = e;
      }
    }
    storageBarrier();
    workgroupBarrier();
    if (t < Tb) {
      let row = (b * T + t) * C;
      for (var c = tid; c < C; c += ${WG}) {
        var acc = 0.0;
        if (aligned) {
          for (var s = 0; s < Lb; s++) {
            if (nbExt(b, s, S) == c) { acc += result[gam + s]; }
          }
        }
        var v = (exp(ws[oLp + row + c]) - acc) * g;
        if (!aligned && uniforms.zeroInf != 0) { v = 0.0; }
        result[row + c] = v;
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}
`,
  );
}

/** Loop iterations per frame of {@linkcode ctcBackwardProgram} (an upper bound). */
export function ctcBackwardIters(C: number, S: number): number {
  const L = 2 * S + 1, perC = Math.ceil(C / WG);
  return 2 * Math.ceil(L / WG) + 5 * L + perC * (L + 2) + 4;
}
