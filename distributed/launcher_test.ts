import { deepEqual, throws } from "node:assert/strict";
import { denoEnvReader, detectLaunch, LAUNCH_ENV_VARS } from "./launcher.ts";
import { DistributedError } from "./errors.ts";

Deno.test("launcher: MPICH's PMI variables, Open MPI's, none", () => {
  const env = (e: Record<string, string>) => (k: string) => e[k];
  deepEqual(detectLaunch(env({ PMI_RANK: "2", PMI_SIZE: "4" })), {
    launcher: "mpich",
    rank: 2,
    size: 4,
  });
  deepEqual(
    detectLaunch(env({ OMPI_COMM_WORLD_RANK: "0", OMPI_COMM_WORLD_SIZE: "2" })),
    { launcher: "openmpi", rank: 0, size: 2 },
  );
  deepEqual(detectLaunch(env({})), { launcher: "none", rank: 0, size: 1 });
  throws(() => detectLaunch(env({ PMI_SIZE: "two" })), /PMI_SIZE as it must be an integer >= 1/);
  throws(() => detectLaunch(env({ PMI_SIZE: "0" })), DistributedError);
});

Deno.test("launcher: an environment variable it may not read is an error naming the flag", () => {
  // The test task grants no PMI_* variables: the reader must refuse, never report "unset".
  const read = denoEnvReader();
  throws(
    () => read("PMI_SIZE"),
    (e: Error) =>
      e instanceof DistributedError &&
      e.message.includes(`--allow-env=${LAUNCH_ENV_VARS.join(",")}`),
  );
});
