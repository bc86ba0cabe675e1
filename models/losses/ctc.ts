/**
 * Connectionist Temporal Classification (CTC) loss for TensorFlow.js: the forward (alpha) and
 * backward (beta) recursions in log space over all sequences of a batch at once, with the
 * gradient written by hand (`tf.customGrad`), as PyTorch's `ctc_loss(reduction="none")`.
 *
 * @module
 */

import { _checkLengths, type Lengths, type Tf, type tfjs } from "../_tf.ts";
import { fusedCtcLoss, registerFusedCtc } from "../fused/ctc_op.ts";

/** Options of {@linkcode ctcLoss}. */
export interface CtcLossOptions {
  /**
   * Index of the blank label among the `C` classes: 0 (PyTorch's default) or `C - 1` (RETURNN
   * TF puts it last). Any index in `[0, C)` works.
   * @default 0
   */
  blank?: number;
  /**
   * Give 0 (and a zero gradient) instead of `Infinity` for sequences whose target cannot be
   * aligned to their input (PyTorch's `zero_infinity`).
   * @default false
   */
  zeroInfinity?: boolean;
  /**
   * `fused`: the fused op of `fused/ctc_op.ts` (two kernel calls per batch; `cpu`, `wasm`,
   * `webgpu`); `reference`: the composition of tfjs ops below (a few dozen per frame); `auto`:
   * fused where the backend has it and the shapes are not empty.
   * @default "auto"
   */
  impl?: "auto" | "fused" | "reference";
}

/**
 * Log-space stand-in for log(0). Finite so that no backend meets `-inf - -inf`; absorbing in
 * float32 (`-1e30 + x === -1e30` for every log-probability `x` a float32 softmax gives).
 */
const NEG = -1e30;
/** A log-likelihood below this means "no alignment" (several NEG terms stay below it). */
const UNALIGNED = -1e29;

/**
 * CTC loss per sequence: `-log p(target | input)`, with the softmax over the classes applied
 * here (pass unnormalised logits). Padded frames (`t >= inputLengths[b]`) and padded target
 * positions (`s >= targetLengths[b]`) are ignored; the gradient is zero on padded frames.
 * Repeated labels need a blank between them; a target that cannot be aligned to its input
 * (too short an input) gives `Infinity` (or 0 with `zeroInfinity`). An empty target gives
 * `-log p(all blank)`.
 *
 * `tf.grad` (or `tf.variableGrads`) of a sum of the finite losses gives the gradient with
 * respect to the logits; each sequence's part is scaled by the upstream gradient of its loss,
 * so a sequence masked out of the sum contributes exactly zero, also an unalignable one.
 *
 * @param tf The TensorFlow.js namespace.
 * @param logits `[B, T, C]` float32 scores (unnormalised).
 * @param targets `[B, S]` int32 labels in `[0, C)` except `blank`, padded with -1 (any value
 * past `targetLengths[b]` is ignored).
 * @param inputLengths Frames per sequence (at most `T`).
 * @param targetLengths Labels per sequence (at most `S`).
 * @param options Blank index and `zeroInfinity`.
 * @returns `[B]` float32 losses.
 * @throws {TypeError} If `logits` is not rank 3 float32 or `targets` not rank 2.
 * @throws {RangeError} If the lengths do not fit the shapes, `blank` is not in `[0, C)`, or
 *   `impl` is unknown (or `fused` where the backend or the shapes do not allow it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { ctcLoss } from "./ctc.ts";
 *
 * // Two frames, classes {blank, a}; uniform logits: p("a") = p(a,a) + p(a,_) + p(_,a) = 3/4.
 * const logits = tf.zeros([1, 2, 2]);
 * const targets = tf.tensor2d([[1]], [1, 1], "int32");
 * const loss = ctcLoss(tf, logits, targets, [2], [1], { blank: 0 });
 * assert.ok(Math.abs(loss.dataSync()[0] + Math.log(0.75)) < 1e-6);
 * ```
 */
