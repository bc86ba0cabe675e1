/**
 * The fused CTC loss's host kernels (for tfjs' `cpu` and `wasm` backends): the log-softmax, the
 * forward (alpha) and backward (beta) recursions and the gradient of a whole batch in two
 * calls, in float64 over the float32 tensors' own memory (the wasm backend's heap or the cpu
 * backend's arrays: no copies, no readback). The recursions touch `2S+1` states per frame, a
 * few thousand numbers per sequence: what cost time was tfjs dispatching ~40 small ops per
 * frame, not arithmetic, so these loops are plain TypeScript (WebAssembly would not pay here).
 *
 * Workspace layout (float32, shared with the WGSL kernels): loss `[B]`, aligned flags `[B]`
 * (1/0), log-probabilities `[B, T, C]`, then the per-frame normalised log alphas `[B, T, L]`
 * (`L = 2S+1`; unreachable states hold `-Infinity` here, `-1e30` on the GPU).
 *
 * @module
 */

/** Shapes and options of a CTC call. */
export interface CtcDims {
  readonly B: number;
  readonly T: number;
  readonly C: number;
  readonly S: number;
  readonly blank: number;
  readonly zeroInfinity: boolean;
}

/** Floats of the workspace. */
export function ctcWorkspaceFloats(d: CtcDims): number {
  return 2 * d.B + d.B * d.T * d.C + d.B * d.T * (2 * d.S + 1);
}

/** States per frame and the workspace's offsets of the log-probabilities and the alphas. */
function _layout(d: CtcDims): { L: number; oLp: number; oA: number } {
  const oLp = 2 * d.B;
  return { L: 2 * d.S + 1, oLp, oA: oLp + d.B * d.T * d.C };
}

function _lse2(a: number, b: number): number {
  const m = a > b ? a : b;
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

function _lse3(a: number, b: number, c: number): number {
  const m = Math.max(a, b, c);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(c - m));
}

function _lseRow(x: Float64Array, n: number): number {
  let m = -Infinity;
  for (let s = 0; s < n; s++) if (x[s] > m) m = x[s];
  if (m === -Infinity) return -Infinity;
  let sum = 0;
  for (let s = 0; s < n; s++) sum += Math.exp(x[s] - m);
  return m + Math.log(sum);
}

/** The extended label of state `s`: blank at even states, the target's labels between. */
function _ext(targets: Int32Array, b: number, S: number, s: number, blank: number): number {
  return s % 2 === 0 ? blank : targets[b * S + ((s - 1) >> 1)];
}

/**
 * Forward: losses into `ws[0..B)` and the workspace for the backward.
 *
 * @param d Shapes and options.
 * @param logits `[B, T, C]`.
 * @param targets `[B, S]` (entries past each target length ignored).
 * @param inLens Frames per sequence.
 * @param tgtLens Labels per sequence.
 * @param ws The workspace ({@linkcode ctcWorkspaceFloats} floats), written.
 */
