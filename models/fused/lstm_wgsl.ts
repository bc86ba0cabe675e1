/**
 * The fused LSTM as WGSL programs for TensorFlow.js' webgpu backend (run through its
 * `runWebGPUProgram`, so they share its device, buffers and command queue: no readback, no
 * extra submit). One workgroup per sequence runs all of that sequence's time steps in one
 * dispatch (a step's gates, then its state, separated by storage barriers: sequences are
 * independent, so no synchronisation between workgroups is needed); the backward is one
 * dispatch the same way. Sizes come from the inputs' shapes and the layout from uniforms, so
 * one pipeline serves every size.
 *
 * Forward output (packed, `[B*T*6n]`): cell states `[B, T, n]`, activated gates `[B, T, 4n]`
 * (caller's gate layout), outputs `[B, T, n]`. Backward output: `dZ` `[B, T, 4n]`, `hPrev`
 * `[B, T, n]`, then scratch `dh`, `dc` `[B, n]`.
 *
 * @module
 */

/** Invocations per workgroup. */
export const LSTM_WORKGROUP = 64;

/** A program object in the shape tfjs-backend-webgpu's `runWebGPUProgram` takes. */
export interface WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}

/**
 * A program with one workgroup of {@linkcode LSTM_WORKGROUP} invocations per sequence and a
 * flat output (the shape of every recursion program here and in `ctc_wgsl.ts`).
 *
 * @param key The shader key (the source must depend on nothing else).
 * @param variableNames The inputs' names in the source.
 * @param size The output's floats.
 * @param B Sequences (workgroups).
 * @param uniforms The program-defined uniforms' declarations.
 * @param code The source after the tfjs header (helpers and `fn main(index : i32)`).
 * @returns The program.
 */
export function perSequenceProgram(
  key: string,
  variableNames: string[],
  size: number,
  B: number,
  uniforms: string,
  code: string,
): WebGpuProgram {
  return {
    variableNames,
    outputShape: [size],
    shaderKey: `${key}${LSTM_WORKGROUP}`,
    dispatchLayout: { x: [0] },
    dispatch: [B, 1, 1],
    workgroupSize: [LSTM_WORKGROUP, 1, 1],
    uniforms,
    getUserCode: () => code,
  };
}

const MATH = /* wgsl */ `
fn nbSigmoid(v : f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}
// tanh: odd polynomial below |v| = 0.625, 1 - 2 / (exp(2|v|) + 1) with v's sign above
// (the same scheme as the WebAssembly kernel; never exp overflow to NaN).
fn nbTanh(v : f32) -> f32 {
  let a = abs(v);
  if (a < 0.625) {
    let z = v * v;
    return ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z +
      1.33314422036e-1) * z - 3.33332819422e-1) * z * v + v;
  }
  let e = exp(2.0 * min(a, 44.0));
  return sign(v) * (1.0 - 2.0 / (e + 1.0));
}
`;

const LAYOUT_UNIFORMS =
  "rev : i32, offJ : i32, offI : i32, offF : i32, offO : i32, fb : f32, k0 : i32, k1 : i32,";

/**
 * The forward program: inputs `x` `[B, T, 4n]`, `w` `[n, 4n]`, `lens` `[B]` (int32).
 *
 * @param B Sequences.
 * @param T Frames.
 * @param n Units.
 * @returns The program (uniforms: {@linkcode lstmUniforms}).
 */
