/**
 * Fuzzing of the two readers of untrusted text: the learning-rate-file parser
 * (`control/lr_file.ts`, `control/py_literal.ts`) and the JSON config loader
 * (`trainer/config.ts`). Inputs: random text, mutations of valid files, and a fixed list of
 * hostile inputs (deep nesting, huge numbers, unterminated strings, 10 MB lines, prototype keys).
 * Every input must either be accepted or be rejected with the reader's own error class
 * carrying a line and column (syntax) or naming the key (config semantics); nothing may crash,
 * take unbounded time, or be evaluated.
 *
 * Used by `tests/fuzz_test.ts` (a few hundred inputs) and `tests/stress.ts` (many).
 *
 * @module
 */

import { parseLearningRateFile } from "../control/lr_file.ts";
import { LearningRateFileError } from "../control/errors.ts";
import { parseConfigText, resolveConfig } from "../trainer/config.ts";
import { ConfigError } from "../trainer/config_error.ts";
import { rng } from "./_crash.ts";

/** Valid learning-rate files (every form the parser reads). */
export const LR_SEEDS: readonly string[] = [
  "{\n1: EpochData(learningRate=0.01, error={\n'dev_error': 0.5,\n'dev_score': 1.25,\n" +
  "':meta:global_train_step': 12,\n}),\n2: EpochData(learningRate=0.007, error={'dev_score': " +
  "1.5e-3, 'train_score': nan}),\n}\n",
  "{\n1: EpochData(learningRate=np.float64(0.0003), error={'dev_score': np.float64(2.5), " +
  "':meta:step': 0}),\n2: EpochData(learningRate=0.0, error={'dev_score': nan, 'train_score': " +
  "inf}),\n3: EpochData(learning_rate=0.01, error=2.5),\n4: EpochData(learningRate=1e-05, " +
  "error=None, meta={'host': 'a', 'l': [1, (2, 3)], 'd': {1: 'x'}}),\n5: EpochData(" +
  "learningRate=float('inf'), error={'x': 3, 'y': None}),\n}\n",
  "{1: EpochData(learningRate=0.1, error={'a\\'b': -0x1F, \"c\": +1_000.5e-2}), # comment\n" +
  " 2: EpochData(learningRate=r'x' if False else 1.0)}",
  "{}",
];

/** Valid JSON configs. */
export const CONFIG_SEEDS: readonly string[] = [
  JSON.stringify(
    {
      model: { type: "mlp", hidden: [8, 4], activation: "tanh" },
      num_epochs: 3,
      batch_size: 64,
      learning_rate: 0.01,
      learning_rate_control: "newbob_multi_epoch",
      newbob_multi_num_epochs: 3,
      optimizer: { class: "adam", betas: [0.9, 0.98] },
      gradient_clip_global_norm: 1,
      num_allowed_consec_invalid_gradient_steps: 2,
      dynamic_learning_rate: { interval: 10, decay: 0.99 },
      backend: "cpu",
    },
    null,
    2,
  ),
  JSON.stringify({ learning_rates: [0.1, 0.2], learning_rate_control: "constant" }),
  JSON.stringify({ data: { name: "digits", dev_fraction: 0.2 }, output_dir: "out/x" }),
  "{}",
];

const TOKENS = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  ",",
  ":",
  "=",
  ".",
  "-",
  "+",
  "'",
  '"',
  "'''",
  '"""',
  "\\",
  "\n",
  " ",
  "#",
  "0",
  "1e308",
  "1e999",
  "-0",
  "0x",
  "nan",
  "inf",
  "None",
  "True",
  "np.float64(",
  "float(",
  "EpochData(",
  "learningRate=",
  "error=",
  "meta=",
  "':meta:",
  "__proto__",
  "constructor",
  "toString",
  "\u0000",
  "\u2028",
  "\ud800",
  "é",
  "null",
  "true",
  "false",
  '"__proto__":',
  '"constructor":',
  '"class":',
  '"optimizer":',
  '"learning_rate":',
  '"dynamic_learning_rate":',
  '"model":',
  "1e-400",
  "99999999999999999999",
  "NaN",
  "Infinity",
  '"function () { return 1 }"',
  '"() => 0"',
  "\"eval('1')\"",
];

