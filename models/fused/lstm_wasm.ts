/**
 * The fused LSTM as WebAssembly SIMD: one call runs the whole sequence's forward (every time
 * step of every sequence of a batch range), one call its backward (backpropagation through
 * time). Each function is a pure function of one memory and the byte offsets in a descriptor,
 * and of a batch range `[b0, b1)`: sequences are independent, so a pool of workers over a shared
 * memory splits a batch into ranges and runs the same call each, with no synchronisation
 * inside (see {@linkcode lstmWasmModule}).
 *
 * Layout. `n` units, `np = 4 * ceil(n / 4)`; gates in the kernel's own order (cell input `j`,
 * input `i`, forget `f`, output `o`), each block padded to `np`. Inputs and outputs seen by
 * tfjs are unpadded in the caller's gate layout (`x`, `dZ` `[B, T, 4n]` with the blocks at the
 * descriptor's column offsets; `y`, `dY`, `hPrev` `[B, T, n]`); what only the backward reads
 * (cell states `[B, T, np]`, activated gates `[B, T, 4np]`) and the scratch are padded.
 *
 * Forward descriptor (`i32` words): 0 `B`, 1 `T`, 2 reverse (0/1), 3-6 column offsets of
 * `j, i, f, o` in `x` (floats), 7 `x`, 8 `Wp` (`W_re` as `[n][4np]`, kernel order, pad
 * columns 0), 9 `lens` (`i32 [B]`), 10 `y`, 11 cell states, 12 gates, 13 `h` scratch
 * `[B, np]`, 14 `c` scratch `[B, np]`, 15 `z` scratch `[B, 4np]`, 16 forget bias (`f32`).
 *
 * Backward descriptor: 0-6 as forward, 7 `dY`, 8 `WT` (`W_re` transposed, `[4np][np]`, pad rows
 * and columns 0), 9 `lens`, 10 `y`, 11 cell states, 12 gates, 13 `dh` scratch `[B, np]`, 14
 * `dc` scratch `[B, np]`, 15 `dz` scratch `[B, 4np]`, 16 `dZ` (out), 17 `hPrev` (out: the
 * previous frame's output in processing order, 0 at each sequence's first; `dW_re` is
 * `hPrev^T dZ`, one matrix product the caller does), 18 a zero row of `np` floats.
 *
 * @module
 */

import { ModuleBuilder, OP } from "../../wasm/assembler.ts";
import { Fn, I32_TYPE, type Val } from "./_wasm_kit.ts";

/** Words in a descriptor (forward and backward). */
export const DESC_WORDS = 20;

/** Floats per padded gate block for `n` units. */
export function paddedUnits(n: number): number {
  return 4 * Math.ceil(n / 4);
}

type L = { local: number };

/** `out[rows][nVec*4] = A[rows][K] @ B[K][nVec*4]` with register tiles of 4 rows x 2 vectors. */
function _gemm(
  e: Fn,
  g: {
    pA: L;
    aStride: number;
    pB: L;
    bStride: number;
    K: number;
    pOut: L;
    outStride: number;
    rows: L;
    nVec: number;
  },
): void {
  const rb = e.i32(), cv = e.i32(), k = e.i32(), pa = e.i32(), pb = e.i32(), po = e.i32();
  const lim = e.i32();
  const acc = Array.from({ length: 8 }, () => e.v128());
  const w = [e.v128(), e.v128()];
  const a = e.v128();
  const tile = (R: number, V: number, cvBytes: Val) => {
    for (let i = 0; i < R * V; i++) e.set(acc[i], () => e.splat(0));
    e.set(pa, () => e.add(g.pA, () => e.mul(rb, g.aStride)));
    e.set(pb, () => e.add(g.pB, cvBytes));
    e.for(k, 0, g.K, 1, () => {
      for (let c = 0; c < V; c++) e.set(w[c], () => e.load(pb, c * 16));
      for (let r = 0; r < R; r++) {
        e.set(a, () => e.loadSplat(pa, r * g.aStride));
        for (let c = 0; c < V; c++) {
          e.set(acc[r * V + c], () => e.madd(a, w[c], acc[r * V + c]));
        }
      }
      e.set(pa, () => e.add(pa, 4));
      e.set(pb, () => e.add(pb, g.bStride));
    });
    e.set(po, () => e.add(() => e.add(g.pOut, () => e.mul(rb, g.outStride)), cvBytes));
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < V; c++) e.store(po, acc[r * V + c], r * g.outStride + c * 16);
    }
  };
  const pairs = g.nVec - (g.nVec % 2);
  const rowsTiled = (R: number) => {
    if (pairs > 0) e.for(cv, 0, pairs * 16, 32, () => tile(R, 2, cv));
    if (g.nVec % 2) tile(R, 1, pairs * 16);
  };
  e.set(lim, () => e.sub(g.rows, 3));
  e.for(rb, 0, lim, 4, () => rowsTiled(4));
  // rb is now the first row not in a 4-row tile.
  e.set(lim, rb);
  e.for(rb, lim, g.rows, 1, () => rowsTiled(1));
}