export function lstmForwardProgram(B: number, T: number, n: number): WebGpuProgram {
  return perSequenceProgram(
    "newbobLstmForward",
    ["x", "w", "lens"],
    B * T * 6 * n,
    B,
    LAYOUT_UNIFORMS,
    MATH + /* wgsl */ `
fn main(index : i32) {
  let b = i32(workgroupId.x);
  let tid = i32(localId.x);
  let B = uniforms.xShape.x;
  let T = uniforms.xShape.y;
  let n4 = uniforms.xShape.z;
  let n = n4 / 4;
  let L = lens[b];
  let rev = uniforms.rev != 0;
  let offG = B * T * n;
  let offY = offG + B * T * n4;
  for (var k = uniforms.k0; k < uniforms.k1; k++) {
    if (k >= L) {
      // a padded frame: output 0 (each padded frame is step k = t >= L in both directions)
      for (var u = tid; u < n; u += ${LSTM_WORKGROUP}) {
        result[offY + (b * T + k) * n + u] = 0.0;
      }
    }
    if (k < L) {
      let t = select(k, L - 1 - k, rev);
      let tp = select(t - 1, t + 1, rev);
      let row = b * T + t;
      for (var g = tid; g < n4; g += ${LSTM_WORKGROUP}) {
        var z = 0.0;
        if (k > 0) {
          let hp = offY + (b * T + tp) * n;
          for (var r = 0; r < n; r++) {
            z += result[hp + r] * w[r * n4 + g];
          }
        }
        z += x[row * n4 + g];
        if (g >= uniforms.offF && g < uniforms.offF + n) {
          z += uniforms.fb;
        }
        var a : f32;
        if (g >= uniforms.offJ && g < uniforms.offJ + n) {
          a = nbTanh(z);
        } else {
          a = nbSigmoid(z);
        }
        result[offG + row * n4 + g] = a;
      }
    }
    storageBarrier();
    workgroupBarrier();
    if (k < L) {
      let t = select(k, L - 1 - k, rev);
      let tp = select(t - 1, t + 1, rev);
      let row = b * T + t;
      let gb = offG + row * n4;
      for (var u = tid; u < n; u += ${LSTM_WORKGROUP}) {
        var cp = 0.0;
        if (k > 0) {
          cp = result[(b * T + tp) * n + u];
        }
        let c = result[gb + uniforms.offF + u] * cp +
          result[gb + uniforms.offI + u] * result[gb + uniforms.offJ + u];
        result[row * n + u] = c;
        result[offY + row * n + u] = result[gb + uniforms.offO + u] * nbTanh(c);
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}
`,
  );
}

/**
 * The backward program: inputs `dy` `[B, T, n]`, `w` `[n, 4n]`, `lens`, `y` `[B, T, n]`, `ws`
 * (the forward's packed output).
 *
 * @param B Sequences.
 * @param T Frames.
 * @param n Units.
 * @returns The program (uniforms: {@linkcode lstmUniforms}).
 */
export function lstmBackwardProgram(B: number, T: number, n: number): WebGpuProgram {
  return perSequenceProgram(
    "newbobLstmBackward",
    ["dy", "w", "lens", "y", "ws"],
    B * T * 5 * n + 2 * B * n,
    B,
    LAYOUT_UNIFORMS,
    MATH + /* wgsl */ `
fn main(index : i32) {
  let b = i32(workgroupId.x);
  let tid = i32(localId.x);
  let B = uniforms.dyShape.x;
  let T = uniforms.dyShape.y;
  let n = uniforms.dyShape.z;
  let n4 = 4 * n;
  let L = lens[b];
  let rev = uniforms.rev != 0;
  let offH = B * T * n4;
  let offDh = offH + B * T * n;
  let offDc = offDh + B * n;
  let wsG = B * T * n;
  if (uniforms.k0 == 0) {
    for (var u = tid; u < n; u += ${LSTM_WORKGROUP}) {
      result[offDh + b * n + u] = 0.0;
      result[offDc + b * n + u] = 0.0;
    }
  }
  storageBarrier();
  workgroupBarrier();
  for (var k = uniforms.k0; k < uniforms.k1; k++) {
    let kk = T - 1 - k;
    if (kk >= L) {
      // a padded frame (t = kk): no gradient
      for (var g = tid; g < n4; g += ${LSTM_WORKGROUP}) { result[(b * T + kk) * n4 + g] = 0.0; }
      for (var u = tid; u < n; u += ${LSTM_WORKGROUP}) { result[offH + (b * T + kk) * n + u] = 0.0; }
    }
    if (kk < L) {
      let t = select(kk, L - 1 - kk, rev);
      let tp = select(t - 1, t + 1, rev);
      let row = b * T + t;
      let gb = wsG + row * n4;
      for (var u = tid; u < n; u += ${LSTM_WORKGROUP}) {
        let dh = dy[row * n + u] + result[offDh + b * n + u];
        let j = ws[gb + uniforms.offJ + u];
        let ig = ws[gb + uniforms.offI + u];
        let f = ws[gb + uniforms.offF + u];
        let o = ws[gb + uniforms.offO + u];
        let c = ws[row * n + u];
        var cp = 0.0;
        var hp = 0.0;
        if (kk > 0) {
          cp = ws[(b * T + tp) * n + u];
          hp = y[(b * T + tp) * n + u];
        }
        let th = nbTanh(c);
        let dc = result[offDc + b * n + u] + dh * o * (1.0 - th * th);
        result[row * n4 + uniforms.offO + u] = dh * th * (o * (1.0 - o));
        result[row * n4 + uniforms.offI + u] = dc * j * (ig * (1.0 - ig));
        result[row * n4 + uniforms.offJ + u] = dc * ig * (1.0 - j * j);
        result[row * n4 + uniforms.offF + u] = dc * cp * (f * (1.0 - f));
        result[offDc + b * n + u] = dc * f;
        result[offH + row * n + u] = hp;
      }
    }
    storageBarrier();
    workgroupBarrier();
    if (kk < L) {
      let t = select(kk, L - 1 - kk, rev);
      let row = b * T + t;
      for (var r = tid; r < n; r += ${LSTM_WORKGROUP}) {
        var s = 0.0;
        for (var g = 0; g < n4; g++) {
          s += result[row * n4 + g] * w[r * n4 + g];
        }
        result[offDh + b * n + r] = s;
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}
`,
  );
}

