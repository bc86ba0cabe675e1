// The fused LSTM against PyTorch's nn.LSTM (tests/fixtures/torch_lstm, float64 references):
// outputs and the gradients of the input, W, W_re and the bias, one direction and both, padded
// batches, n a multiple of 4 or not, RETURNN's gate layout (jifo) and TF LSTMCell's (ijfo,
// forget bias 1), on cpu, wasm and webgpu.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import { lstmSequence } from "../lstm_cell.ts";
import type { tfjs } from "../_tf.ts";

type M = number[][];
const fx = JSON.parse(await Deno.readTextFile("tests/fixtures/torch_lstm/lstm.json"));
const TORCH_BLOCK: Record<string, number> = { i: 0, f: 1, j: 2, o: 3 };

/** torch rows [4n][k] (blocks i, f, g, o) -> columns [k][4n] in `order`. */
function toCols(rows: M, n: number, order: string): M {
  const blocks = [...order].flatMap((g) =>
    rows.slice(TORCH_BLOCK[g] * n, (TORCH_BLOCK[g] + 1) * n)
  );
  return blocks[0].map((_, j) => blocks.map((r) => r[j]));
}
const vecCols = (v: number[], n: number, order: string) => toCols(v.map((x) => [x]), n, order)[0];

function close(got: ArrayLike<number>, want: number[], what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(1, ...want.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst <= 2e-5 * scale, `${what}: max error ${worst} (scale ${scale})`);
}

async function check(backend: BackendName, c: Record<string, unknown>, order: string) {
  const { tf } = await loadTfjs(backend);
  const n = c.n as number, lengths = c.lengths as number[];
  const xIn = tf.tensor3d(c.x as number[][][]);
  const [B, T, F] = xIn.shape;
  const dirs = "weight_ih_l0_reverse" in c ? ["", "_reverse"] : [""];
  // The TF LSTMCell layout adds forget_bias 1: take it off the bias so the cell is the same.
  const forgetBias = order === "ijfo" ? 1 : 0;
  const params = dirs.flatMap((s) => {
    const b = (c["bias_ih_l0" + s] as number[]).map((v, i) =>
      v + (c["bias_hh_l0" + s] as number[])[i] - (i >= n && i < 2 * n ? forgetBias : 0)
    );
    return [
      tf.tensor2d(toCols(c["weight_ih_l0" + s] as M, n, order)),
      tf.tensor2d(toCols(c["weight_hh_l0" + s] as M, n, order)),
      tf.tensor1d(vecCols(b, n, order)),
    ];
  });
  const dy = tf.tensor3d(c.dy as number[][][]);
  const f = (x: tfjs.Tensor, ...p: tfjs.Tensor[]) => {
    const ys = dirs.map((_, d) => {
      const [w, wRe, b] = p.slice(3 * d, 3 * d + 3);
      const z = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [B * T, F]), w), b), [B, T, 4 * n]);
      return lstmSequence(tf, {
        x: z as tfjs.Tensor3D,
        wRe: wRe as tfjs.Tensor2D,
        seqLens: lengths,
        reverse: d === 1,
        gateOrder: order as "jifo" | "ijfo",
        forgetBias,
        impl: "fused",
      });
    });
    return ys.length === 1 ? ys[0] : tf.concat(ys, 2);
  };
  const y = f(xIn, ...params);
  close(await y.data(), (c.y as number[][][]).flat(2), `${c.id} ${order} y`);
  const grads = tf.grads((x, ...p) => tf.sum(tf.mul(f(x, ...p), dy)))([xIn, ...params]);
  close(await grads[0].data(), (c.dx as number[][][]).flat(2), `${c.id} ${order} dx`);
  for (const [d, s] of dirs.entries()) {
    const gb = c["grad_bias_ih_l0" + s] as number[];
    close(
      await grads[1 + 3 * d].data(),
      toCols(c["grad_weight_ih_l0" + s] as M, n, order).flat(),
      `${c.id}${s} dW`,
    );
    close(
      await grads[2 + 3 * d].data(),
      toCols(c["grad_weight_hh_l0" + s] as M, n, order).flat(),
      `${c.id}${s} dW_re`,
    );
    close(await grads[3 + 3 * d].data(), vecCols(gb, n, order), `${c.id}${s} db`);
    close(c["grad_bias_hh_l0" + s] as number[], gb, "torch's two bias gradients agree");
  }
  tf.dispose([xIn, dy, y, ...params, ...grads]);
}

for (const backend of ["cpu", "wasm", "webgpu"] as BackendName[]) {
  const register = backend === "webgpu" ? gpuTest : Deno.test;
  for (const order of ["jifo", "ijfo"]) {
    register(
      `fused LSTM matches torch nn.LSTM values and gradients (${order}, ${backend})`,
      async () => {
        for (const c of fx.cases) await check(backend, c, order);
      },
    );
  }
}
