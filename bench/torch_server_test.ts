import assert from "node:assert/strict";
import { TorchServer } from "./torch_server.ts";

const fake = new URL("./_fake_torch_serve.ts", import.meta.url).pathname;
const start = (device = "cpu") =>
  TorchServer.start({ python: Deno.execPath(), script: fake, device });

Deno.test("TorchServer: prepared cases take turns (once, free), notes and the triad", async () => {
  const t = await start();
  if (!(t instanceof TorchServer)) throw new Error(`not started: ${t.skipped}`);
  try {
    assert.equal(t.impl, "torch cpu");
    assert.equal(t.note, "PyTorch 0.0 on cpu, 2 threads, malloc tuned");
    assert.equal(t.cpu, "test cpu");
    const p = await t.prepare("adam", "1M", [10, 20], 4);
    if (!("once" in p)) throw new Error("expected a prepared case");
    assert.deepEqual([p.impl, p.optimizer, p.shape, p.work, p.steps, p.reps], [
      "torch cpu",
      "adam",
      "1M",
      90,
      3,
      4,
    ]);
    assert.equal(await p.once(), 0.001); // the server's own clock
    assert.equal(await p.once(), 0.001);
    p.dispose();
    // After free, a repetition is refused with the server's words.
    await assert.rejects(() => t.request({ op: "once" }), /no case prepared/);
    const lion = await t.prepare("lion", "1M", [10], 4);
    assert.deepEqual(lion, {
      optimizer: "lion",
      shape: "1M",
      impl: "torch cpu",
      rate: null,
      note: "no PyTorch case 'lion'",
    });
    const tri = await t.triad(3);
    assert.equal(tri.where, "cpu (torch cpu)");
    assert.equal(tri.bytesPerSecond.median, 2e9);
  } finally {
    await t.close();
  }
});

Deno.test("TorchServer: without torch it says why and times nothing", async () => {
  const t = await start("missing");
  assert.ok(!(t instanceof TorchServer));
  assert.deepEqual(t, { skipped: "PyTorch skipped: torch is not importable", cpu: "test cpu" });
});

Deno.test("TorchServer: a Python that cannot start is a note, not a crash", async () => {
  const t = await TorchServer.start({ python: "/nonexistent/python3" });
  assert.ok(!(t instanceof TorchServer));
  assert.match(t.skipped, /^PyTorch skipped: cannot run \/nonexistent\/python3/);
});
