import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { acquireGpu } from "../gpu/device.ts";
import { flatLayout } from "./arena.ts";
import { createArenaTransfer } from "./gpu_arena.ts";
import { createLoopbackGroup } from "./loopback.ts";

gpuTest("gpu arena: gather every tensor in one copy, reduce, scatter back", async () => {
  const { device } = await acquireGpu();
  const sizes = [5, 130, 1, 64];
  const layout = flatLayout(sizes);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  // Two "ranks" in one process, each with its own GPU tensors.
  const ranks = [0, 1].map((r) =>
    sizes.map((n, t) => {
      const b = device.createBuffer({ size: n * 4 + 12, usage }); // larger than the tensor
      device.queue.writeBuffer(b, 0, new Float32Array(n).map((_, i) => r * 100 + t * 10 + i));
      return b;
    })
  );
  const transfers = ranks.map(() => createArenaTransfer(device, layout));
  const flats = await Promise.all(ranks.map((bufs, r) => transfers[r].read(bufs)));
  equal(flats[0].length, layout.length);
  equal(flats[1][layout.offsets[1] + 3], 100 + 10 + 3);
  equal(flats[1][layout.offsets[0] + 5], 0); // padding
  const comms = createLoopbackGroup(2);
  await Promise.all(comms.map((c) => c.allReduce(flats[c.rank], "avg")));
  transfers[1].write(flats[1], ranks[1]);
  const again = await transfers[1].read(ranks[1]);
  sizes.forEach((n, t) => {
    deepEqual(
      [...again.subarray(layout.offsets[t], layout.offsets[t] + n)],
      Array.from({ length: n }, (_, i) => 50 + t * 10 + i),
    );
  });
  throws(() => transfers[0].write(flats[0], ranks[0].slice(1)), /holds 4 tensors/);
  const small = device.createBuffer({ size: 8, usage });
  await rejects(transfers[0].read([small, ...ranks[0].slice(1)]), /buffer 0 has 8 bytes/);
  for (const t of transfers) t.destroy();
  for (const b of [...ranks.flat(), small]) b.destroy();
});
