/**
 * The losses of a network dict's layers (`loss: "ce"` and `loss: "ctc"`), checked against the
 * data keys and marked as RETURNN's TF engine accounts them: the summed loss and error of each
 * loss layer, normalised over the target's frames (`1 / sum(target_seq_len)`), CTC included.
 *
 * @module
 */

import type { Tf, tfjs } from "./_tf.ts";
import type { ExternDataSpec } from "./extern_data.ts";
import type { LayerOutput } from "./layers/_layer.ts";
import type { SeqTensor } from "./seq.ts";
import type { RunCtx } from "./run_ctx.ts";
import { crossEntropyPerFrame, frameErrors } from "./losses/cross_entropy.ts";
import { ctcLoss } from "./losses/ctc.ts";
import { ctcCollapse, labelErrors } from "./losses/ctc_decode.ts";
import { showValue } from "../_util/validate.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** A checked loss of a layer. */
export interface LossPlan {
  readonly kind: "ce" | "ctc";
  /** The data key of the target. */
  readonly target: string;
  /** The outputs the layer needs (target classes, + 1 for the CTC blank). */
  readonly outDim?: number;
  readonly scale: number;
  readonly useNormalizedLoss: boolean;
  /** CE: the outputs are logits (`input_type: "logits"`). */
  readonly logitsInput: boolean;
  /** CTC: the outputs are log-probabilities (`output_in_log_space`). */
  readonly logSpace: boolean;
}

const LOSS_OPTS: Readonly<Record<string, readonly string[]>> = {
  ce: ["use_normalized_loss", "scale", "input_type"],
  ctc: ["use_normalized_loss", "scale", "beam_width", "output_in_log_space"],
};

/**
 * Check a layer's `loss`, `target`, `loss_opts`, `loss_scale`; report problems.
 *
 * @param at `network.<layer>` for the messages.
 * @param opts The layer dict.
 * @param externData The data keys.
 * @param problems Where problems go.
 * @returns The plan, or null (no loss, or a problem).
 */
export function checkLoss(
  at: string,
  opts: Readonly<Record<string, unknown>>,
  externData: ExternDataSpec,
  problems: string[],
): LossPlan | null {
  const loss = opts.loss;
  if (loss === undefined || loss === null) {
    for (const k of ["target", "loss_opts", "loss_scale"]) {
      if (opts[k] !== undefined && k !== "target") {
        problems.push(`${at}: '${k}' is set but the layer has no 'loss'`);
      }
    }
    return null;
  }
  let ok = true;
  if (loss !== "ce" && loss !== "ctc") {
    problems.push(
      `${at}: 'loss' ${showValue(loss)} is not supported: use "ce" or "ctc".` +
        (typeof loss === "string" ? didYouMeanSuffix(loss, ["ce", "ctc"]) : ""),
    );
    ok = false;
  }
  const kind = loss === "ctc" ? "ctc" : "ce";
  const target = opts.target ?? "classes";
  const keys = Object.keys(externData);
  if (typeof target !== "string") {
    problems.push(`${at}: 'target' must be a data key: current value is ${showValue(target)}`);
    return null;
  }
  const t = externData[target];
  if (!t) {
    ok = false;
    problems.push(
      `${at}: 'target' '${target}' is not a data key (known: ${
        keys.join(", ") || "none; set extern_data or num_outputs"
      }).` +
        didYouMeanSuffix(target, keys),
    );
  } else if (!t.sparse) {
    problems.push(
      `${at}: the loss '${loss}' needs a sparse target (class indices), but '${target}' is dense`,
    );
    ok = false;
  }
  const lo = (opts.loss_opts ?? {}) as Record<string, unknown>;
  if (typeof lo !== "object" || Array.isArray(lo)) {
    problems.push(`${at}: 'loss_opts' must be a dict: current value is ${showValue(lo)}`);
    return null;
  }
  for (const k of Object.keys(lo)) {
    if (!LOSS_OPTS[kind].includes(k)) {
      problems.push(
        `${at}: 'loss_opts.${k}' is not supported for loss '${kind}' (supported: ${
          LOSS_OPTS[kind].join(", ")
        }).` +
          didYouMeanSuffix(k, LOSS_OPTS[kind]),
      );
      ok = false;
    }
  }
  const bool = (k: string) => {
    if (lo[k] !== undefined && typeof lo[k] !== "boolean") {
      problems.push(
        `${at}: 'loss_opts.${k}' must be true or false: current value is ${showValue(lo[k])}`,
      );
      ok = false;
    }
    return lo[k] === true;
  };
  const useNormalizedLoss = bool("use_normalized_loss");
  const logSpace = bool("output_in_log_space");
  if (lo.input_type !== undefined && lo.input_type !== "prob" && lo.input_type !== "logits") {
    problems.push(
      `${at}: 'loss_opts.input_type' must be "prob" or "logits": current value is ${
        showValue(lo.input_type)
      }`,
    );
    ok = false;
  }
  if (
    lo.beam_width !== undefined &&
    !(Number.isInteger(lo.beam_width) && (lo.beam_width as number) > 0)
  ) {
    problems.push(
      `${at}: 'loss_opts.beam_width' must be a positive integer: current value is ${
        showValue(lo.beam_width)
      }`,
    );
    ok = false;
  }
  for (const k of ["scale"]) {
    if (lo[k] !== undefined && (typeof lo[k] !== "number" || !Number.isFinite(lo[k]))) {
      problems.push(
        `${at}: 'loss_opts.${k}' must be a number: current value is ${showValue(lo[k])}`,
      );
      ok = false;
    }
  }
  if (lo.scale !== undefined && opts.loss_scale !== undefined) {
    problems.push(`${at}: set the loss scale once: 'loss_scale' or 'loss_opts.scale', not both`);
    ok = false;
  }
  const act = opts.activation === undefined
    ? (opts.class === "softmax" ? "softmax" : null)
    : opts.activation;
  const logitsInput = lo.input_type === "logits";
  if (act !== "softmax" && act !== "log_softmax" && !logitsInput && !logSpace) {
    problems.push(
      `${at}: the loss '${loss}' needs the layer's activation to be "softmax" (or "log_softmax"; ` +
        `or loss_opts ${
          loss === "ce" ? 'input_type: "logits"' : "output_in_log_space: true"
        } for raw log-scores): ` +
        `current activation is ${showValue(act)}`,
    );
    ok = false;
  }
  if (!ok || !t) return null;
  return {
    kind,
    target,
    outDim: loss === "ctc" ? t.dim + 1 : t.dim,
    scale: (lo.scale ?? opts.loss_scale ?? 1) as number,
    useNormalizedLoss,
    logitsInput,
    logSpace,
  };
}

