/// <reference lib="dom" />
/**
 * The web demo's page script (bundled to `app.js` by `deno task web`): paste a config, train
 * with tfjs on newbob's GPU device (or, without WebGPU, tfjs wasm/cpu with newbob's CPU engine),
 * plot the loss and learning rate live, show each epoch's control decision, download the
 * learning-rate file. `window.__newbobWeb` exposes the state to the headless test.
 *
 * @module
 */

import { loadDigitsFor, settingsFromText, trainInMemory } from "./train_loop.ts";
import type { EpochReport, TrainInMemoryResult } from "./train_loop.ts";
import { acquireGpu } from "../../gpu/device.ts";
import type { BackendName } from "../../trainer/model_types.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const configBox = $<HTMLTextAreaElement>("config");
const trainButton = $<HTMLButtonElement>("train");
const stopButton = $<HTMLButtonElement>("stop");
const downloadButton = $<HTMLButtonElement>("download");
const statusBox = $<HTMLDivElement>("status");
const backendBox = $<HTMLDivElement>("backend");
const table = $<HTMLTableSectionElement>("epochs");
const plot = document.getElementById("plot") as unknown as SVGSVGElement;

/** Where each browser has WebGPU (for the no-WebGPU message). */
const WEBGPU_HELP = "WebGPU is not available in this browser. It is on by default in Chrome and " +
  "Edge 113+ on Windows, macOS and ChromeOS (Android: Chrome 121+), Safari 26+ and Firefox " +
  "141+ on Windows; on Linux enable chrome://flags/#enable-unsafe-webgpu (headless: " +
  "--enable-unsafe-webgpu). Training continues on the CPU: tfjs ";

const state = {
  ready: false,
  done: null as null | { ok: boolean; error?: string },
  backend: null as BackendName | null,
  optimizerBackend: null as string | null,
  adapter: null as string | null,
  epochs: [] as EpochReport[],
  learningRateFile: null as string | null,
  steps: [] as { step: number; loss: number; lr: number }[],
  device: null as GPUDevice | null,
  lost: null as string | null,
};

function setStatus(text: string, error = false) {
  statusBox.textContent = text;
  statusBox.className = error ? "error" : "";
}

function fmt(x: number, digits = 4): string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x);
}

/** Two panels: the logged mini-batch losses and the per-step learning rate, epochs marked. */
function drawPlot() {
  const W = 760, H = 330, left = 56, right = 12, gap = 28, top = 18, bottom = 26;
  const ph = (H - top - bottom - gap) / 2;
  const steps = state.steps;
  const n = Math.max(1, steps.at(-1)?.step ?? 1);
  const x = (s: number) => left + (s / n) * (W - left - right);
  const panel = (y0: number, values: number[], label: string, colour: string, log: boolean) => {
    const f = log ? (v: number) => Math.log10(Math.max(v, 1e-12)) : (v: number) => v;
    const vs = values.map(f);
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
    const y = (v: number) => y0 + ph - ((f(v) - lo) / (hi - lo)) * ph;
    const path = steps.map((s, i) =>
      `${i ? "L" : "M"}${x(s.step).toFixed(1)},${y(values[i]).toFixed(1)}`
    )
      .join("");
    const tick = (v: number) => log ? fmt(10 ** v, 2) : fmt(v, 3);
    return `<rect x="${left}" y="${y0}" width="${
      W - left - right
    }" height="${ph}" fill="#fafbfc" stroke="#ccc"/>` +
      `<text x="${left + 6}" y="${y0 + 13}">${label}</text>` +
      `<text x="${left - 4}" y="${y0 + 10}" text-anchor="end">${tick(hi)}</text>` +
      `<text x="${left - 4}" y="${y0 + ph}" text-anchor="end">${tick(lo)}</text>` +
      (steps.length ? `<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.5"/>` : "");
  };
  let marks = "";
  let at = 0;
  for (const e of state.epochs) {
    at += e.steps;
    marks += `<line x1="${x(at)}" x2="${x(at)}" y1="${top}" y2="${H - bottom}" stroke="#ddd"/>` +
      `<text x="${x(at) - 2}" y="${H - 8}" text-anchor="end">${e.epoch}</text>`;
  }
  plot.innerHTML = marks +
    panel(top, steps.map((s) => s.loss), "training loss (mini-batch, log scale)", "#c0392b", true) +
    panel(
      top + ph + gap,
      steps.map((s) => s.lr),
      "learning rate per step (log scale)",
      "#1f6fb2",
      true,
    ) +
    `<text x="${left}" y="${H - 8}" text-anchor="end">epoch</text>`;
}

function addEpochRow(e: EpochReport) {
  const tr = document.createElement("tr");
  for (
    const v of [
      String(e.epoch),
      fmt(e.learningRate),
      fmt(e.trainScore),
      fmt(e.devScore),
      `${(100 * (1 - e.devError)).toFixed(1)}%`,
      e.seconds.toFixed(2),
      `${e.decision.kind}: ${e.decision.text}`,
    ]
  ) {
    const td = document.createElement("td");
    td.textContent = v;
    tr.append(td);
  }
  table.append(tr);
}

/** The backend: webgpu on newbob's device when the browser has WebGPU, else wasm (then cpu). */
async function chooseBackend(): Promise<
  { backend: BackendName; device?: GPUDevice; note: string }
