import { deepEqual, equal } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { subnormalModes } from "./subnormals.ts";

gpuTest(
  "subnormalModes: Deno's adapter keeps subnormals; the probe is cached per device",
  async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    try {
      const modes = await subnormalModes(device);
      // Mesa's llvmpipe/lavapipe (the adapters CI has) keep subnormals, like the CPU.
      if (/llvmpipe|lavapipe/i.test(adapter!.info.description)) {
        deepEqual(modes, { flushesInputs: false, flushesResults: false });
      }
      equal(subnormalModes(device), subnormalModes(device));
    } finally {
      device.destroy();
    }
  },
);