/** One loss layer at run time. */
export interface _LossRun {
  readonly name: string;
  readonly loss: LossPlan;
  readonly output: LayerOutput;
  readonly target: SeqTensor | undefined;
}

/** The log-scores a loss reads: the logits before a softmax, else the outputs as they are. */
function _logits(out: LayerOutput): tfjs.Tensor {
  return out.activation === "softmax" && out.preActivation ? out.preActivation : out.values;
}

/**
 * Mark the losses and errors of the loss layers (sorted by name, as RETURNN collects them).
 *
 * @param tf The TensorFlow.js namespace.
 * @param ctx The step's context (style `tf`).
 * @param runs The loss layers with their outputs and targets.
 * @throws {RangeError} If a target is missing from the batch or its time axis does not fit.
 */
export function _networkLosses(tf: Tf, ctx: RunCtx, runs: readonly _LossRun[]): void {
  for (const r of runs) {
    const t = r.target;
    if (!t) {
      throw new RangeError(
        `Cannot compute the loss of layer '${r.name}' as the batch has no target '${r.loss.target}'`,
      );
    }
    const frames = t.seqLens.reduce((a, b) => a + b, 0);
    const opts = {
      customInvNormFactor: frames,
      scale: r.loss.scale,
      useNormalizedLoss: r.loss.useNormalizedLoss,
    };
    const logits = _logits(r.output);
    if (r.loss.kind === "ce") {
      const [B, T] = logits.shape;
      if (
        t.values.shape[0] !== B || t.values.shape[1] !== T ||
        t.seqLens.some((n, b) => n !== r.output.seqLens[b])
      ) {
        throw new RangeError(
          `Cannot compute the 'ce' loss of layer '${r.name}' as its frames [${r.output.seqLens}] ` +
            `differ from those of target '${r.loss.target}' [${t.seqLens}] (frame-wise targets need the same lengths)`,
        );
      }
      tf.tidy(() => {
        ctx.markAsLoss(r.name, {
          values: crossEntropyPerFrame(tf, logits, t.values),
          seqLens: t.seqLens,
        }, opts);
        ctx.markAsLoss(r.name, { values: frameErrors(tf, logits, t.values), seqLens: t.seqLens }, {
          asError: true,
          customInvNormFactor: frames,
        });
      });
      continue;
    }
    // CTC, blank last (RETURNN TF): per-sequence losses summed, normalised by target labels.
    const C = logits.shape[2]!;
    const blank = C - 1;
    tf.tidy(() => {
      const loss = ctcLoss(tf, logits, t.values, r.output.seqLens, t.seqLens, { blank });
      ctx.markAsLoss(r.name, tf.sum(loss), opts);
    });
    // Kept past any enclosing tidy (tf.variableGrads runs one) until the host has read it.
    const argmax = tf.keep(tf.tidy(() => tf.argMax(logits, -1)));
    const [B, T] = argmax.shape as [number, number];
    const host = t.host;
    const read = (async () => {
      const best = await argmax.data();
      argmax.dispose();
      const targets = host ?? Int32Array.from(await t.values.data());
      const hyps = ctcCollapse(best, [B, T], r.output.seqLens, blank);
      return labelErrors(hyps, targets, t.seqLens).errors;
    })();
    ctx.markDeferred(r.name, read, frames, { asError: true });
  }
}