> {
  if (navigator.gpu) {
    try {
      const gpu = await acquireGpu();
      state.adapter = gpu.description;
      state.device = gpu.device;
      gpu.device.lost.then((info) => {
        state.lost =
          `The WebGPU device was lost (${info.reason}${
            info.message ? `: ${info.message}` : ""
          }): the model and the optimizer state on the GPU are gone. Reload the page to train ` +
          "again (browsers drop a device after a driver reset or a GPU hang); without a GPU the " +
          "page trains on the CPU";
        setStatus(state.lost, true);
      });
      return { backend: "webgpu", device: gpu.device, note: `webgpu on ${gpu.description}` };
    } catch (e) {
      return { backend: "wasm", note: `${WEBGPU_HELP}wasm (${(e as Error).message})` };
    }
  }
  return { backend: "wasm", note: `${WEBGPU_HELP}wasm` };
}

let running: AbortController | null = null;

async function train() {
  let settings;
  try {
    settings = settingsFromText(configBox.value);
  } catch (e) {
    // The same message as `cli.ts train pasted.json`.
    setStatus((e as Error).message, true);
    return;
  }
  running = new AbortController();
  trainButton.disabled = true;
  stopButton.disabled = false;
  downloadButton.disabled = true;
  table.textContent = "";
  state.epochs = [];
  state.steps = [];
  state.done = null;
  drawPlot();
  try {
    const choice = await chooseBackend();
    const wasmPaths = new URL(
      "/node_modules/@tensorflow/tfjs-backend-wasm/dist/",
      location.href,
    ).href;
    setStatus("loading the digits data...");
    const data = await loadDigitsFor(
      settings,
      new URL("/examples/data/digits.csv.gz", location.href),
    );
    setStatus(`training ${settings.numEpochs} epochs (${choice.note})...`);
    let result: TrainInMemoryResult;
    const run = (backend: BackendName) =>
      trainInMemory(settings, {
        backend,
        data,
        ...(choice.device && backend === "webgpu" ? { device: choice.device } : {}),
        wasmPaths,
        signal: running!.signal,
        hooks: {
          onStep(step, loss, lr) {
            state.steps.push({ step, loss, lr });
            if (state.steps.length % 5 === 0) drawPlot();
          },
          onEpoch(e) {
            state.epochs.push(e);
            addEpochRow(e);
            drawPlot();
            setStatus(
              `epoch ${e.epoch}/${settings.numEpochs}: dev accuracy ` +
                `${(100 * (1 - e.devError)).toFixed(1)}%, learning rate ${fmt(e.learningRate)}`,
            );
          },
        },
      });
    try {
      result = await run(choice.backend);
    } catch (e) {
      if (choice.backend !== "wasm" || running.signal.aborted) throw e;
      // The wasm backend could not start (its .wasm files): plain JavaScript kernels.
      choice.note += `; wasm failed (${(e as Error).message}), using tfjs cpu`;
      result = await run("cpu");
    }
    state.backend = choice.backend;
    state.optimizerBackend = result.optimizerBackend;
    state.learningRateFile = result.learningRateFile;
    backendBox.textContent = `${result.message}; newbob optimizer on ${result.optimizerBackend}` +
      (choice.backend === "webgpu" ? "" : `. ${choice.note}`);
    const last = result.epochs.at(-1)!;
    setStatus(
      `done: ${result.epochs.length} epochs, dev accuracy ${
        (100 * (1 - last.devError)).toFixed(1)
      }%` +
        ` (${result.epochs.reduce((s, e) => s + e.seconds, 0).toFixed(1)} s of training)`,
    );
    downloadButton.disabled = false;
    state.done = { ok: true };
  } catch (e) {
    const err = e as Error;
    const message = state.lost ??
      (err.name === "AbortError" ? "stopped" : `${err.name}: ${err.message}`);
    setStatus(message, err.name !== "AbortError");
    state.done = { ok: false, error: message };
  } finally {
    trainButton.disabled = false;
    stopButton.disabled = true;
    running = null;
  }
}

function download() {
  if (state.learningRateFile === null) return;
  const url = URL.createObjectURL(
    new Blob([state.learningRateFile], { type: "application/octet-stream" }),
  );
  const a = document.createElement("a");
  a.href = url;
  a.download = "learning_rates";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

trainButton.onclick = () => void train();
stopButton.onclick = () => running?.abort();
downloadButton.onclick = download;

(globalThis as Record<string, unknown>).__newbobWeb = {
  get ready() {
    return state.ready;
  },
  get done() {
    return state.done;
  },
  /** Destroy the GPU device as a driver reset would (for the test of the lost-device message). */
  loseDevice() {
    state.device?.destroy();
  },
  summary: () => ({
    backend: state.backend,
    optimizerBackend: state.optimizerBackend,
    adapter: state.adapter,
    epochs: state.epochs.map((e) => ({
      epoch: e.epoch,
      learningRate: e.learningRate,
      kind: e.decision.kind,
      decision: e.decision.text,
      devError: e.devError,
      seconds: e.seconds,
    })),
    loggedSteps: state.steps.length,
    status: statusBox.textContent,
    backendText: backendBox.textContent,
    learningRateFile: state.learningRateFile,
  }),
};

try {
  configBox.value = await (await fetch("./digits.json")).text();
  trainButton.disabled = false;
  setStatus(navigator.gpu ? "ready: press Train" : `ready. ${WEBGPU_HELP}wasm`);
  drawPlot();
} catch (e) {
  setStatus(`Cannot load the default config: ${(e as Error).message}`, true);
}
state.ready = true;