export function ctcLoss(
  tf: Tf,
  logits: tfjs.Tensor,
  targets: tfjs.Tensor,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options: CtcLossOptions = {},
): tfjs.Tensor1D {
  if (logits?.rank !== 3 || logits.dtype !== "float32") {
    throw new TypeError(
      "Cannot compute the CTC loss as 'logits' must be a float32 tensor [B, T, C]: current " +
        `value is ${
          logits?.rank === undefined ? typeof logits : `rank ${logits.rank} ${logits.dtype}`
        }`,
    );
  }
  if (targets?.rank !== 2) {
    throw new TypeError(
      "Cannot compute the CTC loss as 'targets' must be an int32 tensor [B, S]: current value " +
        `is ${targets?.rank === undefined ? typeof targets : `rank ${targets.rank}`}`,
    );
  }
  const [B, T, C] = logits.shape as [number, number, number];
  const S = targets.shape[1] as number;
  if (targets.shape[0] !== B) {
    throw new RangeError(
      `Cannot compute the CTC loss as 'targets' has ${
        targets.shape[0]
      } sequences and 'logits' ${B}`,
    );
  }
  const blank = options.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) {
    throw new RangeError(
      `Cannot compute the CTC loss as 'blank' must be an integer in [0, ${C}): current value is ` +
        `${blank}`,
    );
  }
  const inLens = _checkLengths("inputLengths", inputLengths, B, T);
  const tgtLens = _checkLengths("targetLengths", targetLengths, B, S);
  const zeroInfinity = options.zeroInfinity ?? false;
  const impl = options.impl ?? "auto";
  if (!["auto", "fused", "reference"].includes(impl)) {
    throw new RangeError(
      `Cannot compute the CTC loss as 'impl' must be 'auto', 'fused' or 'reference': current ` +
        `value is '${impl}'`,
    );
  }
  if (impl === "fused" || (impl === "auto" && B * T * C > 0 && S > 0 && registerFusedCtc(tf))) {
    return fusedCtcLoss(tf, logits, targets, inLens, tgtLens, blank, zeroInfinity);
  }
  const L = 2 * S + 1;
  const host = _hostMasks(B, T, L, C, inLens, tgtLens);

  const f = tf.customGrad((...args: (tfjs.Tensor | tfjs.GradSaveFunc)[]) => {
    const x = args[0] as tfjs.Tensor;
    const save = args[1] as tfjs.GradSaveFunc;
    const saved = tf.tidy(() => {
      const t32 = targets.dtype === "int32" ? targets : tf.cast(targets, "int32");
      const ext = _extendedLabels(tf, t32, blank, C); // [B, L]
      const skip = _skipAllowed(tf, ext, blank); // [B, L] bool
      const logProbs = tf.logSoftmax(x as tfjs.Tensor3D); // [B, T, C]
      const idx = tf.add(tf.tensor3d(host.frameBase, [B, T, 1], "int32"), tf.expandDims(ext, 1));
      const lpExt = tf.reshape(tf.gather(tf.reshape(logProbs, [-1]), tf.reshape(idx, [-1])), [
        B,
        T,
        L,
      ]) as tfjs.Tensor3D;
      // Normalised alphas (each frame's row sums to 1) and the log normalisers per frame.
      const { alphas, logScale } = _alphas(tf, lpExt, skip, host.frameMask, B, T, L);
      // Alphas at each sequence's last frame; the start state for an empty input.
      const startState = tf.tensor2d(host.start, [B, L]);
      const final = T === 0 ? startState : tf.where(
        tf.tensor2d(host.hasFrames, [B, 1], "bool"),
        tf.gather(tf.reshape(alphas, [B * T, L]), tf.tensor1d(host.lastFrameRow, "int32")),
        startState,
      );
      // log p = sum of the normalisers + logsumexp over the final states (the last label or
      // the blank after it).
      const masked = tf.where(
        tf.tensor2d(host.finalMask, [B, L], "bool"),
        final,
        tf.fill([B, L], NEG),
      );
      const finalLse = tf.logSumExp(masked, 1); // [B]
      const aligned = tf.greater(finalLse, UNALIGNED);
      const logLik = tf.add(finalLse, logScale);
      const loss = tf.where(
        aligned,
        tf.neg(logLik),
        tf.fill([B], zeroInfinity ? 0 : Infinity),
      ) as tfjs.Tensor1D;
      return { loss, keep: [logProbs, lpExt, alphas, aligned, ext, skip] };
    });
    save(saved.keep);
    return {
      value: saved.loss,
      gradFunc: (dy: tfjs.Tensor, s: tfjs.Tensor[]) => {
        const [logProbs, lpExt, alphas, aligned, ext, skip] = s;
        return tf.tidy(() => {
          const betas = _betas(tf, lpExt as tfjs.Tensor3D, skip, host, B, T, L);
          // Occupation probabilities gamma_t(s) = alpha_t(s) beta_t(s) / p. They sum to 1 over s
          // at every frame, so each frame is normalised on its own: no large log offsets meet
          // (float32 keeps the precision on long inputs). Zero where no alignment exists.
          const ab = tf.add(alphas, betas);
          const logGamma = tf.sub(ab, tf.logSumExp(ab, 2, true));
          const ok = tf.logicalAnd(
            tf.reshape(aligned, [B, 1, 1]),
            tf.tensor3d(host.frameMask, [B, T, 1], "bool"),
          );
          const gamma = tf.where(ok, tf.exp(logGamma), tf.zerosLike(logGamma));
          const perClass = tf.matMul(gamma, tf.oneHot(ext as tfjs.Tensor2D, C).toFloat()); // [B,T,C]
          const frames = tf.tensor3d(host.frameMask, [B, T, 1], "float32");
          let g = tf.mul(tf.sub(tf.exp(logProbs), perClass), frames);
          // zeroInfinity: an unaligned sequence has loss 0, so its gradient is 0 too.
          if (zeroInfinity) g = tf.mul(g, tf.reshape(tf.cast(aligned, "float32"), [B, 1, 1]));
          return tf.mul(g, tf.reshape(dy, [B, 1, 1]));
        });
      },
    };
  });
  return f(logits) as tfjs.Tensor1D;
}

