/**
 * The training loop's data-parallel wiring (`torch_distributed`, `use_horovod`; the rules are
 * `docs/distributed.md`'s): one {@linkcode DistributedRun} per run wraps the pieces the loop is
 * made of, so the loop itself keeps three small hooks (start, after restore, rank 0 saves).
 *
 * - The optimizer (`TrainDeps.createUpdater`): every step's gradients are all-reduced in one
 *   flat arena before the engine's step (`grad`; on `webgpu` one batched read and write of the
 *   arena), the learning rate gets `horovod_scale_lr`'s factor, parameters are averaged every
 *   `param_sync_step` steps and at the end of the training pass (`param`).
 * - The data (`openDatasets`, `loadData`): the training set's seed offset is `rank * 16127`
 *   (`random_seed_offset` distribution, unless the dataset sets its own), or every rank keeps
 *   batches `r, r+N, ...` (Horovod `shard`); the epoch ends for all when one rank has no batch
 *   (the has-data all-reduce).
 * - The scores (`createControl`): every score and meta value reaches the control as rank 0's
 *   (one broadcast before each save), so every rank takes the same decision; only rank 0 writes
 *   the learning-rate file and the plot. The train pass's mean loss is summed over ranks.
 * - Dropout: each rank draws its own masks (`dropoutStream` = rank; rank 0's are one process's).
 * - Dev sets are evaluated by every rank on the whole set (the parameters are the same on every
 *   rank there, so the scores are too); rank 0's are used.
 *
 * MPI is loaded (a dynamic import of `distributed/data_parallel.ts`) only when a run is
 * distributed.
 *
 * @module
 */

import type { TrainSettings } from "./config.ts";
import type { DistributedSettings } from "../distributed/config.ts";
import type { DataParallel, DataParallelOptions } from "../distributed/data_parallel.ts";
import type { ArenaLayout } from "../distributed/arena.ts";
import type { ArenaTransfer } from "../distributed/gpu_arena.ts";
import type { EpochControl, TrainDeps, Updater, UpdaterState } from "./train_deps.ts";
import type { ParamModel } from "./model_types.ts";
import type { TrainJob } from "./job.ts";
import type { EpochBatches, TrainPass } from "./epoch.ts";
import type { DataConfig } from "../datasets/data_config.ts";

