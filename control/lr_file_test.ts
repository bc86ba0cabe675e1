import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../tests/_gpu.ts";
import { LearningRateFileError } from "./errors.ts";
import { createLearningRateControl } from "./learning_rate_control.ts";
import {
  type EpochRecord,
  formatLearningRateFile,
  parseLearningRateFile,
  type StoredScore,
} from "./lr_file.ts";
import { PyFloat, PyTuple } from "./py_value.ts";
import { Rng } from "../trainer/rng.ts";

Deno.test("parseLearningRateFile: every form RETURNN reads", () => {
  const data = parseLearningRateFile(`{
1: EpochData(learningRate=np.float64(0.0003), error={'dev_score': np.float64(2.5), ':meta:step': 0}),
2: EpochData(learningRate=0.0, error={'dev_score': nan, 'train_score': inf}),
3: EpochData(learning_rate=0.01, error=2.5),
4: EpochData(learningRate=1e-05, error=None, meta={'host': 'a'}),
5: EpochData(learningRate=float('inf'), error={'x': 3, 'y': None}),
}`);
  equal(data.get(1)!.learningRate, 0.0003);
  deepEqual(data.get(1)!.error.get("dev_score"), new PyFloat(2.5, true));
  deepEqual(data.get(1)!.meta, { step: 0 });
  ok(Number.isNaN(data.get(2)!.error.get("dev_score") as number));
  equal(data.get(3)!.error.get("old_format_score"), 2.5);
  deepEqual(data.get(4)!.meta, { host: "a" });
  equal(data.get(4)!.error.size, 0);
  equal(data.get(5)!.error.get("x"), 3n);
  equal(data.get(5)!.error.get("y"), null);
});

Deno.test("parseLearningRateFile: rejects what RETURNN rejects, with line and column", () => {
  const bad = (text: string, line: number, re: RegExp) =>
    throws(() => parseLearningRateFile(text, "lr.txt"), (e: unknown) => {
      ok(e instanceof LearningRateFileError, String(e));
      equal(e.line, line, e.message);
      ok(e.message.startsWith("lr.txt:"), e.message);
      ok(re.test(e.message), e.message);
      return true;
    });
  bad(
    "{\n1: EpochData(learningRate=1, error={}),\n}",
    2,
    /must be a float \(e\.g\. 1\.0\), found the int 1/,
  );
  bad("{\n1: EpochData(error={}),\n}", 2, /must be a float/);
  bad("{\n1: EpochData(learningRate=0.1, foo=1),\n}", 2, /unexpected keyword 'foo'/);
  bad(
    "{\n1: EpochData(learningRate=0.1, learning_rate=0.2),\n}",
    2,
    /unexpected keyword 'learningRate'/,
  );
  bad("{\n'a': EpochData(learningRate=0.1),\n}", 2, /integer epoch number/);
  bad("{\n1: 0.5,\n}", 2, /expected EpochData/);
  bad("[1]", 1, /expected a dict/);
  bad("{1: EpochData(learningRate=0.1, error={'a': 'x'})}", 1, /score 'a' must be a number/);
  bad(
    "{1: EpochData(learningRate=0.1, error={':meta:a': 1}, meta={'b': 2})}",
    1,
    /meta= is given too/,
  );
  bad("{1: EpochData(learningRate=0.1, error=[1])}", 1, /error= must be a dict/);
  bad("{1: EpochData(0.1)}", 1, /keyword arguments only/);
});