/**
 * A copy of `shape`'s worth of floats from `src` starting at float `off` (uniform `off`):
 * unpacks one result of a packed program output.
 *
 * @param shape The output shape.
 * @returns The program.
 */
export function copyRangeProgram(shape: number[]): WebGpuProgram {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    variableNames: ["src"],
    outputShape: shape,
    shaderKey: "newbobCopyRange",
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    uniforms: "off : i32,",
    size: true,
    getUserCode: () => /* wgsl */ `
fn main(index : i32) {
  if (index < uniforms.size) {
    setOutputAtIndex(index, src[index + uniforms.off]);
  }
}
`,
  };
}

/**
 * The layout uniforms of both LSTM programs, in their declaration order (without the step
 * range `k0, k1` that {@linkcode runStepChunks} appends).
 *
 * @param reverse Backward direction.
 * @param offs Column offsets of the `j, i, f, o` gates in the caller's layout.
 * @param forgetBias Added to the forget gate.
 * @returns The `programDefinedUniform` list for `runWebGPUProgram`.
 */
export function lstmUniforms(
  reverse: boolean,
  offs: readonly number[],
  forgetBias: number,
): Uniform[] {
  return [
    { type: "int32", data: [reverse ? 1 : 0] },
    ...offs.map((o) => ({ type: "int32", data: [o] })),
    { type: "float32", data: [forgetBias] },
  ];
}

/** One `programDefinedUniform` entry. */
export type Uniform = { type: string; data: number[] };

/**
 * Loop iterations one invocation may run per dispatch. Mesa's llvmpipe/lavapipe (the software
 * adapter CI and this machine have) stops every loop of an invocation once they have run
 * 65535 iterations in all, silently: found when a 300-frame CTC went wrong at frame 227. The
 * programs take a step range `[k0, k1)` and the host splits the steps so that no invocation
 * gets near that; on a hardware GPU this only adds a few dispatches.
 */
export const LOOP_BUDGET = 16384;

/** The minimal webgpu backend surface {@linkcode runStepChunks} needs. */
export interface ChunkBackend<I> {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: I[],
    dtype: string,
    uniforms?: Uniform[],
    output?: I,
  ): I;
}

/**
 * Run a step-ranged program over steps `[0, steps)` in dispatches of at most
 * `LOOP_BUDGET / itersPerStep` steps, all writing the same output (the state in it carries
 * from one dispatch to the next: tfjs orders them on its queue).
 *
 * @param be The webgpu backend.
 * @param program The program (uniforms ending in `k0 : i32, k1 : i32,`).
 * @param inputs Its inputs.
 * @param uniforms Its other uniforms.
 * @param steps Steps in all.
 * @param itersPerStep An upper bound of one invocation's loop iterations per step.
 * @param output Write into this output (made by an earlier program) instead of a new one.
 * @returns The output.
 */
export function runStepChunks<I>(
  be: ChunkBackend<I>,
  program: WebGpuProgram,
  inputs: I[],
  uniforms: Uniform[],
  steps: number,
  itersPerStep: number,
  output?: I,
): I {
  const chunk = Math.max(1, Math.floor(LOOP_BUDGET / Math.max(1, itersPerStep)));
  let out: I | undefined = output;
  for (let k0 = 0; k0 < steps || out === undefined; k0 += chunk) {
    const range = [
      { type: "int32", data: [k0] },
      { type: "int32", data: [Math.min(steps, k0 + chunk)] },
    ];
    out = be.runWebGPUProgram(program, inputs, "float32", [...uniforms, ...range], out);
  }
  return out;
}

/** Loop iterations per step of the forward program (an upper bound). */
export function lstmForwardIters(n: number): number {
  const per = Math.ceil((4 * n) / LSTM_WORKGROUP), units = Math.ceil(n / LSTM_WORKGROUP);
  return per * (n + 1) + 2 * units + 2;
}

/** Loop iterations per step of the backward program (an upper bound). */
export function lstmBackwardIters(n: number): number {
  const units = Math.ceil(n / LSTM_WORKGROUP);
  return Math.ceil((4 * n) / LSTM_WORKGROUP) + units * (4 * n + 3) + 2;
}
