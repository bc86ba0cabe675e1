import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { LearningRateFileError } from "./errors.ts";
import { parsePyFloatString, parsePyLiteral } from "./py_literal.ts";
import { parseLearningRateFile } from "./lr_file.ts";
import { type PyDict, PyFloat, PyTuple } from "./py_value.ts";
import { Rng } from "../trainer/rng.ts";

function fileError(fn: () => unknown, line?: number, column?: number, text?: RegExp): void {
  throws(fn, (e: unknown) => {
    ok(e instanceof LearningRateFileError, `expected LearningRateFileError, got ${e}`);
    if (line !== undefined) equal(e.line, line, e.message);
    if (column !== undefined) equal(e.column, column, e.message);
    if (text) ok(text.test(e.message), e.message);
    return true;
  });
}

Deno.test("parsePyLiteral: scalars", () => {
  equal(parsePyLiteral("1"), 1n);
  equal(parsePyLiteral("-1_000"), -1000n);
  equal(parsePyLiteral("0x1F"), 31n);
  equal(parsePyLiteral("0o17"), 15n);
  equal(parsePyLiteral("0b101"), 5n);
  equal(parsePyLiteral("000"), 0n);
  equal(parsePyLiteral("1.5"), 1.5);
  equal(parsePyLiteral(".5"), 0.5);
  equal(parsePyLiteral("5."), 5);
  equal(parsePyLiteral("1e-05"), 1e-5);
  equal(parsePyLiteral("1E+16"), 1e16);
  equal(parsePyLiteral("1e999"), Infinity);
  equal(parsePyLiteral("--1.5"), 1.5);
  ok(Object.is(parsePyLiteral("-0.0"), -0));
  equal(parsePyLiteral("None"), null);
  equal(parsePyLiteral("True"), true);
  equal(parsePyLiteral("False"), false);
  equal(parsePyLiteral("-True"), -1n);
  ok(Number.isNaN(parsePyLiteral("nan")));
  equal(parsePyLiteral("-inf"), -Infinity);
  ok(Number.isNaN(parsePyLiteral("float('nan')")));
  equal(parsePyLiteral('float("-inf")'), -Infinity);
  equal(parsePyLiteral("float('Infinity')"), Infinity);
  equal(parsePyLiteral("float(' 1_0.5 ')"), 10.5);
  equal(parsePyLiteral("float(2)"), 2);
  deepEqual(parsePyLiteral("np.float64(0.0003)"), new PyFloat(0.0003, true));
  deepEqual(parsePyLiteral("numpy.float64(-2)"), new PyFloat(-2, true));
  deepEqual(parsePyLiteral("-np.float64(2.5)"), new PyFloat(-2.5, true));
  ok(Number.isNaN((parsePyLiteral("np.float64('nan')") as PyFloat).value));
  ok(Number.isNaN(parsePyLiteral("np.nan")));
});

Deno.test("parsePyLiteral: strings", () => {
  equal(parsePyLiteral(`'a"b'`), 'a"b');
  equal(parsePyLiteral(`"node'1"`), "node'1");
  equal(
    parsePyLiteral(String.raw`'a\'b\\c\nd\te\x41\u00e9\U0001F600\101'`),
    "a'b\\c\nd\teA\u00e9\u{1F600}A",
  );
  equal(parsePyLiteral(String.raw`'\q'`), "\\q");
  equal(parsePyLiteral(String.raw`r'\n\''`), "\\n\\'");
  equal(parsePyLiteral(`u'x' "y" 'z'`), "xyz");
  equal(parsePyLiteral(`'''a\n'b'''`), "a\n'b");
  equal(parsePyLiteral(String.raw`'\ud800'`), "\ud800");
  equal(parsePyLiteral("'a\\\nb'"), "ab");
});

Deno.test("parsePyLiteral: containers, comments and Python dict semantics", () => {
  deepEqual(parsePyLiteral("[1, 2.5, 'x',]"), [1n, 2.5, "x"]);
  deepEqual(parsePyLiteral("()"), new PyTuple([]));
  deepEqual(parsePyLiteral("(1,)"), new PyTuple([1n]));
  deepEqual(parsePyLiteral("(1)"), 1n);
  const d = parsePyLiteral("{\n# comment\n'a': 1, 1: 2, 'a': 3, 1.0: 4, True: 5}") as PyDict;
  deepEqual(d.entries, [["a", 3n], [1n, 5n]]);
  deepEqual(d.keyOffsets, [12, 20]);
});

