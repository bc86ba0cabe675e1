/**
 * What one layer class of RETURNN's network dict provides: its own options, a check that
 * infers its output from its inputs (reporting every problem), its parameters and its forward
 * pass on padded sequences. `registry.ts` maps RETURNN's class names to these definitions.
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";
import type { SeqTensor } from "../seq.ts";
import { showValue } from "../../_util/validate.ts";

/** The output of a layer as the check sees it (before any tensor exists). */
export interface DimInfo {
  /** Features (dense) or classes (sparse). */
  readonly dim: number;
  /** Whether the values are class indices. */
  readonly sparse: boolean;
}

/** How a parameter is initialised (RETURNN's initialiser names). */
export type Init =
  | { kind: "glorot_uniform"; fanIn: number; fanOut: number }
  | { kind: "glorot_normal"; fanIn: number; fanOut: number }
  | { kind: "constant"; value: number };

/** One parameter of a layer. */
export interface ParamSpec {
  /** Name inside the layer, e.g. `rec/W` (the network prefixes `<layer>/`). */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** How it is initialised. */
  readonly init: Init;
  /** Optimised by the trainer (false: state such as batch-norm running statistics). */
  readonly trainable: boolean;
}

/** What `check` gets. */
export interface CheckContext {
  /** The layer's name. */
  readonly name: string;
  /** The inputs' outputs, in `from` order (concatenated layers see one input). */
  readonly inputs: readonly DimInfo[];
  /** Report a problem (text without the layer name; the network adds it). */
  problem(message: string): void;
}

/** What `forward` gets. */
export interface ForwardContext {
  /** Training (dropout active, batch-norm batch statistics). */
  readonly train: boolean;
  /** A seed for this layer's random draws in this step. */
  readonly seed: number;
  /** The layer's parameters by their `ParamSpec.name`. */
  readonly params: Readonly<Record<string, tfjs.Variable>>;
  /** Queue an assignment to a non-trainable parameter, applied after the step. */
  update(name: string, value: tfjs.Tensor): void;
}

/** A layer's forward result. */
export interface LayerOutput extends SeqTensor {
  /** The values before the activation (logits of a softmax layer), for the losses. */
  readonly preActivation?: tfjs.Tensor;
  /** The activation that turned `preActivation` into `values`. */
  readonly activation?: string | null;
}

/** One RETURNN layer class. */
export interface LayerDef {
  /** The class name as RETURNN writes it (`linear`, `rec`, ...). */
  readonly className: string;
  /** The options this class takes besides the common ones (`from`, `dropout`, `L2`, `loss`, ...). */
  readonly options: readonly string[];
  /** False: the `from` list reaches `forward` as separate inputs (combine) instead of concatenated. */
  readonly concatInputs: boolean;
  /**
   * Check the options and infer the output.
   * @returns The output, or null when a problem makes it unknown.
   */
  check(opts: Readonly<Record<string, unknown>>, ctx: CheckContext): DimInfo | null;
  /** The parameters (after a successful check). */
  params(
    opts: Readonly<Record<string, unknown>>,
    inputs: readonly DimInfo[],
    out: DimInfo,
  ): ParamSpec[];
  /** The forward pass; padded frames of the result are zero. */
  forward(
    tf: Tf,
    opts: Readonly<Record<string, unknown>>,
    inputs: readonly SeqTensor[],
    ctx: ForwardContext,
  ): LayerOutput;
}

/** Check a positive integer option; returns it or null (after reporting). */
export function _posInt(
  opts: Readonly<Record<string, unknown>>,
  key: string,
  ctx: CheckContext,
  required: boolean,
): number | null {
  const v = opts[key];
  if (v === undefined || v === null) {
    if (required) ctx.problem(`'${key}' is required (a positive integer)`);
    return null;
  }
  if (!Number.isInteger(v) || (v as number) <= 0) {
    ctx.problem(`'${key}' must be a positive integer: current value is ${showValue(v)}`);
    return null;
  }
  return v as number;
}

/** Check an optional number option in a range; returns it, the default, or null. */
export function _num(
  opts: Readonly<Record<string, unknown>>,
  key: string,
  ctx: CheckContext,
  dflt: number,
  min = -Infinity,
  max = Infinity,
  text = "a number",
): number | null {
  const v = opts[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    ctx.problem(`'${key}' must be ${text}: current value is ${showValue(v)}`);
    return null;
  }
  return v;
}

/** Check an optional boolean option. */
export function _bool(
  opts: Readonly<Record<string, unknown>>,
  key: string,
  ctx: CheckContext,
  dflt: boolean,
): boolean {
  const v = opts[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "boolean") {
    ctx.problem(`'${key}' must be true or false: current value is ${showValue(v)}`);
    return dflt;
  }
  return v;
}

/** The one input of a layer that needs dense features; reports sparse inputs. */
export function _denseInput(ctx: CheckContext, what: string): DimInfo | null {
  const x = ctx.inputs[0];
  if (!x) return null;
  if (x.sparse) {
    ctx.problem(
      `${what} needs dense input, but its input is sparse (class indices): put a linear layer first`,
    );
    return null;
  }
  return x;
}

/** Check an initialiser option (`forward_weights_init`, `bias_init`, ...). */
export function _checkInit(
  opts: Readonly<Record<string, unknown>>,
  key: string,
  ctx: CheckContext,
): void {
  const v = opts[key];
  if (v === undefined || v === null || typeof v === "number") return;
  if (typeof v === "string" && INIT_NAMES.includes(v)) return;
  ctx.problem(
    `'${key}' must be a number or one of ${INIT_NAMES.join(", ")}: current value is ${
      showValue(v)
    }`,
  );
}

const INIT_NAMES = ["glorot_uniform", "xavier", "glorot_normal", "zeros", "ones"];

/**
 * The initialiser an option names, with RETURNN's default when unset.
 *
 * @param value The option (checked by {@linkcode _checkInit}).
 * @param dflt The default when unset.
 * @param fanIn Fan-in for the Glorot rules.
 * @param fanOut Fan-out for the Glorot rules.
 */
export function _init(value: unknown, dflt: Init, fanIn: number, fanOut: number): Init {
  if (value === undefined || value === null) return dflt;
  if (typeof value === "number") return { kind: "constant", value };
  if (value === "zeros") return { kind: "constant", value: 0 };
  if (value === "ones") return { kind: "constant", value: 1 };
  if (value === "glorot_normal") return { kind: "glorot_normal", fanIn, fanOut };
  return { kind: "glorot_uniform", fanIn, fanOut };
}

/** Glorot-uniform over a weight matrix `[fanIn, fanOut]`. */
export function _glorot(fanIn: number, fanOut: number): Init {
  return { kind: "glorot_uniform", fanIn, fanOut };
}

/** A constant initialiser. */
export function _const(value: number): Init {
  return { kind: "constant", value };
}
