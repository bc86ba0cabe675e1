// Layers against PyTorch 1.13 (tests/fixtures/torch_layers/gen_layers.py): nn.LSTM (gate
// order and biases mapped to RETURNN's layout, one direction and bidirectional with padding),
// conv1d with TensorFlow's same/valid padding, strides and dilation, and
// nn.MultiheadAttention with key padding and causal masks.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { buildNetwork, type Network } from "../network.ts";
import { externDataFromBatch } from "../extern_data.ts";
import { convOutputLength } from "./conv.ts";

const fx = JSON.parse(await Deno.readTextFile("tests/fixtures/torch_layers/layers.json"));
const { tf } = await loadTfjs("cpu");

type M = number[][];
const T = (m: M): M => m[0].map((_, j) => m.map((r) => r[j]));
/** torch's [i, f, g, o] row blocks -> RETURNN's [g(j), i, f, o] column blocks. */
function toReturnn(rows: M, n: number): M {
  const block = (k: number) => rows.slice(k * n, (k + 1) * n);
  return T([...block(2), ...block(0), ...block(1), ...block(3)]);
}
const vecToReturnn = (v: number[], n: number) => toReturnn(v.map((x) => [x]), n)[0];

function run(net: Network, x: number[][][], lengths: number[]): number[][][] {
  const B = x.length, Tn = x[0].length, F = x[0][0].length;
  const data = externDataFromBatch(tf, {
    data: {
      data: new Float32Array(x.flat(2)),
      shape: [B, Tn, F],
      seqLens: new Int32Array(lengths),
    },
  });
  const y = net.forward(data, { train: false }).get("output")!.values.arraySync() as number[][][];
  return y;
}

function close(
  got: number[][][],
  want: number[][][],
  lengths: number[],
  tol: number,
  what: string,
) {
  let worst = 0;
  want.forEach((seq, b) =>
    seq.forEach((frame, t) =>
      frame.forEach((v, f) => {
        const g = got[b][t][f];
        const e = t < lengths[b] ? v : 0; // our padded frames are zero
        worst = Math.max(worst, Math.abs(g - e));
      })
    )
  );
  assert.ok(worst <= tol, `${what}: max error ${worst} > ${tol}`);
}

const param = (net: Network, name: string) => net.params.find((p) => p.name === name)!.variable;

for (const c of fx.lstm) {
  const F = c.x[0][0].length, n = c.n;
  const set = (net: Network, layer: string, s: string) => {
    param(net, `${layer}/rec/W`).assign(tf.tensor2d(toReturnn(c["w_ih" + s], n)));
    param(net, `${layer}/rec/W_re`).assign(tf.tensor2d(toReturnn(c["w_hh" + s], n)));
    const b = c["b_ih" + s].map((v: number, i: number) => v + c["b_hh" + s][i]);
    param(net, `${layer}/rec/b`).assign(tf.tensor1d(vecToReturnn(b, n)));
  };
  for (const unit of ["nativelstm", "nativelstm2", "lstm"]) {
    Deno.test(`rec ${unit} matches torch nn.LSTM: ${c.id}`, () => {
      const ext = { data: { dim: F, sparse: false } };
      const bi = "w_ih_reverse" in c;
      const net = buildNetwork(
        tf,
        bi
          ? {
            fw: { class: "rec", unit, n_out: n },
            bw: { class: "rec", unit, n_out: n, direction: -1 },
            output: { class: "copy", from: ["fw", "bw"] },
          }
          : { output: { class: "rec", unit, n_out: n } },
        { externData: ext },
      );
      if (bi) {
        set(net, "fw", "");
        set(net, "bw", "_reverse");
      } else set(net, "output", "");
      close(run(net, c.x, c.lengths), c.y, c.lengths, 2e-6, c.id);
      net.dispose();
    });
  }
  Deno.test(`rec standardlstm (TF LSTMCell layout, forget_bias 1) matches torch: ${c.id}`, () => {
    if ("w_ih_reverse" in c) return;
    const net = buildNetwork(tf, { output: { class: "rec", unit: "standardlstm", n_out: n } }, {
      externData: { data: { dim: F, sparse: false } },
    });
    // TF order [i, j, f, o] from torch's [i, f, g, o]; TF adds forget_bias 1 to f.
    const tfOrder = (rows: M) =>
      T([
        ...rows.slice(0, n),
        ...rows.slice(2 * n, 3 * n),
        ...rows.slice(n, 2 * n),
        ...rows.slice(3 * n),
      ]);
    const kernel = [...tfOrder(c.w_ih), ...tfOrder(c.w_hh)];
    const b = c.b_ih.map((v: number, i: number) => v + c.b_hh[i] - (i >= n && i < 2 * n ? 1 : 0));
    param(net, "output/rec/lstm_cell/kernel").assign(tf.tensor2d(kernel));
    param(net, "output/rec/lstm_cell/bias").assign(
      tf.tensor1d(tfOrder(b.map((v: number) => [v]))[0]),
    );
    close(run(net, c.x, c.lengths), c.y, c.lengths, 2e-6, c.id);
    net.dispose();
  });
}

for (const c of fx.conv) {
  Deno.test(`conv matches torch conv1d: ${c.id}`, () => {
    const F = c.x[0][0].length, n = c.w.length;
    const net = buildNetwork(tf, {
      output: {
        class: "conv",
        filter_size: [c.filter_size],
        padding: c.padding,
        strides: c.strides,
        dilation_rate: c.dilation_rate,
        n_out: n,
      },
    }, { externData: { data: { dim: F, sparse: false } } });
    const w = c.w as number[][][]; // [out, in, k]
    const ours = Array.from(
      { length: c.filter_size },
      (_, j) => w[0].map((_, ci) => w.map((o) => o[ci][j])),
    );
    param(net, "output/W").assign(tf.tensor3d(ours));
    param(net, "output/bias").assign(tf.tensor1d(c.b));
    const got = run(net, c.x, c.lengths);
    assert.equal(got[0].length, c.y[0].length, "output frames");
    const outLens = c.lengths.map((L: number) =>
      convOutputLength(L, c.filter_size, c.strides, c.dilation_rate, c.padding)
    );
    close(got, c.y, outLens, 1e-5, c.id);
    net.dispose();
  });
}

for (const c of fx.attention) {
  Deno.test(`self_attention matches torch nn.MultiheadAttention with masks: ${c.id}`, () => {
    const E = c.x[0][0].length, H = c.num_heads, d = E / H;
    const net = buildNetwork(tf, {
      output: {
        class: "self_attention",
        num_heads: H,
        total_key_dim: E,
        n_out: E,
        attention_left_only: c.causal,
      },
    }, { externData: { data: { dim: E, sparse: false } } });
    const w = c.in_proj_weight as M; // [3E, E]: q rows, k rows, v rows
    const qkv: M = Array.from({ length: E }, () => new Array(3 * E).fill(0));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < d; i++) {
        for (let f = 0; f < E; f++) {
          qkv[f][h * 3 * d + i] = w[h * d + i][f];
          qkv[f][h * 3 * d + d + i] = w[E + h * d + i][f];
          qkv[f][h * 3 * d + 2 * d + i] = w[2 * E + h * d + i][f];
        }
      }
    }
    param(net, "output/QKV").assign(tf.tensor2d(qkv));
    close(run(net, c.x, c.lengths), c.y, c.lengths, 1e-5, c.id);
    net.dispose();
  });
}
