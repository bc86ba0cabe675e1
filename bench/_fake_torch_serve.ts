/**
 * A stand-in for `torch_bench.py --serve` in `torch_server_test.ts` (run by Deno, no permissions):
 * the same requests and replies, no torch. `--device=missing` answers as Python without torch.
 *
 * @module
 */

const missing = Deno.args.includes("--device=missing");
const decoder = new TextDecoder();
let buf = "";
let prepared = false;
const reply = (x: unknown) =>
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(x) + "\n"));
for await (const chunk of Deno.stdin.readable) {
  buf += decoder.decode(chunk, { stream: true });
  let i;
  while ((i = buf.indexOf("\n")) >= 0) {
    const req = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (missing) reply({ missing: "torch is not importable", cpu: "test cpu" });
    else if (req.op === "hello") {
      reply({ torch: "0.0", device: "cpu", threads: 2, cpu: "test cpu" });
    } else if (req.op === "prepare") {
      prepared = req.optimizer !== "lion";
      reply(prepared ? { steps: 3 } : { note: "no PyTorch case 'lion'" });
    } else if (req.op === "once") {
      reply(prepared ? { seconds: 0.001 } : { error: "no case prepared" });
    } else if (req.op === "free") {
      prepared = false;
      reply({});
    } else if (req.op === "triad") reply({ kernel: "triad (fake)", rates: [1e9, 2e9, 3e9] });
    else reply({ error: `unknown op '${req.op}'` });
  }
}