interface HostMasks {
  /** `(b*T + t)*C` per frame, `[B, T]` (flat indices into the log-probabilities). */
  frameBase: Int32Array;
  /** 1 where `t < inputLengths[b]`, `[B, T]`. */
  frameMask: Float32Array;
  /** Row `b*T + inputLengths[b] - 1` of the flattened alphas (clamped to the batch's row 0). */
  lastFrameRow: Int32Array;
  /** 1 at the final states `2*S_b` and `2*S_b - 1`, `[B, L]`. */
  finalMask: Uint8Array;
  /** The state before the first frame: log 1 at state 0, log 0 elsewhere, `[B, L]`. */
  start: Float32Array;
  /** 1 where `t < inputLengths[b] - 1` (beta recursion runs), `[B, T]`. */
  betaRuns: Float32Array;
  /** 1 where `inputLengths[b] > 0`, `[B]`. */
  hasFrames: Uint8Array;
}

function _hostMasks(
  B: number,
  T: number,
  L: number,
  C: number,
  inLens: Int32Array,
  tgtLens: Int32Array,
): HostMasks {
  const frameBase = new Int32Array(B * T);
  const frameMask = new Float32Array(B * T);
  const betaRuns = new Float32Array(B * T);
  const lastFrameRow = new Int32Array(B);
  const finalMask = new Uint8Array(B * L);
  const start = new Float32Array(B * L).fill(NEG);
  const hasFrames = new Uint8Array(B);
  for (let b = 0; b < B; b++) {
    hasFrames[b] = inLens[b] > 0 ? 1 : 0;
    for (let t = 0; t < T; t++) {
      frameBase[b * T + t] = (b * T + t) * C;
      frameMask[b * T + t] = t < inLens[b] ? 1 : 0;
      betaRuns[b * T + t] = t < inLens[b] - 1 ? 1 : 0;
    }
    lastFrameRow[b] = b * T + Math.max(inLens[b] - 1, 0);
    const last = 2 * tgtLens[b];
    finalMask[b * L + last] = 1;
    if (last > 0) finalMask[b * L + last - 1] = 1;
    start[b * L] = 0;
  }
  return { frameBase, frameMask, lastFrameRow, finalMask, start, betaRuns, hasFrames };
}