/** A data-parallel run: the handle and the wrapped pieces of the loop. */
export interface DistributedRun {
  /** The data-parallel handle (rank, size, collectives). */
  readonly dp: DataParallel;
  /** Rank 0: the only rank that prints, and writes files. */
  readonly isMain: boolean;
  /** The loop's pieces with the all-reduces, the data per rank and the shared scores. */
  wrapDeps(deps: TrainDeps): TrainDeps;
  /** The job's batches (shard, has-data) and train score (summed over ranks). */
  wrapJob<B>(job: TrainJob<B>): TrainJob<B>;
  /** Communicates. Every rank takes rank 0's parameters (after init or resume). */
  afterRestore(): Promise<void>;
  /** Run the rank's work: a failure on any rank stops the job; then end the communicator. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Start data-parallel training for a run: MPI under `mpirun` (a single process otherwise,
 * which rank 0 says), bound to the trainer's loop.
 *
 * @param settings `TrainSettings.distributed`.
 * @param options A communicator to use (tests: a loopback rank), where rank 0's lines go.
 * @returns The run.
 * @throws {DistributedError} when MPI cannot start (no library, ranks that do not meet).
 *
 * @example One process (a loopback group of one rank)
 * ```ts
 * import { startDistributed } from "./distributed_run.ts";
 * import { parseDistributedConfig } from "../distributed/config.ts";
 * import { createLoopbackGroup } from "../distributed/loopback.ts";
 * import { equal } from "node:assert/strict";
 *
 * const { settings } = parseDistributedConfig({ torch_distributed: {} });
 * const [comm] = createLoopbackGroup(1);
 * const run = await startDistributed(settings!, { comm, log: () => {} });
 * equal(await run.run(() => Promise.resolve(run.isMain)), true);
 * ```
 */
export async function startDistributed(
  settings: DistributedSettings,
  options: DataParallelOptions & { log: (line: string) => void },
): Promise<DistributedRun> {
  const { createDataParallel } = await import("../distributed/data_parallel.ts");
  const arena = await import("../distributed/arena.ts");
  const dp = await createDataParallel(settings, options);
  if (!dp.isMain && dp.comm.transport === "mpi") {
    // A rank of its own process: only rank 0 prints (notices of the pieces too); errors reach
    // the user through rank 0 (dp.guard) or stderr.
    console.log = console.info = console.warn = () => {};
  }
  if (dp.isMain) {
    options.log(
      dp.note ??
        `distributed: ${dp.comm.description}; ${settings.source} reduce_type ${settings.reduceType}` +
          (settings.reduceType === "param" ? ` every ${settings.paramSyncStep} steps` : "") +
          `, data ${settings.dataDistribution}`,
    );
  }
  let current: ParamUpdater | undefined;
  const shard = settings.dataDistribution === "shard" && dp.size > 1;
  return {
    dp,
    isMain: dp.isMain,
    wrapDeps(deps) {
      const offset = dp.randomSeedOffset();
      return {
        ...deps,
        async createUpdater(s, model) {
          current = await _paramUpdater(dp, s, model, deps.createUpdater, arena);
          return current.updater;
        },
        async loadData(spec, o) {
          const data = await deps.loadData(spec, o);
          if (offset === 0) return data;
          const part = data.train;
          return {
            ...data,
            train: { ...part, batches: (e, b, seed = 0) => part.batches(e, b, seed + offset) },
          };
        },
        ...(deps.openDatasets
          ? {
            openDatasets: (data: DataConfig) => deps.openDatasets!(_withSeedOffset(data, dp)),
          }
          : {}),
        async createControl(config, o) {
          return _sharedControl(dp, await deps.createControl(config, o));
        },
        // Each rank its own dropout masks (one process and rank 0: the same stream).
        async createSequenceModel(spec, o) {
          const create = deps.createSequenceModel ??
            (await (await import("./wiring.ts")).defaultDeps()).createSequenceModel!;
          return await create(spec, { ...o, dropoutStream: dp.rank });
        },
        plot: (path, history) => dp.isMain ? deps.plot(path, history) : Promise.resolve(),
      };
    },
    wrapJob(job) {
      return {
        ...job,
        train: {
          async epoch(epoch) {
            const b = await job.train.epoch(epoch);
            return {
              ...b,
              steps: shard ? Math.floor(b.steps / dp.size) : b.steps,
              batches: _rankBatches(dp, b, shard),
            };
          },
        },
        scoring: {
          ...job.scoring,
          async train(pass, epoch) {
            await current?.endTrainEpoch();
            return job.scoring.train(await _summedPass(dp, pass), epoch);
          },
        },
      };
    },
    async afterRestore() {
      if (current === undefined) throw new TypeError("Cannot broadcast: no optimizer was made");
      await current.broadcast();
    },
    async run(work) {
      try {
        return await dp.guard(work);
      } finally {
        await dp.finalize();
      }
    },
  };
}

/** The optimizer with the all-reduces, and the parameter averages of `param`. */
interface ParamUpdater {
  readonly updater: Updater;
  /** Rank 0's parameters on every rank. */
  broadcast(): Promise<void>;
  /** `param`: the average at the end of the training pass. */
  endTrainEpoch(): Promise<void>;
}

type ArenaModule = typeof import("../distributed/arena.ts");

/**
 * Wrap the engine's updater: reduce gradients before each step, scale the rate, average the
 * parameters when due. Writing parameters back rebuilds the engine around them with its
 * exported state (the engine has no "set parameters"; only `param` and a diverged start pay).
 */
async function _paramUpdater(
  dp: DataParallel,
  s: TrainSettings,
  model: ParamModel,
  create: TrainDeps["createUpdater"],
  arena: ArenaModule,
): Promise<ParamUpdater> {
  let inner = await create(s, model);
  const layout: ArenaLayout = arena.flatLayout(
    model.shapes.map((sh) => sh.reduce((a, b) => a * b, 1)),
  );
  const grads = new Float32Array(layout.length);
  const views = arena.arenaViews(grads, layout);
  let gpu: ArenaTransfer | undefined;
  let epoch = 1;
  let epochStep = 0;
  const factor = dp.learningRateFactor;

  const flatParams = async () => arena.packArena(await inner.parameters(), layout);
  const writeParams = async (flat: Float32Array) => {
    const values = layout.sizes.map((n) => new Float32Array(n));
    arena.unpackArena(flat, layout, values);
    const saved: UpdaterState = await inner.exportState();
    inner.dispose();
    await model.setParameters(values);
    inner = await create(s, model);
    await inner.importState(saved);
    inner.startEpoch(epoch);
  };
  const reduce = async (g: Float32Array[] | GPUBuffer[]): Promise<Float32Array[] | GPUBuffer[]> => {
    if (dp.size === 1 || s.distributed?.reduceType === "param") return g;
    if (g.length > 0 && !(g[0] instanceof Float32Array)) {
      // webgpu: one batched copy of every gradient into the arena, one write back.
      const buffers = g as GPUBuffer[];
      gpu ??= (await import("../distributed/gpu_arena.ts")).createArenaTransfer(
        model.device!,
        layout,
      );
      await gpu.read(buffers, grads);
      await dp.reduceGradients(grads);
      gpu.write(grads, buffers);
      return buffers;
    }
    arena.packArena(g as Float32Array[], layout, grads);
    await dp.reduceGradients(grads);
    return views;
  };
  const updater: Updater = {
    async step(g, learningRate, globalTrainStep) {
      await inner.step(await reduce(g), learningRate * factor, globalTrainStep);
      if (dp.size > 1 && s.distributed?.reduceType === "param") {
        const flat = await flatParams();
        if (await dp.afterStep(flat, epochStep)) await writeParams(flat);
      }
      epochStep++;
    },
    startEpoch(e) {
      epoch = e;
      epochStep = 0;
      inner.startEpoch(e);
    },
    reset: () => inner.reset(),
    parameters: () => inner.parameters(),
    exportState: () => inner.exportState(),
    importState: (state) => inner.importState(state),
    dispose() {
      gpu?.destroy();
      inner.dispose();
    },
  };
  return {
    updater,
    async broadcast() {
      if (dp.size === 1) return;
      const mine = await flatParams();
      const flat = mine.slice();
      await dp.broadcastParams(flat);
      // Ranks that start from the same seed (or checkpoint) hold rank 0's values already.
      if (!_same(flat, mine)) await writeParams(flat);
    },
    async endTrainEpoch() {
      if (dp.size === 1) return;
      const flat = await flatParams();
      if (await dp.endTrainEpoch(flat)) await writeParams(flat);
    },
  };
}

/** This rank's batches of an epoch: Horovod's shard, and the has-data check before each step. */
async function* _rankBatches<B>(
  dp: DataParallel,
  epoch: EpochBatches<B>,
  shard: boolean,
): AsyncGenerator<B> {
  const source = epoch.batches;
  const it: AsyncIterator<B> | Iterator<B> = Symbol.asyncIterator in source
    ? (source as AsyncIterable<B>)[Symbol.asyncIterator]()
    : (source as Iterable<B>)[Symbol.iterator]();
  let index = 0; // batch index in the epoch's full order (shard)
  try {
    for (let step = 0;; step++) {
      let next = await it.next();
      while (shard && !next.done && !dp.takesTrainBatch(index)) {
        index++;
        next = await it.next();
      }
      index++;
      if (!await dp.hasData(step, !next.done)) return;
      yield next.value as B;
    }
  } finally {
    await it.return?.();
  }
}

/** The train pass's mean loss over every rank's steps (one all-reduce). */
async function _summedPass(dp: DataParallel, pass: TrainPass): Promise<TrainPass> {
  if (dp.size === 1) return pass;
  const stats: Record<string, number> = { steps: pass.steps, loss: pass.score * pass.steps };
  pass.perOutput.forEach((l, i) => stats[`output${i}`] = l * pass.steps);
  const sum = await dp.sumStatistics(stats);
  return {
    ...pass,
    score: sum.loss / sum.steps,
    perOutput: pass.perOutput.map((_, i) => sum[`output${i}`] / sum.steps),
  };
}

/** The training dataset with this rank's seed offset (a dataset's own `random_seed_offset` wins). */
function _withSeedOffset(data: DataConfig, dp: DataParallel): DataConfig {
  const train = data.train;
  if (train === undefined || typeof train.dict !== "object" || train.dict === null) return data;
  const own = (train.dict as Record<string, unknown>).random_seed_offset;
  const offset = dp.randomSeedOffset(typeof own === "number" ? { datasetOffset: own } : {});
  if (offset === 0 || own !== undefined) return data;
  return { ...data, train: { ...train, dict: { ...train.dict, random_seed_offset: offset } } };
}

/** One queued call to the control, replayed with rank 0's values. */
type ControlCall =
  | { epoch: number; meta: Record<string, number | string> }
  | { epoch: number; scores: Record<string, number | Record<string, number>> };

/**
 * The control with rank 0's scores and meta: calls are queued and, at each save, rank 0's
 * queue is broadcast and replayed on every rank (RETURNN's fix of its issue 1493); only rank 0
 * writes the file.
 */
function _sharedControl(dp: DataParallel, inner: EpochControl): EpochControl {
  if (dp.size === 1) return inner;
  let queue: ControlCall[] = [];
  return {
    epochStartLearningRate: (e) => inner.epochStartLearningRate(e),
    explain: (e) => inner.explain(e),
    setEpochMeta(epoch, meta) {
      queue.push({ epoch, meta: { ...meta } });
    },
    setEpochError(epoch, scores) {
      queue.push({ epoch, scores: structuredClone(scores) });
    },
    async save() {
      const calls = await dp.shareScores(queue);
      queue = [];
      for (const c of calls) {
        if ("meta" in c) inner.setEpochMeta(c.epoch, c.meta);
        else inner.setEpochError(c.epoch, c.scores);
      }
      if (dp.isMain) await inner.save();
    },
  };
}

function _same(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