export function ctcForwardHost(
  d: CtcDims,
  logits: Float32Array,
  targets: Int32Array,
  inLens: Int32Array,
  tgtLens: Int32Array,
  ws: Float32Array,
): void {
  const { B, T, C, S, blank } = d, { L, oLp, oA } = _layout(d);
  const prev = new Float64Array(L), cur = new Float64Array(L);
  const lp = new Float64Array(T * C);
  for (let b = 0; b < B; b++) {
    const Tb = inLens[b], Lb = 2 * tgtLens[b] + 1;
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * C;
      if (t >= Tb) {
        ws.fill(0, oLp + row, oLp + row + C);
        continue;
      }
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (logits[row + c] > m) m = logits[row + c];
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(logits[row + c] - m);
      const z = m + Math.log(sum);
      for (let c = 0; c < C; c++) {
        lp[t * C + c] = logits[row + c] - z;
        ws[oLp + row + c] = lp[t * C + c];
      }
    }
    ws.fill(-Infinity, oA + b * T * L, oA + (b + 1) * T * L);
    const ext = (s: number) => _ext(targets, b, S, s, blank);
    let logp: number;
    if (Tb === 0) {
      logp = Lb === 1 ? 0 : -Infinity;
    } else {
      let scale = 0;
      for (let t = 0; t < Tb && scale > -Infinity; t++) {
        for (let s = 0; s < Lb; s++) {
          let a: number;
          if (t === 0) a = s < 2 ? 0 : -Infinity;
          else {
            const skip = s >= 2 && s % 2 === 1 && ext(s) !== ext(s - 2);
            a = _lse3(prev[s], s > 0 ? prev[s - 1] : -Infinity, skip ? prev[s - 2] : -Infinity);
          }
          cur[s] = a + lp[t * C + ext(s)];
        }
        const c = _lseRow(cur, Lb);
        scale += c;
        if (c === -Infinity) break;
        for (let s = 0; s < Lb; s++) {
          prev[s] = cur[s] - c;
          ws[oA + (b * T + t) * L + s] = prev[s];
        }
      }
      logp = scale === -Infinity
        ? -Infinity
        : _lse2(prev[Lb - 1], Lb > 1 ? prev[Lb - 2] : -Infinity) + scale;
    }
    const aligned = logp > -Infinity;
    ws[B + b] = aligned ? 1 : 0;
    ws[b] = aligned ? -logp : d.zeroInfinity ? 0 : Infinity;
  }
}

/**
 * Backward: the gradient of `sum_b dy[b] * loss[b]` with respect to the logits.
 *
 * @param d Shapes and options.
 * @param dy `[B]` upstream gradient.
 * @param targets `[B, S]`.
 * @param inLens Frames per sequence.
 * @param tgtLens Labels per sequence.
 * @param ws The forward's workspace.
 * @param grad `[B, T, C]`, written (0 on padded frames).
 */
export function ctcBackwardHost(
  d: CtcDims,
  dy: Float32Array,
  targets: Int32Array,
  inLens: Int32Array,
  tgtLens: Int32Array,
  ws: Float32Array,
  grad: Float32Array,
): void {
  const { B, T, C, S, blank } = d, { L, oLp, oA } = _layout(d);
  let next = new Float64Array(L), cur = new Float64Array(L);
  const x = new Float64Array(L), acc = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const Tb = inLens[b], Lb = 2 * tgtLens[b] + 1, g = dy[b];
    const aligned = ws[B + b] === 1;
    const ext = (s: number) => _ext(targets, b, S, s, blank);
    grad.fill(0, b * T * C + Tb * C, (b + 1) * T * C);
    for (let t = Tb - 1; t >= 0; t--) {
      const row = (b * T + t) * C;
      acc.fill(0);
      if (aligned) {
        for (let s = 0; s < Lb; s++) {
          if (t === Tb - 1) cur[s] = s >= Lb - 2 ? 0 : -Infinity;
          else {
            const e = (k: number) => next[k] + ws[oLp + row + C + ext(k)];
            const skip = s + 2 < Lb && (s + 2) % 2 === 1 && ext(s + 2) !== ext(s);
            cur[s] = _lse3(e(s), s + 1 < Lb ? e(s + 1) : -Infinity, skip ? e(s + 2) : -Infinity);
          }
        }
        const c = _lseRow(cur, Lb);
        for (let s = 0; s < Lb; s++) {
          cur[s] -= c;
          x[s] = ws[oA + (b * T + t) * L + s] + cur[s];
        }
        // Occupation probabilities, normalised per frame (they sum to 1 over the states).
        const m = _lseRow(x, Lb);
        for (let s = 0; s < Lb; s++) acc[ext(s)] += Math.exp(x[s] - m);
        [next, cur] = [cur, next];
      }
      for (let k = 0; k < C; k++) {
        const v = (Math.exp(ws[oLp + row + k]) - acc[k]) * g;
        grad[row + k] = !aligned && d.zeroInfinity ? 0 : v;
      }
    }
  }
}
