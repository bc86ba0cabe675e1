/**
 * Private: the JavaScript of a pool Worker (`pool.ts`), run from a `blob:` URL so that it needs
 * no file access. It instantiates the programs it is sent on their shared memories, then waits
 * on the control buffer: command 1 runs the current tasks (batches claimed with `Atomics.add`,
 * as the calling thread does), command 2 returns to the message loop to receive a message,
 * command 3 closes the Worker. Every
 * message and every command is acknowledged on the `done` word.
 *
 * @module
 */

import { CTRL_WORDS } from "./_worker_layout.ts";

/**
 * The Worker's source.
 *
 * @example Usage
 * ```ts
 * import { WORKER_SOURCE } from "./_worker_source.ts";
 * import { match } from "node:assert/strict";
 * match(WORKER_SOURCE, /Atomics\.wait/);
 * ```
 */
export const WORKER_SOURCE: string = `
const C = ${JSON.stringify(CTRL_WORDS)};
let ctrl = null;
let seq = 0;
const programs = new Map();
function load(p) {
  const instance = new WebAssembly.Instance(p.module, { env: { memory: p.memory } });
  programs.set(p.id, p.exports.map((name) => instance.exports[name]));
}
function ack() {
  Atomics.add(ctrl, C.done, 1);
  Atomics.notify(ctrl, C.done);
}
function runTasks() {
  const n = Atomics.load(ctrl, C.tasks);
  for (let t = 0; t < n; t++) {
    const w = C.taskBase + t * C.taskWords;
    const fn = programs.get(ctrl[w])[ctrl[w + 1]];
    const units = ctrl[w + 2], batch = ctrl[w + 3];
    for (;;) {
      const b = Atomics.add(ctrl, w + 4, batch);
      if (b >= units) break;
      fn(b, Math.min(units, b + batch));
    }
  }
}
function wait() {
  for (;;) {
    Atomics.wait(ctrl, C.seq, seq);
    const s = Atomics.load(ctrl, C.seq);
    if (s === seq) continue;
    seq = s;
    const cmd = Atomics.load(ctrl, C.cmd);
    if (cmd === 1) {
      try {
        runTasks();
      } catch (e) {
        Atomics.store(ctrl, C.failed, 1);
        console.error("newbob wasm worker:", e);
      }
      ack();
    } else if (cmd === 2) {
      ack();
      return;
    } else if (cmd === 3) {
      self.close();
      return;
    }
  }
}
self.onmessage = (e) => {
  const m = e.data;
  if (m.kind === "init") {
    ctrl = new Int32Array(m.ctrl);
    seq = Atomics.load(ctrl, C.seq);
    for (const p of m.programs) load(p);
  } else if (m.kind === "load") load(m);
  else if (m.kind === "unload") programs.delete(m.id);
  ack();
  wait();
};
`;
