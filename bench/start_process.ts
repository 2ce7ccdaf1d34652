/** `mmdbot start` as its own process, as deployed beside MMDAgent-EX (the bench's peers dial it). */
import { CLI_MAIN } from "../runtime/paths/project.ts";
import { RUNTIME_PERMISSIONS } from "../runtime/paths/invocation.ts";

/** Spawns `mmdbot start <mdf> --bots <manifest> --no-watch` with the runtime's permissions, quiet. */
export function spawnStart(mdf: string, manifest: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      // For profiling the runtime as deployed, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
      ...(Deno.env.get("MMDBOT_BENCH_DENO_FLAGS")?.split(" ").filter(Boolean) ?? []),
      ...RUNTIME_PERMISSIONS,
      CLI_MAIN,
      "start",
      mdf,
      "--bots",
      manifest,
      "--no-watch",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}