/** Emit `body(vBytes, lanes)` for every vector of a padded block: full ones, then the tail. */
function _vectors(e: Fn, nv: number, rem: number, body: (vB: Val, lanes: number) => void): void {
  const v = e.i32();
  if (nv > 1) e.for(v, 0, (nv - 1) * 16, 16, () => body(v, 4));
  body((nv - 1) * 16, rem);
}

function _readDesc(e: Fn, desc: L, words: number): L[] {
  return Array.from({ length: words }, (_, i) => {
    const l = e.i32();
    e.set(l, () => e.loadI32(desc, 4 * i));
    return l;
  });
}

function _forward(e: Fn, n: number): void {
  const np = paddedUnits(n), nv = np / 4, rem = n - 4 * (nv - 1);
  const desc = e.param(0), b0 = e.param(1), b1 = e.param(2);
  const [B_, T, rev, oJ, oI, oF, oO, pX, pW, pLens, pY, pC, pG, pH, pCs, pZ] = _readDesc(
    e,
    desc,
    16,
  );
  void B_;
  const fb = e.v128();
  e.set(fb, () => {
    e.loadF32(desc, 64);
    e.f.simd(0x13); // f32x4.splat
  });
  const b = e.i32(), k = e.i32(), len = e.i32(), t = e.i32(), rows = e.i32();
  const pHb = e.i32(), pZb = e.i32();
  // Zero the state and the padded frames' outputs.
  e.for(b, b0, b1, 1, () => {
    e.zero(() => e.add(pH, () => e.mul(b, np * 4)), np * 4);
    e.zero(() => e.add(pCs, () => e.mul(b, np * 4)), np * 4);
    e.set(len, () => e.loadI32(() => e.add(pLens, () => e.mul(b, 4))));
    e.zero(
      () => e.add(pY, () => e.mul(() => e.add(() => e.mul(b, T), len), n * 4)),
      () => e.mul(() => e.sub(T, len), n * 4),
    );
  });
  e.set(rows, () => e.sub(b1, b0));
  e.set(pHb, () => e.add(pH, () => e.mul(b0, np * 4)));
  e.set(pZb, () => e.add(pZ, () => e.mul(b0, np * 16)));
  const px = [e.i32(), e.i32(), e.i32(), e.i32()], offs = [oJ, oI, oF, oO];
  const zb = e.i32(), cb = e.i32(), hb = e.i32(), gr = e.i32(), cr = e.i32(), yr = e.i32();
  const frame = e.i32();
  const zs = [e.v128(), e.v128(), e.v128(), e.v128()];
  const act = [e.v128(), e.v128(), e.v128(), e.v128()];
  const c = e.v128(), h = e.v128();
  e.for(k, 0, T, 1, () => {
    // z[b] = h[b] @ W_re for every sequence of the range (padded ones are computed and unused).
    _gemm(e, {
      pA: pHb,
      aStride: np * 4,
      pB: pW,
      bStride: np * 16,
      K: n,
      pOut: pZb,
      outStride: np * 16,
      rows,
      nVec: np,
    });
    e.for(b, b0, b1, 1, () => {
      e.set(len, () => e.loadI32(() => e.add(pLens, () => e.mul(b, 4))));
      e.if(() => e.lt(k, len), () => {
        e.set(t, () => e.select(rev, () => e.sub(() => e.sub(len, 1), k), k));
        e.set(frame, () => e.add(() => e.mul(b, T), t));
        for (let g = 0; g < 4; g++) {
          e.set(
            px[g],
            () => e.add(() => e.add(pX, () => e.mul(frame, n * 16)), () => e.mul(offs[g], 4)),
          );
        }
        e.set(zb, () => e.add(pZ, () => e.mul(b, np * 16)));
        e.set(cb, () => e.add(pCs, () => e.mul(b, np * 4)));
        e.set(hb, () => e.add(pH, () => e.mul(b, np * 4)));
        e.set(gr, () => e.add(pG, () => e.mul(frame, np * 16)));
        e.set(cr, () => e.add(pC, () => e.mul(frame, np * 4)));
        e.set(yr, () => e.add(pY, () => e.mul(frame, n * 4)));
        _vectors(e, nv, rem, (vB, lanes) => {
          for (let g = 0; g < 4; g++) {
            e.set(zs[g], () =>
              e.v(
                "add",
                () => e.load(() => e.add(zb, vB), g * np * 4),
                () => e.loadLanes(() => e.add(px[g], vB), lanes),
              ));
          }
          e.set(zs[2], () => e.v("add", zs[2], fb));
          e.set(act[0], () => e.tanh(zs[0]));
          for (let g = 1; g < 4; g++) e.set(act[g], () => e.sigmoid(zs[g]));
          // c = f * c_prev + i * j; h = o * tanh(c)
          e.set(c, () =>
            e.v(
              "add",
              () => e.v("mul", act[2], () => e.load(() => e.add(cb, vB))),
              () => e.v("mul", act[1], act[0]),
            ));
          e.set(h, () => e.tanh(c));
          e.set(h, () => e.v("mul", act[3], h));
          e.store(() => e.add(cb, vB), c);
          e.store(() => e.add(hb, vB), h);
          for (let g = 0; g < 4; g++) e.store(() => e.add(gr, vB), act[g], g * np * 4);
          e.store(() => e.add(cr, vB), c);
          e.storeLanes(() => e.add(yr, vB), h, lanes);
        });
      });
    });
  });
}