Deno.test("parsePyLiteral: errors name line, column and what was expected", () => {
  fileError(() => parsePyLiteral("{1: 2,\n 3 4}"), 2, 4, /expected ':' after the dict key/);
  fileError(() => parsePyLiteral("[1, 2"), 1, 6, /expected ',' or ']'/);
  fileError(() => parsePyLiteral("{'a': 1}}"), 1, 9, /expected the end of the file/);
  fileError(() => parsePyLiteral("'abc"), 1, 1, /unterminated string/);
  fileError(() => parsePyLiteral("'''abc"), 1, 1, /unterminated string/);
  fileError(() => parsePyLiteral("{'a':\n 'b\n'}"), 2, 2, /unterminated string/);
  fileError(() => parsePyLiteral("__import__('os')"), 1, 1, /unknown name '__import__'/);
  fileError(() => parsePyLiteral("1 + 2"), 1, 3, /end of the file/);
  fileError(() => parsePyLiteral("01"), 1, 1, /leading zeros/);
  fileError(() => parsePyLiteral("1j"), 1, 2, /invalid number/);
  fileError(() => parsePyLiteral("{1, 2}"), 1, 2, /set literals/);
  fileError(() => parsePyLiteral("{[1]: 2}"), 1, 2, /unhashable/);
  fileError(() => parsePyLiteral("float('x')"), 1, 7, /could not convert/);
  fileError(() => parsePyLiteral("b'x'"), 1, 1, /bytes/);
  fileError(() => parsePyLiteral(String.raw`'\x4'`), 1, 2, /truncated/);
  fileError(() => parsePyLiteral(String.raw`'\N{DASH}'`), 1, 2, /not supported/);
  fileError(() => parsePyLiteral("-'a'"), 1, 1, /sign must be followed by a number/);
  fileError(() => parsePyLiteral(""), 1, 1, /expected a value/);
  fileError(() => parsePyLiteral("@"), 1, 1, /unexpected character/);
  fileError(() => parsePyLiteral("1".repeat(5000)), 1, 1, /4300 digits/);
  fileError(() => parsePyLiteral("{".repeat(10000)), 1, 102, /nested more than 100 levels/);
});

Deno.test("parsePyFloatString follows Python's float()", () => {
  equal(parsePyFloatString("-Infinity"), -Infinity);
  ok(Number.isNaN(parsePyFloatString("+NaN")!));
  equal(parsePyFloatString("1_000"), 1000);
  equal(parsePyFloatString("1__0"), undefined);
  equal(parsePyFloatString("0x10"), undefined);
  equal(parsePyFloatString(""), undefined);
  equal(parsePyFloatString("."), undefined);
  equal(parsePyFloatString("5."), 5);
  equal(parsePyFloatString(".5e-1"), 0.05);
  equal(parsePyFloatString("1._5"), undefined);
  equal(parsePyFloatString("1e"), undefined);
});

/** Uniform numbers in [0, 1) of the trainer's seeded generator (failures reproduce). */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

const VALID = `{
1: EpochData(learningRate=np.float64(0.0003), error={
':meta:global_train_step': 0,
':meta:hostname': "node'1",
'dev_score': np.float64(2.5),
}),
2: EpochData(learningRate=0.0, error={'dev_score': nan, 'train_score': inf}),
3: EpochData(learningRate=0.01, error=2.5),
4: EpochData(learning_rate=1e-05, error={'a': float('-inf')}, meta={'x': [1, (2,), {'k': None}]}),
}
`;

/** Parse `text`; anything other than success or a LearningRateFileError fails the test. */
function parseOrFileError(text: string): void {
  try {
    parseLearningRateFile(text);
  } catch (e) {
    if (!(e instanceof LearningRateFileError)) {
      throw new Error(
        `non-LearningRateFileError for input ${JSON.stringify(text.slice(0, 200))}: ${e}`,
      );
    }
    ok(e.line >= 1 && e.column >= 1);
  }
}

Deno.test("fuzz: random inputs give a value or a LearningRateFileError", () => {
  const rand = rng(1234);
  const alphabet = [..."{}[](),:=.+-'\"\\ \n\t#0123456789eExobjJ_"].concat([
    "EpochData",
    "learningRate",
    "error",
    "meta",
    "np.float64(",
    "float(",
    "nan",
    "inf",
    "None",
    "True",
    "'''",
    "1: ",
    "é",
    "\u{1F600}",
  ]);
  parseLearningRateFile(VALID);
  for (let i = 0; i < 3000; i++) {
    const n = Math.floor(rand() * 60);
    let s = "";
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
    parseOrFileError(s);
  }
});

Deno.test("fuzz: mutated valid files give a value or a LearningRateFileError", () => {
  const rand = rng(99);
  const pieces = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "'",
    '"',
    "\\",
    "=",
    "-",
    "e",
    "9",
    "\n",
    " ",
    "x",
    ".",
  ];
  for (let i = 0; i < 3000; i++) {
    let s = VALID;
    const edits = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rand() * s.length);
      const op = rand();
      const piece = pieces[Math.floor(rand() * pieces.length)];
      if (op < 0.33) s = s.slice(0, at) + s.slice(at + 1);
      else if (op < 0.66) s = s.slice(0, at) + piece + s.slice(at);
      else s = s.slice(0, at) + piece + s.slice(at + 1);
    }
    parseOrFileError(s);
  }
});

Deno.test("fuzz: pathological inputs (deep nesting, 10 MiB literals) only raise LearningRateFileError", () => {
  const big = 10 * 1024 * 1024;
  const cases = [
    "{".repeat(10000),
    "[".repeat(10000),
    "(".repeat(10000),
    "{1: ".repeat(10000),
    "EpochData(error=".repeat(10000),
    "-".repeat(100000) + "1",
    "9".repeat(100000),
    "9".repeat(big),
    "1".repeat(big) + ".5e99999",
    "1e" + "9".repeat(big),
    "float('" + "1".repeat(big) + "')",
    "float('" + "1".repeat(big) + "x')",
    "0." + "0".repeat(100000) + "1",
    "1e" + "9".repeat(1000),
    "0x" + "f".repeat(100000),
    "'" + "x".repeat(big),
    `{1: EpochData(learningRate=0.1, error={'a': '${"x".repeat(big)}'})}`,
    "[" + "1,".repeat(big / 2) + "]",
    "@".repeat(big),
    "'" + "\\x".repeat(1000),
  ];
  for (const s of cases) parseOrFileError(s);
});
