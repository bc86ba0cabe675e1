import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import {
  type CheckpointData,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { tempDir } from "../tests/_gpu.ts";

const data: CheckpointData = {
  epoch: 3,
  globalTrainStep: 135,
  paramNames: ["dense_0/kernel", "dense_0/bias"],
  params: [new Float32Array([1.5, -2, 3e-8]), new Float32Array([0])],
  optimizerArrays: {
    "0/exp_avg": new Float32Array([0.25, 0.5, 1]),
    "1/exp_avg": new Float32Array(1),
  },
  optimizerMeta: { class: "adam", groups: [{ host: { step: 135 } }] },
  rng: { seed: 42 },
  fingerprint: { seed: 42 },
  history: [{ epoch: 1 }],
};

Deno.test("checkpoint: round trip keeps every bit", async () => {
  const dir = await tempDir("ckpt-");
  const path = `${dir}/c.nbck`;
  await saveCheckpoint(path, data);
  const back = await loadCheckpoint(path);
  deepEqual(back, data);
  // No temporary file is left behind.
  deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["c.nbck"]);
  equal(await loadCheckpoint(`${dir}/missing.nbck`), undefined);
});

Deno.test("checkpoint: damaged files are rejected with the file name and a fix", () => {
  const bytes = encodeCheckpoint(data);
  const e = throws(() => decodeCheckpoint(new Uint8Array(10), "x.nbck"), CheckpointError);
  void e;
  throws(
    () => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), "x.nbck"),
    (err: Error) => err.message.includes("'x.nbck'") && err.message.includes("truncated"),
  );
  const flipped = bytes.slice();
  flipped[flipped.length - 2] ^= 1;
  throws(
    () => decodeCheckpoint(flipped, "x.nbck"),
    (err: Error) => err.message.includes("checksum") && err.message.includes("--output-dir"),
  );
  const newer = bytes.slice();
  const at = new TextDecoder().decode(newer.subarray(0, 400)).indexOf('"version":1');
  newer[at + '"version":'.length] = "9".charCodeAt(0);
  throws(
    () => decodeCheckpoint(newer, "x.nbck"),
    (err: Error) => err.message.includes("update newbob"),
  );
});

Deno.test("checkpoint: an interrupted write leaves the old checkpoint intact", async () => {
  const dir = await tempDir("ckpt-atomic-");
  const path = `${dir}/c.nbck`;
  await saveCheckpoint(path, data);
  // A crash mid-write leaves only a partial `.tmp` beside the real file.
  await Deno.writeFile(`${path}.tmp`, encodeCheckpoint(data).subarray(0, 20));
  deepEqual(await loadCheckpoint(path), data);
  await saveCheckpoint(path, { ...data, epoch: 4 });
  equal((await loadCheckpoint(path))!.epoch, 4);
  ok(!(await Deno.stat(`${path}.tmp`).then(() => true, () => false)));
  await rejects(Promise.reject(new CheckpointError(path, "x")), CheckpointError);
});

Deno.test("checkpoint: a forged header (negative lengths, wrong types) is rejected", () => {
  const forge = (header: Record<string, unknown>) => {
    const h = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(12 + h.length);
    out.set(new TextEncoder().encode("NEWBOBCK"));
    new DataView(out.buffer).setUint32(8, h.length, true);
    out.set(h, 12);
    return out;
  };
  const base = {
    format: "newbob-checkpoint",
    version: 1,
    epoch: 1,
    globalTrainStep: 1,
    paramNames: ["w"],
    arrays: [{ name: "param/w", length: -1 }, { name: "param/v", length: 1 }],
    checksum: "0",
  };
  throws(() => decodeCheckpoint(forge(base), "f.nbck"), /malformed/);
  throws(() => decodeCheckpoint(forge({ ...base, arrays: [], epoch: "1" }), "f.nbck"), /malformed/);
});
