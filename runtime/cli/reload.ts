/**
 * `mmdbot reload [mdf] [bot]`: asks the running runtime to reload one bot or all of them. Reloads
 * never touch the connection to MMDAgent-EX.
 */
import type { Command } from "commander";
import { requireRuntime } from "../control/client.ts";
import { fail } from "./program.ts";

const HELP_AFTER = `
With one argument, an existing file is taken as the .mdf, anything else as a bot of the
console-mode runtime.

Examples:
  mmdbot reload examples/tcp-server.mdf           # every bot
  mmdbot reload examples/tcp-server.mdf greeter   # one bot
  mmdbot reload greeter                           # a bot of the console-mode runtime
`;

/** Adds `reload` to the program. */
export function register(program: Command): void {
  program
    .command("reload")
    .description("reload the bots of the runtime running for an .mdf (its connection stays up)")
    .argument("[mdf]", "the content's .mdf (without it: the console-mode runtime)")
    .argument("[bot]", "the bot to reload (default: all)")
    .addHelpText("after", HELP_AFTER)
    .action(async (first: string | undefined, second: string | undefined) => {
      let mdf = first;
      let bot = second;
      if (first !== undefined && second === undefined && !(await isFile(first))) {
        mdf = undefined;
        bot = first;
      }
      try {
        const client = await requireRuntime(mdf);
        try {
          const names = await client.reload(bot);
          console.log(names.length === 0 ? "no bot reloaded" : `reloaded: ${names.join(", ")}`);
        } finally {
          client.close();
          await client.closed;
        }
      } catch (err) {
        console.error(`mmdbot reload: ${err instanceof Error ? err.message : String(err)}`);
        fail(1);
      }
    });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