/** One random edit of `text`. */
export function mutate(text: string, random: () => number): string {
  const pos = Math.floor(random() * (text.length + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  switch (Math.floor(random() * 7)) {
    case 0: // delete a span
      return text.slice(0, pos) + text.slice(pos + 1 + Math.floor(random() * 8));
    case 1: // insert a token
      return text.slice(0, pos) + pick(TOKENS) + text.slice(pos);
    case 2: // replace a character with a random code unit
      return text.slice(0, pos) + String.fromCharCode(Math.floor(random() * 0x10000)) +
        text.slice(pos + 1);
    case 3: // truncate
      return text.slice(0, pos);
    case 4: { // duplicate a span
      const end = Math.min(text.length, pos + Math.floor(random() * 40));
      return text.slice(0, end) + text.slice(pos, end) + text.slice(end);
    }
    case 5: // flip a bit
      return pos >= text.length ? text : text.slice(0, pos) +
        String.fromCharCode(text.charCodeAt(pos) ^ (1 << Math.floor(random() * 7))) +
        text.slice(pos + 1);
    default: // random token soup
      return Array.from({ length: 1 + Math.floor(random() * 30) }, () => pick(TOKENS)).join("");
  }
}

const MB10 = 10 * 1024 * 1024;

/** Hostile learning-rate-file texts (some of them 10 MB). */
export function hostileLrInputs(big: boolean): [string, string][] {
  const n = big ? MB10 : 200_000;
  return [
    ["deep [", "[".repeat(n)],
    ["deep {1:", "{1: ".repeat(n / 4)],
    ["deep (", "(".repeat(n)],
    ["deep EpochData", "{1: EpochData(learningRate=0.1, error={'a': ".repeat(n / 50)],
    [
      "deep valid nesting",
      "{1: EpochData(learningRate=0.1, meta={'a': " + "[".repeat(99) +
      "]".repeat(99) + "})}",
    ],
    ["many signs", "{1: EpochData(learningRate=" + "-".repeat(n) + "1)}"],
    ["huge int", "{1: EpochData(learningRate=0.1, error={'a': " + "9".repeat(n) + "})}"],
    ["huge int key", "{" + "9".repeat(5000) + ": EpochData(learningRate=0.1)}"],
    ["huge hex", "{1: EpochData(learningRate=0x" + "f".repeat(n) + ")}"],
    ["huge float", "{1: EpochData(learningRate=" + "1".repeat(n) + ".5e99999)}"],
    ["huge exponent", "{1: EpochData(learningRate=1e" + "9".repeat(n) + ")}"],
    ["float of huge int", "{1: EpochData(learningRate=float(" + "9".repeat(4000) + "))}"],
    ["unterminated '", "{1: EpochData(learningRate=0.1, error={'" + "a".repeat(n)],
    ["unterminated '''", "{1: '''" + "a\n".repeat(n / 2)],
    ["unterminated escape", "{1: 'abc\\"],
    ["10 MB string", "{1: EpochData(learningRate=0.1, error={'" + "a".repeat(n) + "': 1.0})}"],
    [
      "10 MB escapes",
      "{1: EpochData(learningRate=0.1, error={'" + "\\x41".repeat(n / 4) +
      "': 1.0})}",
    ],
    ["10 MB comment", "#" + "x".repeat(n) + "\n{}"],
    ["10 MB spaces", " ".repeat(n) + "{}"],
    ["10 MB newlines then error", "\n".repeat(n) + "{1: ?}"],
    ["10 MB dict", "{" + "1: EpochData(learningRate=0.1), ".repeat(n / 32) + "}"],
    ["10 MB digits line", "9".repeat(n)],
    ["10 MB name", "a".repeat(n)],
    [
      "many epochs",
      "{" +
      Array.from(
        { length: big ? 200_000 : 5_000 },
        (_, i) => `${i}: EpochData(learningRate=0.1, error={'dev_score': ${i}.5})`,
      ).join(", ") +
      "}",
    ],
    ["NaN keys", "{1: EpochData(learningRate=0.1, meta={" + "nan: 1, ".repeat(n / 8) + "})}"],
    ["code", "{1: EpochData(learningRate=__import__('os').system('touch /tmp/pwned'))}"],
    ["lambda", "{1: EpochData(learningRate=(lambda: 0.1)())}"],
    [
      "prototype keys",
      "{1: EpochData(learningRate=0.1, error={'__proto__': 1.0, " +
      "'constructor': 2.0}, meta={'__proto__': {'polluted': 1}})}",
    ],
    ["lone surrogate", "{1: EpochData(learningRate=0.1, error={'\ud800': 1.0})}"],
    ["nul", "{1: EpochData(learningRate=0.1\u0000)}"],
    ["empty", ""],
  ];
}

/** Hostile JSON config texts (some of them 10 MB). */
export function hostileConfigInputs(big: boolean): [string, string][] {
  const n = big ? MB10 : 200_000;
  return [
    ["deep [", "[".repeat(n)],
    ["deep {", '{"a":'.repeat(n / 5)],
    [
      "deep valid nesting",
      '{"model": {"type": "mlp", "hidden": ' + "[".repeat(n / 10) +
      "]".repeat(n / 10) + "}}",
    ],
    [
      "deep valid optimizer",
      '{"optimizer": {"class": "adam", "betas": ' + "[".repeat(n / 10) +
      "]".repeat(n / 10) + "}}",
    ],
    ["deep valid meta", '{"learning_rates": ' + "[".repeat(n / 10) + "]".repeat(n / 10) + "}"],
    ["huge number", '{"learning_rate": ' + "9".repeat(n) + "}"],
    ["huge exponent", '{"learning_rate": 1e999999}'],
    ["tiny exponent", '{"learning_rate": 1e-999999}'],
    ["huge epochs", '{"num_epochs": 1e308}'],
    ["unterminated string", '{"learning_rate_control": "' + "a".repeat(n)],
    ["10 MB key", '{"' + "a".repeat(n) + '": 1}'],
    ["10 MB value", '{"learning_rate_control": "' + "a".repeat(n) + '"}'],
    ["10 MB spaces", " ".repeat(n) + "{}"],
    ["10 MB newlines then error", "\n".repeat(n) + "{,}"],
    ["many keys", "{" + Array.from({ length: n / 20 }, (_, i) => `"k${i}": ${i}`).join(",") + "}"],
    ["__proto__", '{"__proto__": {"polluted": true, "learning_rate": 5}, "num_epochs": 2}'],
    ["constructor", '{"constructor": {"prototype": {"polluted": true}}}'],
    ["optimizer class toString", '{"optimizer": {"class": "toString"}}'],
    ["optimizer class constructor", '{"optimizer": {"class": "constructor"}}'],
    ["optimizer class __proto__", '{"optimizer": {"class": "__proto__"}}'],
    ["control hasOwnProperty", '{"learning_rate_control": "hasOwnProperty"}'],
    ["data constructor", '{"data": "constructor"}'],
    ["model type constructor", '{"model": {"type": "constructor"}}'],
    ["function string", '{"dynamic_learning_rate": "function (a) { return 1 }"}'],
    ["arrow string", '{"dynamic_learning_rate": "() => 0.1"}'],
    ["learning_rates code", '{"learning_rates": "[0.1] + __import__(\'os\').getcwd()"}'],
    ["eval string", '{"learning_rate": "eval(\'1\')"}'],
    ["lone surrogate", '{"\\ud800": 1}'],
    ["nul", '{"a": 1}\u0000'],
    ["empty", ""],
    ["bom", "\ufeff{}"],
  ];
}

/** Counts of a fuzz run. */
export interface FuzzStats {
  /** Inputs tried. */
  tried: number;
  /** Inputs accepted. */
  accepted: number;
  /** Inputs rejected with a proper error. */
  rejected: number;
  /** Slowest input in milliseconds. */
  maxMs: number;
  /** Largest heap growth over the run, in MB. */
  maxHeapMb: number;
  /** Crashes, errors without position, slow inputs, functions reached: one line each. */
  problems: string[];
}

/** Time allowed for one input: generous (a shared, loaded machine), but far from a hang. */
function budgetMs(length: number): number {
  return 3000 + length / 1000; // 3 s + 1 s per MB
}

function short(s: string): string {
  const t = JSON.stringify(s.length > 80 ? s.slice(0, 80) + "..." : s);
  return `${t} (${s.length} chars)`;
}

function run(
  stats: FuzzStats,
  name: string,
  text: string,
  check: (text: string) => string | undefined,
): void {
  stats.tried++;
  const heap0 = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  let problem: string | undefined;
  try {
    problem = check(text);
    if (problem === undefined) stats.accepted++;
  } catch (e) {
    problem = `crashed with ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 200)}`;
  }
  if (problem === "rejected") {
    stats.rejected++;
    problem = undefined;
  }
  const ms = performance.now() - t0;
  stats.maxMs = Math.max(stats.maxMs, ms);
  stats.maxHeapMb = Math.max(stats.maxHeapMb, (Deno.memoryUsage().heapUsed - heap0) / 2 ** 20);
  if (ms > budgetMs(text.length)) problem ??= `took ${ms.toFixed(0)} ms`;
  if (problem !== undefined) stats.problems.push(`${name}: ${short(text)}: ${problem}`);
}

/** Check one learning-rate-file text; returns a problem, `"rejected"`, or undefined. */
function checkLrText(text: string): string | undefined {
  try {
    parseLearningRateFile(text, "fuzz");
    return undefined;
  } catch (e) {
    if (!(e instanceof LearningRateFileError)) throw e;
    const ok = Number.isInteger(e.line) && e.line >= 1 && Number.isInteger(e.column) &&
      e.column >= 1 && e.message.startsWith(`fuzz:${e.line}:${e.column}: `) &&
      e.message.length < 2000;
    return ok ? "rejected" : `error without a proper position: ${e.message.slice(0, 200)}`;
  }
}

/** Any function reachable from `v` (iterative, cycle-safe): its path, else undefined. */
export function findFunction(v: unknown): string | undefined {
  const seen = new Set<unknown>();
  const stack: [unknown, string][] = [[v, "$"]];
  while (stack.length > 0) {
    const [x, path] = stack.pop()!;
    if (typeof x === "function") return path;
    if (x === null || typeof x !== "object" || seen.has(x)) continue;
    seen.add(x);
    for (const k of Reflect.ownKeys(x)) {
      const d = Object.getOwnPropertyDescriptor(x, k)!;
      if (d.get || d.set) return `${path}.${String(k)} (accessor)`;
      stack.push([d.value, `${path}.${String(k)}`]);
    }
  }
  return undefined;
}

/** Check one JSON config text; returns a problem, `"rejected"`, or undefined. */
function checkConfigText(text: string): string | undefined {
  let raw: unknown;
  try {
    raw = parseConfigText(text, "fuzz.json");
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return /line \d+ column \d+/.test(e.message) && e.message.length < 2000
      ? "rejected"
      : `syntax error without line and column: ${e.message.slice(0, 200)}`;
  }
  const fnInRaw = findFunction(raw);
  if (fnInRaw) return `a function was reached in the parsed config at ${fnInRaw}`;
  try {
    const settings = resolveConfig(raw, { source: "fuzz.json" });
    const fn = findFunction(settings);
    if (fn) return `a function was reached in the settings at ${fn}`;
    return undefined;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message.length < 20_000 ? "rejected" : "the error message is huge";
  } finally {
    if (({} as Record<string, unknown>).polluted !== undefined) {
      // deno-lint-ignore no-unsafe-finally
      throw new Error("Object.prototype was polluted");
    }
  }
}

/** Counters at zero. */
function emptyStats(): FuzzStats {
  return { tried: 0, accepted: 0, rejected: 0, maxMs: 0, maxHeapMb: 0, problems: [] };
}

/** The hostile inputs, then `count` mutations of the seed texts, each through `check`. */
function fuzzTexts(
  hostile: Iterable<[string, string]>,
  seeds: readonly string[],
  check: (text: string) => string | undefined,
  count: number,
  seed: number,
): FuzzStats {
  const stats = emptyStats();
  for (const [name, text] of hostile) run(stats, name, text, check);
  const random = rng(seed);
  for (let i = 0; i < count; i++) {
    let text = seeds[i % seeds.length];
    const edits = 1 + Math.floor(random() * 6);
    for (let k = 0; k < edits; k++) text = mutate(text, random);
    run(stats, `mutation ${i}`, text, check);
  }
  return stats;
}

/**
 * Fuzz the learning-rate-file parser.
 *
 * @param count Random and mutated inputs (the hostile list comes on top).
 * @param seed Random seed.
 * @param big Whether the hostile inputs are 10 MB (else 200 KB).
 * @returns The counts.
 */
export function fuzzLrParser(count: number, seed: number, big: boolean): FuzzStats {
  return fuzzTexts(hostileLrInputs(big), LR_SEEDS, checkLrText, count, seed);
}

/**
 * Fuzz the JSON config loader (parse, validate, translate).
 *
 * @param count Random and mutated inputs (the hostile list comes on top).
 * @param seed Random seed.
 * @param big Whether the hostile inputs are 10 MB (else 200 KB).
 * @returns The counts.
 */
export function fuzzConfigLoader(count: number, seed: number, big: boolean): FuzzStats {
  return fuzzTexts(hostileConfigInputs(big), CONFIG_SEEDS, checkConfigText, count, seed);
}

/**
 * Fuzz the checkpoint decoder with mutated checkpoints (bit flips, truncation, edited headers):
 * every input decodes or raises a `CheckpointError`.
 *
 * @param valid A valid checkpoint file.
 * @param count Mutations to try.
 * @param seed Random seed.
 * @param decode The decoder (`decodeCheckpoint`).
 * @param isCheckpointError Whether an error is the decoder's own.
 * @returns The counts.
 */
export function fuzzCheckpoint(
  valid: Uint8Array,
  count: number,
  seed: number,
  decode: (bytes: Uint8Array, path: string) => unknown,
  isCheckpointError: (e: unknown) => boolean,
): FuzzStats {
  const stats = emptyStats();
  const random = rng(seed);
  const headerLen = new DataView(valid.buffer, valid.byteOffset).getUint32(8, true);
  const header = new TextDecoder().decode(valid.subarray(12, 12 + headerLen));
  const withHeader = (text: string) => {
    const h = new TextEncoder().encode(text);
    const out = new Uint8Array(12 + h.length + valid.length - 12 - headerLen);
    out.set(valid.subarray(0, 8));
    new DataView(out.buffer).setUint32(8, h.length, true);
    out.set(h, 12);
    out.set(valid.subarray(12 + headerLen), 12 + h.length);
    return out;
  };
  for (let i = 0; i < count; i++) {
    let bytes: Uint8Array;
    switch (i % 4) {
      case 0: // bit flips
        bytes = valid.slice();
        for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
          bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
        }
        break;
      case 1: // truncation
        bytes = valid.slice(0, Math.floor(random() * valid.length));
        break;
      case 2: { // an edited header (still the right length field)
        const edits: [RegExp, string][] = [
          [/"arrays":\[/, '"arrays":null,"x":['],
          [/"length":\d+/, '"length":-1'],
          [/"length":\d+/, '"length":1e300'],
          [/"length":\d+/, '"length":"3"'],
          [/"paramNames":\[/, '"paramNames":{"a":['],
          [/"version":\d+/, '"version":"1"'],
          [/"name":"param\/w"/, '"name":"optimizer/__proto__"'],
          [/"name":"param\/w"/, '"name":7'],
          [/"epoch":\d+/, '"epoch":-5'],
          [/^\{/, "["],
        ];
        const [re, to] = edits[Math.floor(random() * (edits.length + 3))] ?? [/$^/, ""];
        bytes = withHeader(re.source === "$^" ? mutate(header, random) : header.replace(re, to));
        break;
      }
      default: { // a huge header length
        bytes = valid.slice();
        new DataView(bytes.buffer).setUint32(8, Math.floor(random() * 2 ** 32), true);
      }
    }
    stats.tried++;
    const t0 = performance.now();
    try {
      decode(bytes, "fuzz.nbck");
      stats.accepted++;
    } catch (e) {
      if (isCheckpointError(e)) stats.rejected++;
      else {
        stats.problems.push(
          `mutation ${i} (kind ${i % 4}): crashed with ${(e as Error)?.name}: ${
            String((e as Error)?.message).slice(0, 200)
          }`,
        );
      }
    }
    stats.maxMs = Math.max(stats.maxMs, performance.now() - t0);
  }
  return stats;
}