Deno.test("formatLearningRateFile: RETURNN's text (sorted, 40-character rule, numpy normalised)", () => {
  const rec = (
    lr: number,
    error: [string, StoredScore][],
    meta: Record<string, unknown> = {},
  ): EpochRecord => ({
    learningRate: lr,
    error: new Map(error),
    meta,
  });
  const text = formatLearningRateFile(
    new Map([
      [10, rec(1e-5, [])],
      [2, rec(0.011000000000000001, [["dev_score", NaN], ["a", -Infinity]])],
      [
        1,
        rec(0.0005, [["train_score", 1.5], ["dev_score", 1.254], ["dev_error", 0.31]], {
          global_train_step: 0,
        }),
      ],
      // 'dev_score': np.float64(2.5) makes the items reach 40 characters in RETURNN's text.
      [3, rec(0.1, [["dev_score", new PyFloat(2.5, true)], ["xyz_a", 1.0]])],
      [4, rec(0.1, [["dev_score", new PyFloat(2.5, true)], ["xyz", 1.0]])],
    ]),
  );
  equal(
    text,
    `{
1: EpochData(learningRate=0.0005, error={
':meta:global_train_step': 0,
'dev_error': 0.31,
'dev_score': 1.254,
'train_score': 1.5,
}),
2: EpochData(learningRate=0.011000000000000001, error={
'a': float('-inf'),
'dev_score': float('nan'),
}),
3: EpochData(learningRate=0.1, error={
'dev_score': 2.5,
'xyz_a': 1.0,
}),
4: EpochData(learningRate=0.1, error={'dev_score': 2.5, 'xyz': 1.0}),
10: EpochData(learningRate=1e-05, error={}),
}
`,
  );
  equal(formatLearningRateFile(new Map()), "{}\n");
  // effective_learning_rate is always a float in RETURNN; other integral meta numbers are ints
  equal(
    formatLearningRateFile(
      new Map([[1, rec(1, [], { effective_learning_rate: 1, epoch_train_time_secs: 12 })]]),
    ),
    "{\n1: EpochData(learningRate=1.0, error={\n':meta:effective_learning_rate': 1.0,\n':meta:epoch_train_time_secs': 12,\n}),\n}\n",
  );
  deepEqual(
    parseLearningRateFile(
      "{1: EpochData(learningRate=1.0, error={':meta:effective_learning_rate': 1.0, ':meta:x': 2.0})}",
    ).get(1)!.meta,
    { effective_learning_rate: 1, x: new PyFloat(2) },
  );
});

/** Uniform numbers in [0, 1) of the trainer's seeded generator (failures reproduce). */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

function randomFloat(r: () => number): number {
  const k = r();
  if (k < 0.05) return NaN;
  if (k < 0.1) return r() < 0.5 ? Infinity : -Infinity;
  if (k < 0.15) return r() < 0.5 ? 0 : -0;
  if (k < 0.3) return Math.round(r() * 1000) / (r() < 0.5 ? 1 : 1000);
  const buf = new DataView(new ArrayBuffer(8));
  buf.setUint32(0, Math.floor(r() * 2 ** 32));
  buf.setUint32(4, Math.floor(r() * 2 ** 32));
  const x = buf.getFloat64(0);
  return Number.isFinite(x) ? x : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
}

function randomString(r: () => number): string {
  const chars = [
    "a",
    "b",
    "_",
    ":",
    "'",
    '"',
    "\\",
    "\n",
    "\t",
    "\x00",
    "\x7f",
    "é",
    "\u2028",
    "\u{1F600}",
    " ",
    "/",
  ];
  let s = "";
  for (let i = Math.floor(r() * 12); i > 0; i--) s += chars[Math.floor(r() * chars.length)];
  return s;
}

function randomMeta(r: () => number, depth: number): unknown {
  const k = r();
  if (k < 0.15) return Math.floor((r() - 0.3) * 1e6);
  if (k < 0.3) return randomFloat(r) + 0.5;
  if (k < 0.4) return new PyFloat(Math.floor(r() * 100));
  if (k < 0.5) return randomString(r);
  if (k < 0.55) return r() < 0.5;
  if (k < 0.6) return null;
  if (k < 0.65) return 12345678901234567890n;
  if (depth > 2) return 1;
  if (k < 0.75) return Array.from({ length: Math.floor(r() * 3) }, () => randomMeta(r, depth + 1));
  if (k < 0.8) {
    // RETURNN writes a 1-tuple with str(), which for a string gives unreadable text: avoid that.
    const items = Array.from({ length: Math.floor(r() * 3) }, () => randomMeta(r, depth + 1));
    return new PyTuple(items.length === 1 && typeof items[0] === "string" ? [1, ...items] : items);
  }
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 3); i > 0; i--) o[randomString(r)] = randomMeta(r, depth + 1);
  return o;
}