function _backward(e: Fn, n: number): void {
  const np = paddedUnits(n), nv = np / 4, rem = n - 4 * (nv - 1);
  const desc = e.param(0), b0 = e.param(1), b1 = e.param(2);
  const w = _readDesc(e, desc, 19);
  const [, T, rev, oJ, oI, oF, oO, pDY, pWT, pLens, pY, pC, pG, pDH, pDC, pDZs, pDZ, pHp, pZero] =
    w;
  const b = e.i32(), k = e.i32(), kk = e.i32(), len = e.i32(), t = e.i32(), tp = e.i32();
  const rows = e.i32(), pDZb = e.i32(), pDHb = e.i32(), frame = e.i32(), prev = e.i32();
  e.for(b, b0, b1, 1, () => {
    e.zero(() => e.add(pDH, () => e.mul(b, np * 4)), np * 4);
    e.zero(() => e.add(pDC, () => e.mul(b, np * 4)), np * 4);
    e.zero(() => e.add(pDZs, () => e.mul(b, np * 16)), np * 16);
    e.set(len, () => e.loadI32(() => e.add(pLens, () => e.mul(b, 4))));
    e.set(frame, () => e.add(() => e.mul(b, T), len));
    e.zero(() => e.add(pDZ, () => e.mul(frame, n * 16)), () => e.mul(() => e.sub(T, len), n * 16));
    e.zero(() => e.add(pHp, () => e.mul(frame, n * 4)), () => e.mul(() => e.sub(T, len), n * 4));
  });
  e.set(rows, () => e.sub(b1, b0));
  e.set(pDZb, () => e.add(pDZs, () => e.mul(b0, np * 16)));
  e.set(pDHb, () => e.add(pDH, () => e.mul(b0, np * 4)));
  const offs = [oJ, oI, oF, oO];
  const dzr = [e.i32(), e.i32(), e.i32(), e.i32()];
  const dyr = e.i32(), gr = e.i32(), cr = e.i32(), cpr = e.i32(), ypr = e.i32(), hpr = e.i32();
  const dhb = e.i32(), dcb = e.i32(), dzb = e.i32();
  const gv = [e.v128(), e.v128(), e.v128(), e.v128()],
    dz = [e.v128(), e.v128(), e.v128(), e.v128()];
  const dh = e.v128(), cv = e.v128(), th = e.v128(), dc = e.v128(), hv = e.v128();
  const one = () => e.splat(1);
  // s * (1 - s), the logistic's derivative from its value
  const dsig = (s: L) => e.v("mul", s, () => e.v("sub", one, s));
  e.for(k, 0, T, 1, () => {
    e.set(kk, () => e.sub(() => e.sub(T, 1), k));
    e.for(b, b0, b1, 1, () => {
      e.set(len, () => e.loadI32(() => e.add(pLens, () => e.mul(b, 4))));
      e.if(() => e.lt(kk, len), () => {
        e.set(t, () => e.select(rev, () => e.sub(() => e.sub(len, 1), kk), kk));
        e.set(tp, () => e.select(rev, () => e.add(t, 1), () => e.sub(t, 1)));
        e.set(frame, () => e.add(() => e.mul(b, T), t));
        e.set(prev, () => e.add(() => e.mul(b, T), tp));
        for (let g = 0; g < 4; g++) {
          e.set(
            dzr[g],
            () => e.add(() => e.add(pDZ, () => e.mul(frame, n * 16)), () => e.mul(offs[g], 4)),
          );
        }
        e.set(dyr, () => e.add(pDY, () => e.mul(frame, n * 4)));
        e.set(hpr, () => e.add(pHp, () => e.mul(frame, n * 4)));
        e.set(gr, () => e.add(pG, () => e.mul(frame, np * 16)));
        e.set(cr, () => e.add(pC, () => e.mul(frame, np * 4)));
        // At the sequence's first processed frame the previous state is the zero row.
        e.set(
          cpr,
          () => e.select(() => e.eq(kk, 0), pZero, () => e.add(pC, () => e.mul(prev, np * 4))),
        );
        e.set(
          ypr,
          () => e.select(() => e.eq(kk, 0), pZero, () => e.add(pY, () => e.mul(prev, n * 4))),
        );
        e.set(dhb, () => e.add(pDH, () => e.mul(b, np * 4)));
        e.set(dcb, () => e.add(pDC, () => e.mul(b, np * 4)));
        e.set(dzb, () => e.add(pDZs, () => e.mul(b, np * 16)));
        _vectors(e, nv, rem, (vB, lanes) => {
          e.set(dh, () =>
            e.v(
              "add",
              () => e.loadLanes(() => e.add(dyr, vB), lanes),
              () => e.load(() => e.add(dhb, vB)),
            ));
          for (let g = 0; g < 4; g++) e.set(gv[g], () => e.load(() => e.add(gr, vB), g * np * 4));
          const [j, i, f, o] = gv;
          e.set(cv, () => e.load(() => e.add(cr, vB)));
          e.set(th, () => e.tanh(cv));
          // dc = dc_next * f_next (carried) + dh * o * (1 - tanh(c)^2)
          e.set(dc, () =>
            e.v(
              "add",
              () => e.load(() => e.add(dcb, vB)),
              () =>
                e.v(
                  "mul",
                  () => e.v("mul", dh, o),
                  () => e.v("sub", one, () => e.v("mul", th, th)),
                ),
            ));
          e.set(dz[3], () => e.v("mul", () => e.v("mul", dh, th), () => dsig(o)));
          e.set(dz[1], () => e.v("mul", () => e.v("mul", dc, j), () => dsig(i)));
          e.set(
            dz[0],
            () =>
              e.v("mul", () => e.v("mul", dc, i), () => e.v("sub", one, () => e.v("mul", j, j))),
          );
          e.set(
            dz[2],
            () =>
              e.v("mul", () => e.v("mul", dc, () => e.load(() => e.add(cpr, vB))), () => dsig(f)),
          );
          e.store(() => e.add(dcb, vB), () => e.v("mul", dc, f));
          for (let g = 0; g < 4; g++) {
            e.store(() => e.add(dzb, vB), dz[g], g * np * 4);
            e.storeLanes(() => e.add(dzr[g], vB), dz[g], lanes);
          }
          e.set(hv, () => e.loadLanes(() => e.add(ypr, vB), lanes));
          e.storeLanes(() => e.add(hpr, vB), hv, lanes);
        });
      });
    });
    // dh[b] = dz[b] @ W_re^T, for the next (earlier) frame.
    _gemm(e, {
      pA: pDZb,
      aStride: np * 16,
      pB: pWT,
      bStride: np * 4,
      K: 4 * np,
      pOut: pDHb,
      outStride: np * 4,
      rows,
      nVec: nv,
    });
  });
}