/** `[B, 2S+1]`: blank, l1, blank, l2, ..., blank; padding (-1) becomes blank. */
function _extendedLabels(tf: Tf, targets: tfjs.Tensor, blank: number, C: number): tfjs.Tensor2D {
  const [B, S] = targets.shape;
  const valid = tf.logicalAnd(tf.greaterEqual(targets, 0), tf.less(targets, C));
  const labels = tf.where(valid, targets, tf.fill([B, S], blank, "int32"));
  const blanks = tf.fill([B, S], blank, "int32");
  const pairs = tf.reshape(tf.stack([blanks, labels], 2), [B, 2 * S]);
  return tf.concat([pairs, tf.fill([B, 1], blank, "int32")], 1) as tfjs.Tensor2D;
}

/** Whether state s may be entered from s-2 (a label different from the label before). */
function _skipAllowed(tf: Tf, ext: tfjs.Tensor2D, blank: number): tfjs.Tensor2D {
  const [B, L] = ext.shape;
  if (L < 3) return tf.fill([B, L], 0, "bool") as tfjs.Tensor2D;
  const before = tf.concat([tf.fill([B, 2], -1, "int32"), tf.slice(ext, [0, 0], [B, L - 2])], 1);
  return tf.logicalAnd(tf.notEqual(ext, blank), tf.notEqual(ext, before)) as tfjs.Tensor2D;
}

/** log(exp(a) + exp(b) + exp(c)) elementwise, safe for the NEG stand-in. */
function _lse3(tf: Tf, a: tfjs.Tensor, b: tfjs.Tensor, c: tfjs.Tensor): tfjs.Tensor {
  const m = tf.maximum(tf.maximum(a, b), c);
  const sum = tf.addN([tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m)), tf.exp(tf.sub(c, m))]);
  return tf.add(m, tf.log(sum));
}

function _shiftRight(tf: Tf, x: tfjs.Tensor2D, by: number): tfjs.Tensor2D {
  const [B, L] = x.shape;
  if (by >= L) return tf.fill([B, L], NEG) as tfjs.Tensor2D;
  return tf.concat([tf.fill([B, by], NEG), tf.slice(x, [0, 0], [B, L - by])], 1) as tfjs.Tensor2D;
}

function _shiftLeft(tf: Tf, x: tfjs.Tensor2D, by: number): tfjs.Tensor2D {
  const [B, L] = x.shape;
  if (by >= L) return tf.fill([B, L], NEG) as tfjs.Tensor2D;
  return tf.concat([tf.slice(x, [0, by], [B, L - by]), tf.fill([B, by], NEG)], 1) as tfjs.Tensor2D;
}

/**
 * Forward variables alpha_t(s) (emission at t included), each frame's row scaled to sum to 1,
 * frozen past each input length; `logScale[b]` is the sum of the log scales (so the true
 * log alpha is the scaled one plus the scales of the frames up to t).
 */
