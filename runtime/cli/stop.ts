/**
 * `mmdbot stop [mdf]`: asks the runtime running for an `.mdf` (or console mode) to shut down
 * cleanly (flush what was accepted, close MMDAgent-EX's connection once) and waits until it has.
 */
import type { Command } from "commander";
import { requireRuntime } from "../control/client.ts";
import { fail } from "./program.ts";

const HELP_AFTER = `
Stopping closes the runtime's connection to MMDAgent-EX; on Linux that ends MMDAgent-EX's
Plugin_Remote service (it deadlocks or is killed), so stop MMDAgent-EX too, or restart it.

Examples:
  mmdbot stop examples/tcp-server.mdf
  mmdbot stop                        # the console-mode runtime
`;

/** Adds `stop` to the program. */
export function register(program: Command): void {
  program
    .command("stop")
    .description("stop the runtime running for an .mdf, cleanly, and wait until it has")
    .argument("[mdf]", "the content's .mdf (without it: the console-mode runtime)")
    .option("--timeout <seconds>", "how long to wait for the runtime to finish", "30")
    .addHelpText("after", HELP_AFTER)
    .action(async (mdf: string | undefined, opts: { timeout: string }) => {
      try {
        const client = await requireRuntime(mdf);
        try {
          await client.stop(Number(opts.timeout) * 1000 || 30_000);
          console.log(`stopped the runtime (pid ${client.hello.pid})`);
        } finally {
          client.close();
          await client.closed;
        }
      } catch (err) {
        console.error(`mmdbot stop: ${err instanceof Error ? err.message : String(err)}`);
        fail(1);
      }
    });
}