function randomData(r: () => number): Map<number, EpochRecord> {
  const data = new Map<number, EpochRecord>();
  for (let n = Math.floor(r() * 6); n > 0; n--) {
    const error = new Map<string, StoredScore>();
    for (let i = Math.floor(r() * 5); i > 0; i--) {
      const k = r();
      const v: StoredScore = k < 0.7
        ? randomFloat(r)
        : k < 0.8
        ? new PyFloat(randomFloat(r), true)
        : k < 0.9
        ? BigInt(Math.floor(r() * 100))
        : null;
      error.set(randomString(r).replaceAll(":", "") + "s", v);
    }
    const meta: Record<string, unknown> = {};
    for (let i = Math.floor(r() * 3); i > 0; i--) meta[randomString(r)] = randomMeta(r, 0);
    data.set(1 + Math.floor(r() * 1000), { learningRate: randomFloat(r), error, meta });
  }
  return data;
}

/** The one normalisation: numpy floats come back as plain floats. */
function denumpy(v: unknown): unknown {
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? new PyFloat(v.value) : v.value;
  if (Array.isArray(v)) return v.map(denumpy);
  if (v instanceof PyTuple) return new PyTuple(v.items.map(denumpy));
  if (v instanceof Map) {
    return new Map([...v].map(([k, x]) => [k, x instanceof PyFloat ? x.value : x]));
  }
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, denumpy(x)]));
  }
  return v;
}

Deno.test("round trip: parse(write(x)) == x for random epoch data", () => {
  const r = rng(7);
  for (let i = 0; i < 500; i++) {
    const data = randomData(r);
    const text = formatLearningRateFile(data);
    const back = parseLearningRateFile(text);
    // Written numpy floats come back plain, so re-writing matches the data without numpy marks.
    const plain = new Map([...data].map(([e, rec]) => [e, {
      learningRate: rec.learningRate,
      error: denumpy(rec.error) as Map<string, StoredScore>,
      meta: denumpy(rec.meta) as Record<string, unknown>,
    }]));
    equal(formatLearningRateFile(back), formatLearningRateFile(plain));
    deepEqual([...back.keys()].sort(), [...data.keys()].sort());
    for (const [epoch, rec] of data) {
      const got = back.get(epoch)!;
      ok(
        Object.is(got.learningRate, rec.learningRate),
        `lr ${got.learningRate} vs ${rec.learningRate}`,
      );
      deepEqual(got.error, denumpy(rec.error));
      deepEqual(got.meta, denumpy(rec.meta));
    }
  }
});

Deno.test("a malformed file: error with line and column, file left untouched", async () => {
  const dir = await tempDir("lrfile-");
  const file = join(dir, "learning_rates");
  const text =
    "{\n1: EpochData(learningRate=0.01, error={'dev_score': 1.0}),\n2: EpochData(learningRate=0.01 error={}),\n}\n";
  await Deno.writeTextFile(file, text);
  await rejects(
    () => createLearningRateControl({ learning_rate_control: "newbob" }, { file }),
    (e: unknown) => {
      ok(e instanceof LearningRateFileError);
      equal(e.line, 3);
      equal(e.column, 32);
      ok(e.message.includes("expected ',' or ')'"), e.message);
      ok(e.message.startsWith(file), e.message);
      return true;
    },
  );
  equal(await Deno.readTextFile(file), text);
  await Deno.remove(dir, { recursive: true });
});