function _alphas(
  tf: Tf,
  lpExt: tfjs.Tensor3D,
  skip: tfjs.Tensor,
  frameMask: Float32Array,
  B: number,
  T: number,
  L: number,
): { alphas: tfjs.Tensor3D; logScale: tfjs.Tensor1D } {
  if (T === 0) return { alphas: tf.zeros([B, 0, L]), logScale: tf.zeros([B]) };
  const negs = tf.fill([B, L], NEG);
  const start = new Float32Array(B * L).fill(NEG);
  for (let b = 0; b < B; b++) start[b * L] = 0;
  let prev = tf.tensor2d(start, [B, L]);
  const frames = tf.unstack(lpExt, 1) as tfjs.Tensor2D[];
  const runs = tf.unstack(tf.tensor2d(frameMask, [B, T], "bool"), 1).map((m) =>
    tf.reshape(m, [B, 1])
  );
  const out: tfjs.Tensor2D[] = [];
  const scales: tfjs.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const [next, scale] = tf.tidy(() => {
      const p = prev as tfjs.Tensor2D;
      const from2 = tf.where(skip, _shiftRight(tf, p, 2), negs);
      const a = tf.add(_lse3(tf, p, _shiftRight(tf, p, 1), from2), frames[t]);
      const c = tf.where(runs[t], tf.logSumExp(a, 1, true), tf.zeros([B, 1]));
      return [tf.where(runs[t], tf.sub(a, c), p) as tfjs.Tensor2D, c];
    });
    out.push(next);
    scales.push(scale);
    prev = next;
  }
  const logScale = tf.sum(tf.concat(scales, 1), 1) as tfjs.Tensor1D;
  return { alphas: tf.stack(out, 1) as tfjs.Tensor3D, logScale };
}

/**
 * Backward variables beta_t(s) (emission at t excluded): log p(rest after t | state s at t),
 * up to a per-frame scale; log 1 at the final states of the last frame of each sequence.
 */
function _betas(
  tf: Tf,
  lpExt: tfjs.Tensor3D,
  skip: tfjs.Tensor,
  host: HostMasks,
  B: number,
  T: number,
  L: number,
): tfjs.Tensor3D {
  if (T === 0) return tf.zeros([B, 0, L]) as tfjs.Tensor3D;
  const negs = tf.fill([B, L], NEG);
  const init = tf.where(tf.tensor2d(host.finalMask, [B, L], "bool"), tf.zeros([B, L]), negs);
  const skipNext = _shiftLeftBool(tf, skip as tfjs.Tensor2D, 2);
  const frames = tf.unstack(lpExt, 1) as tfjs.Tensor2D[];
  const runs = tf.unstack(tf.tensor2d(host.betaRuns, [B, T], "bool"), 1).map((m) =>
    tf.reshape(m, [B, 1])
  );
  const out: tfjs.Tensor2D[] = new Array(T);
  let next = init as tfjs.Tensor2D;
  out[T - 1] = next;
  for (let t = T - 2; t >= 0; t--) {
    const cur = tf.tidy(() => {
      const e = tf.add(next, frames[t + 1]) as tfjs.Tensor2D;
      const from2 = tf.where(skipNext, _shiftLeft(tf, e, 2), negs);
      const b = _lse3(tf, e, _shiftLeft(tf, e, 1), from2);
      // Scaled like the alphas (gamma is normalised per frame, so the scale drops out).
      return tf.where(runs[t], tf.sub(b, tf.logSumExp(b, 1, true)), init) as tfjs.Tensor2D;
    });
    out[t] = cur;
    next = cur;
  }
  return tf.stack(out, 1) as tfjs.Tensor3D;
}

function _shiftLeftBool(tf: Tf, x: tfjs.Tensor2D, by: number): tfjs.Tensor2D {
  const [B, L] = x.shape;
  if (by >= L) return tf.fill([B, L], 0, "bool") as tfjs.Tensor2D;
  return tf.concat(
    [tf.slice(x, [0, by], [B, L - by]), tf.fill([B, by], 0, "bool")],
    1,
  ) as tfjs.Tensor2D;
}