const moduleCache = new Map<string, WebAssembly.Module>();

/** Byte address of the descriptor the `*_units` exports read. */
export const POOL_DESC = 0;

/**
 * The compiled kernel module for `n` units (cached): exports `forward(desc, b0, b1)` and
 * `backward(desc, b0, b1)` over the imported memory `env.memory` (up to 4 GiB), and the same
 * as `forward_units(b0, b1)` / `backward_units(b0, b1)` reading the descriptor at byte
 * {@linkcode POOL_DESC}: the `fn(begin, end)` shape of `wasm/pool.ts`.
 *
 * On the worker pool: `pool.load(lstmWasmModule(n, pool.shared), memory, ["forward_units",
 * "backward_units"])` on a memory from `createMemory`, write the arrays and the descriptor
 * ({@linkcode runLstmForward} with `scratch: POOL_DESC` and no ranges writes it), then
 * `pool.run([{ program, fn: 0, units: B, batch: 1 }])`: calls over disjoint sequence ranges
 * touch disjoint rows of every output and scratch array, so they need no synchronisation, and
 * the result is bitwise the same whatever the split (every sequence's arithmetic is the same).
 *
 * @param n Units.
 * @param shared Import a shared memory (workers) instead of a plain one.
 * @returns The module.
 * @throws {RangeError} If `n` is not a positive integer.
 */
