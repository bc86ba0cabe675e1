/**
 * GPU test gate shared by every GPU test. When no WebGPU adapter exists, GPU tests are
 * registered as ignored and a loud notice is printed; when `NEWBOB_REQUIRE_GPU=1` (set by
 * `.ci/run` after it made sure an adapter exists) a missing adapter fails instead.
 *
 * @module
 */

const adapter = await navigator.gpu?.requestAdapter().catch(() => null) ?? null;

/** Whether a WebGPU adapter is available to the tests. */
export const hasGpu: boolean = adapter !== null;

let warned = false;

/** Register a test that needs a WebGPU adapter (skipped loudly when none is found). */
export function gpuTest(name: string, fn: (t: Deno.TestContext) => Promise<void> | void): void {
  const required = Deno.env.get("NEWBOB_REQUIRE_GPU") === "1";
  if (!hasGpu && !required) {
    if (!warned) {
      warned = true;
      console.warn(
        "\n!!! No WebGPU adapter: GPU tests are SKIPPED (install mesa-vulkan-drivers libvulkan1," +
          " or set DENO_WEBGPU_BACKEND=gl). Set NEWBOB_REQUIRE_GPU=1 to make this an error.\n",
      );
    }
    Deno.test({ name: `[gpu] ${name}`, ignore: true, fn });
    return;
  }
  Deno.test({
    name: `[gpu] ${name}`,
    fn: (t) => {
      if (!hasGpu) throw new Error("NEWBOB_REQUIRE_GPU=1 but no WebGPU adapter was found");
      return fn(t);
    },
  });
}

/** Make a fresh temporary folder under `.tmp/` (the only place tests may write). */
export async function tempDir(prefix = "test-"): Promise<string> {
  await Deno.mkdir(".tmp", { recursive: true });
  return await Deno.makeTempDir({ dir: ".tmp", prefix });
}

/**
 * Register one test body twice: `<name> (cpu)` as a plain test and `<name> (webgpu)` through
 * {@linkcode gpuTest}.
 */
export function both(name: string, fn: (backend: "cpu" | "webgpu") => Promise<void>): void {
  Deno.test(`${name} (cpu)`, () => fn("cpu"));
  gpuTest(`${name} (webgpu)`, () => fn("webgpu"));
}
