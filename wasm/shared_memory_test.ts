import { deepEqual, equal, throws } from "node:assert/strict";
import { createMemory, MAX_MEMORY_BYTES, MemoryPlanner, PAGE_BYTES } from "./shared_memory.ts";

Deno.test("createMemory: whole pages, fixed size, shared or not, at most 4 GiB", () => {
  const m = createMemory(PAGE_BYTES + 1, true);
  equal(m.buffer.byteLength, 2 * PAGE_BYTES);
  equal(m.buffer instanceof SharedArrayBuffer, true);
  equal(createMemory(1, false).buffer instanceof SharedArrayBuffer, false);
  throws(() => createMemory(MAX_MEMORY_BYTES + 1, true), /limit is 4294967296/);
});

Deno.test("MemoryPlanner: blocks go to the next memory when they do not fit", () => {
  const p = new MemoryPlanner(4096);
  deepEqual(p.reserve(1000), { memory: 0, offset: 0 });
  deepEqual(p.reserve(3000), { memory: 0, offset: 1024 });
  deepEqual(p.reserve(100), { memory: 1, offset: 0 });
  deepEqual(p.sizes, [4032, 128]);
  throws(() => p.reserve(5000), /at most 4096/);
  throws(() => new MemoryPlanner(2 ** 33), /size limit/);
  equal(p.create(false).length, 2);
});
