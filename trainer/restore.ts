/**
 * Continuing a run from its checkpoint: finding it (and refusing one written with other
 * settings), and restoring the model's parameters, the optimizer state, the step counter and
 * the history into a fresh run.
 *
 * @module
 */

import type { TrainSettings } from "./config.ts";
import { type CheckpointData, CheckpointError, loadCheckpoint } from "./checkpoint.ts";
import type { ParamModel } from "./model_types.ts";
import type { EpochRecord, Updater } from "./train_deps.ts";

/** Options of {@linkcode openCheckpoint}. */
export interface OpenCheckpointOptions {
  /** `true`: a checkpoint must exist (`--resume`). */
  resume?: boolean;
  /** Where notes go. */
  log: (line: string) => void;
}

/**
 * The checkpoint to continue from, if any, checked against the settings of this run.
 *
 * @param file The checkpoint file.
 * @param settings This run's settings (those that change the run must be the same).
 * @param options Whether one must exist; where notes go.
 * @returns The checkpoint, or `undefined` for a fresh start.
 * @throws {CheckpointError} When `resume` is set and there is none, when it is unreadable, or
 * when it was written with settings that change the run.
 */
export async function openCheckpoint(
  file: string,
  settings: TrainSettings,
  options: OpenCheckpointOptions,
): Promise<CheckpointData | undefined> {
  const checkpoint = await loadCheckpoint(file);
  if (options.resume && checkpoint === undefined) {
    throw new CheckpointError(
      file,
      "there is no checkpoint in the output folder; run without --resume to start fresh",
    );
  }
  if (checkpoint === undefined && await exists(settings.learningRateFile)) {
    options.log(
      `note: ${settings.learningRateFile} exists without a checkpoint: its stored rates and ` +
        "scores are kept, as RETURNN does (delete it to start over)",
    );
  }
  if (checkpoint !== undefined) checkFingerprint(file, checkpoint, fingerprintOf(settings));
  return checkpoint;
}

/** Where a run starts: after the checkpoint's epoch, or at epoch 1. */
export interface Restored {
  /** The optimizer, bound to the (restored) parameters. */
  readonly updater: Updater;
  /** The step counter to continue with. */
  readonly globalTrainStep: number;
  /** The first epoch to run. */
  readonly startEpoch: number;
  /** The epochs done before. */
  readonly history: EpochRecord[];
}

/**
 * Restore a checkpoint into a fresh model: its parameters first, then the optimizer (created
 * after them, so it binds to the restored values) with its saved state.
 *
 * @param checkpoint The checkpoint from {@linkcode openCheckpoint}, or `undefined`.
 * @param file Its file, for messages.
 * @param model The model.
 * @param createUpdater Makes the optimizer for the model's current parameters.
 * @param log Where the resume line goes.
 * @returns The updater, step counter, first epoch and history.
 * @throws {CheckpointError} When the checkpoint's tensors are not the model's.
 */
export async function restoreCheckpoint(
  checkpoint: CheckpointData | undefined,
  file: string,
  model: ParamModel,
  createUpdater: () => Promise<Updater>,
  log: (line: string) => void,
): Promise<Restored> {
  if (checkpoint === undefined) {
    return { updater: await createUpdater(), globalTrainStep: 0, startEpoch: 1, history: [] };
  }
  checkParameters(file, checkpoint, model);
  await model.setParameters(checkpoint.params);
  if (model.state !== undefined) {
    const saved = checkpoint.stateArrays ?? {};
    const missing = model.state.names.filter((n) => !(n in saved));
    if (missing.length > 0) {
      throw new CheckpointError(
        file,
        `it lacks the model state ${missing.join(", ")}; the model changed: use another ` +
          "--output-dir or delete the checkpoint",
      );
    }
    await model.state.write(model.state.names.map((n) => saved[n]));
  }
  const updater = await createUpdater();
  await updater.importState({ arrays: checkpoint.optimizerArrays, meta: checkpoint.optimizerMeta });
  const history = Array.isArray(checkpoint.history)
    ? (checkpoint.history as EpochRecord[]).filter((r) =>
      typeof r?.epoch === "number" && r.epoch <= checkpoint.epoch
    )
    : [];
  log(
    `resuming after epoch ${checkpoint.epoch} (global_train_step ${checkpoint.globalTrainStep}) ` +
      `from ${file}`,
  );
  return {
    updater,
    globalTrainStep: checkpoint.globalTrainStep,
    startEpoch: checkpoint.epoch + 1,
    history,
  };
}

/** The checkpoint holds the model's tensors: the same names, in order, of the same sizes. */
function checkParameters(file: string, checkpoint: CheckpointData, model: ParamModel): void {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  if (
    checkpoint.paramNames.length === model.names.length &&
    checkpoint.paramNames.every((n, i) => n === model.names[i]) &&
    checkpoint.params.every((p, i) => p.length === size(model.shapes[i]))
  ) return;
  throw new CheckpointError(
    file,
    `its parameters (${checkpoint.paramNames.join(", ")}) do not match the model's ` +
      `(${model.names.join(", ")}); the model changed: use another --output-dir or delete ` +
      "the checkpoint",
  );
}

/** Settings that may change between a run and its continuation. */
const MAY_CHANGE: ReadonlySet<string> = new Set([
  "numEpochs",
  "logEverySteps",
  "outputDir",
  "learningRateFile",
  "backend",
  "notes",
  "saveInterval",
  "cleanupOldModels",
  "stopOnNonfiniteTrainScore",
]);

/** Settings fingerprinted by a hash of their JSON (datasets may hold their data inline). */
const HASHED: ReadonlySet<string> = new Set(["sequence"]);

/**
 * The settings that must be the same to continue from a checkpoint, as JSON (functions by
 * their source).
 *
 * @param s The settings.
 * @returns Setting name -> JSON value.
 */
export function fingerprintOf(s: TrainSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (MAY_CHANGE.has(k) || (HASHED.has(k) && v === undefined)) continue;
    const json = JSON.stringify(
      v ?? null,
      (_key, x) => typeof x === "function" ? `fn:${x.toString()}` : x,
    );
    out[k] = HASHED.has(k) ? `fnv1a:${_fnv1a(json)}` : JSON.parse(json);
  }
  return out;
}

function checkFingerprint(
  path: string,
  checkpoint: CheckpointData,
  fingerprint: Record<string, unknown>,
): void {
  const old = checkpoint.fingerprint as Record<string, unknown>;
  const keys = new Set([...Object.keys(old), ...Object.keys(fingerprint)]);
  const changed = [...keys].filter((k) =>
    JSON.stringify(old[k]) !== JSON.stringify(fingerprint[k])
  );
  if (changed.length === 0) return;
  throw new CheckpointError(
    path,
    `it was written with different settings (${changed.join(", ")} changed); resuming would ` +
      "not continue the same run: restore the old settings, or use another --output-dir " +
      "(or delete the checkpoint and the learning-rate file) to start over",
  );
}

function _fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