export function lstmWasmModule(n: number, shared = false): WebAssembly.Module {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot build the LSTM kernel as 'n' must be a positive integer: ${n}`);
  }
  const key = `${n}:${shared}`;
  let m = moduleCache.get(key);
  if (!m) {
    const b = new ModuleBuilder({ memory: { shared, minPages: 1, maxPages: 65536 } });
    const args = [I32_TYPE, I32_TYPE, I32_TYPE];
    b.func("forward", args, [], (f) => _forward(new Fn(f), n));
    b.func("backward", args, [], (f) => _backward(new Fn(f), n));
    // The worker pool's shape, fn(begin, end) over sequences: the descriptor at POOL_DESC.
    for (const [name, index] of [["forward_units", 0], ["backward_units", 1]] as const) {
      b.func(name, [I32_TYPE, I32_TYPE], [], (f) => {
        f.i32(POOL_DESC).op(OP.local_get, 0).op(OP.local_get, 1).op(0x10, index); // call
      });
    }
    m = new WebAssembly.Module(b.bytes());
    moduleCache.set(key, m);
  }
  return m;
}

/** The kernel functions of one instance. */
export interface LstmWasmKernels {
  /** Run the forward over sequences `[b0, b1)` of the descriptor at byte `desc`. */
  forward(desc: number, b0: number, b1: number): void;
  /** Run the backward over sequences `[b0, b1)`. */
  backward(desc: number, b0: number, b1: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, Map<number, LstmWasmKernels>>();

/**
 * The kernels for `n` units instantiated over `memory` (cached per memory).
 *
 * @param memory The memory the descriptors and arrays live in.
 * @param n Units.
 * @returns `forward` and `backward`.
 */
export function lstmWasmKernels(memory: WebAssembly.Memory, n: number): LstmWasmKernels {
  let byN = instances.get(memory);
  if (!byN) instances.set(memory, byN = new Map());
  let k = byN.get(n);
  if (!k) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    const inst = new WebAssembly.Instance(lstmWasmModule(n, shared), { env: { memory } });
    k = inst.exports as unknown as LstmWasmKernels;
    byN.set(n, k);
  }
  return k;
}

/** Canonical block `g` (0 j, 1 i, 2 f, 3 o) -> column offset of that gate in the caller's layout. */
export function gateOffsets(order: string, n: number): [number, number, number, number] {
  return ["j", "i", "f", "o"].map((g) => order.indexOf(g) * n) as [number, number, number, number];
}

/**
 * Write `W_re` `[n, 4n]` (caller's layout) as the forward's `Wp` `[n][4np]` and/or the
 * backward's `WT` `[4np][np]` (kernel order, padding 0).
 *
 * @param mem A view of the kernel memory.
 * @param w The weights `[n, 4n]`.
 * @param n Units.
 * @param offs {@linkcode gateOffsets} of the caller's layout.
 * @param at Float indices of `Wp` and `WT` in `mem` (either may be omitted).
 */
export function packRecurrentWeights(
  mem: Float32Array,
  w: Float32Array,
  n: number,
  offs: readonly number[],
  at: { wp?: number; wt?: number },
): void {
  const np = paddedUnits(n);
  if (at.wp !== undefined) mem.fill(0, at.wp, at.wp + n * 4 * np);
  if (at.wt !== undefined) mem.fill(0, at.wt, at.wt + 4 * np * np);
  for (let r = 0; r < n; r++) {
    for (let g = 0; g < 4; g++) {
      for (let u = 0; u < n; u++) {
        const v = w[r * 4 * n + offs[g] + u];
        if (at.wp !== undefined) mem[at.wp + r * 4 * np + g * np + u] = v;
        if (at.wt !== undefined) mem[at.wt + (g * np + u) * np + r] = v;
      }
    }
  }
}

/** Byte offsets of one forward call's scratch, from its base. */
function _fwdScratch(n: number, B: number) {
  const np = paddedUnits(n);
  const desc = 0, wp = DESC_WORDS * 4, h = wp + n * 16 * np, cs = h + B * np * 4;
  const z = cs + B * np * 4;
  return { desc, wp, h, cs, z, bytes: z + B * np * 16 };
}

/** Byte offsets of one backward call's scratch, from its base. */
function _bwdScratch(n: number, B: number) {
  const np = paddedUnits(n);
  const desc = 0, wt = DESC_WORDS * 4, dh = wt + np * 16 * np, dc = dh + B * np * 4;
  const dz = dc + B * np * 4, zero = dz + B * np * 16;
  return { desc, wt, dh, dc, dz, zero, bytes: zero + np * 4 };
}

/**
 * Floats of the forward's workspace (cell states, then gates, padded), which the backward reads.
 *
 * @param B Sequences.
 * @param T Frames.
 * @param n Units.
 * @returns Its size in floats.
 */
export function lstmWorkspaceFloats(B: number, T: number, n: number): number {
  return B * T * 5 * paddedUnits(n);
}

/**
 * Bytes of scratch {@linkcode runLstmForward} needs (descriptor, packed weights, state).
 *
 * @param n Units.
 * @param B Sequences.
 * @returns Bytes.
 */
export function lstmForwardScratchBytes(n: number, B: number): number {
  return _fwdScratch(n, B).bytes;
}

/**
 * Bytes of scratch {@linkcode runLstmBackward} needs.
 *
 * @param n Units.
 * @param B Sequences.
 * @returns Bytes.
 */
export function lstmBackwardScratchBytes(n: number, B: number): number {
  return _bwdScratch(n, B).bytes;
}

/** Where one call's arrays are: byte offsets into the memory. */
export interface LstmForwardAt {
  /** Pre-activations `[B, T, 4n]` (caller's gate layout). */
  readonly x: number;
  /** `W_re` `[n, 4n]` (caller's gate layout). */
  readonly w: number;
  /** Lengths, `i32 [B]`. */
  readonly lens: number;
  /** Output `[B, T, n]`. */
  readonly y: number;
  /** Workspace, {@linkcode lstmWorkspaceFloats} floats. */
  readonly ws: number;
  /** Scratch, {@linkcode lstmForwardScratchBytes} bytes (64-byte aligned is best). */
  readonly scratch: number;
}

/** Where the backward's arrays are. */
export interface LstmBackwardAt {
  /** Upstream gradient `[B, T, n]`. */
  readonly dy: number;
  /** `W_re` `[n, 4n]`. */
  readonly w: number;
  /** Lengths. */
  readonly lens: number;
  /** The forward's output. */
  readonly y: number;
  /** The forward's workspace. */
  readonly ws: number;
  /** Output `dZ` `[B, T, 4n]`. */
  readonly dz: number;
  /** Output `hPrev` `[B, T, n]`. */
  readonly hp: number;
  /** Scratch, {@linkcode lstmBackwardScratchBytes} bytes. */
  readonly scratch: number;
}

/** Layout attributes of a call. */
export interface LstmLayout {
  /** Run each sequence from its last frame. */
  readonly reverse: boolean;
  /** The caller's gate order, a permutation of `jifo`. */
  readonly gateOrder: string;
  /** Added to the forget gate's pre-activation. */
  readonly forgetBias: number;
}

/**
 * Write the forward's descriptor and packed weights into the scratch and run the forward over
 * `ranges` of sequences, one kernel call each (a worker pool would run the ranges at once:
 * the result is the same bitwise).
 *
 * @param memory The memory everything lives in.
 * @param dims Sequences, frames and units.
 * @param at The arrays' byte offsets.
 * @param attrs Direction, gate layout, forget bias.
 * @param ranges Batch ranges `[b0, b1)` covering `[0, B)` (none: only write the descriptor,
 *   for a worker pool to run). @default one range
 */
export function runLstmForward(
  memory: WebAssembly.Memory,
  dims: { B: number; T: number; n: number },
  at: LstmForwardAt,
  attrs: LstmLayout,
  ranges: readonly (readonly [number, number])[] = [[0, dims.B]],
): void {
  const { B, T, n } = dims, np = paddedUnits(n), s = _fwdScratch(n, B);
  const f32 = new Float32Array(memory.buffer), i32 = new Int32Array(memory.buffer);
  const offs = gateOffsets(attrs.gateOrder, n);
  packRecurrentWeights(f32, f32.subarray(at.w / 4, at.w / 4 + n * 4 * n), n, offs, {
    wp: (at.scratch + s.wp) / 4,
  });
  const d = (at.scratch + s.desc) / 4;
  i32.set([
    B,
    T,
    attrs.reverse ? 1 : 0,
    ...offs,
    at.x,
    at.scratch + s.wp,
    at.lens,
    at.y,
    at.ws,
    at.ws + B * T * np * 4,
    at.scratch + s.h,
    at.scratch + s.cs,
    at.scratch + s.z,
  ], d);
  f32[d + 16] = attrs.forgetBias;
  const k = lstmWasmKernels(memory, n);
  for (const [b0, b1] of ranges) k.forward(at.scratch + s.desc, b0, b1);
}

/**
 * Write the backward's descriptor and transposed weights and run it over `ranges`.
 *
 * @param memory The memory.
 * @param dims Sequences, frames and units.
 * @param at The arrays' byte offsets.
 * @param attrs As the forward's.
 * @param ranges Batch ranges (none: only write the descriptor). @default one range
 */
export function runLstmBackward(
  memory: WebAssembly.Memory,
  dims: { B: number; T: number; n: number },
  at: LstmBackwardAt,
  attrs: LstmLayout,
  ranges: readonly (readonly [number, number])[] = [[0, dims.B]],
): void {
  const { B, T, n } = dims, np = paddedUnits(n), s = _bwdScratch(n, B);
  const f32 = new Float32Array(memory.buffer), i32 = new Int32Array(memory.buffer);
  const offs = gateOffsets(attrs.gateOrder, n);
  packRecurrentWeights(f32, f32.subarray(at.w / 4, at.w / 4 + n * 4 * n), n, offs, {
    wt: (at.scratch + s.wt) / 4,
  });
  f32.fill(0, (at.scratch + s.zero) / 4, (at.scratch + s.zero) / 4 + np);
  const d = (at.scratch + s.desc) / 4;
  i32.set([
    B,
    T,
    attrs.reverse ? 1 : 0,
    ...offs,
    at.dy,
    at.scratch + s.wt,
    at.lens,
    at.y,
    at.ws,
    at.ws + B * T * np * 4,
    at.scratch + s.dh,
    at.scratch + s.dc,
    at.scratch + s.dz,
    at.dz,
    at.hp,
    at.scratch + s.zero,
  ], d);
  const k = lstmWasmKernels(memory, n);
  for (const [b0, b1] of ranges) k.backward(at.scratch + s.desc, b0, b1);
}
