/**
 * `mmdbot worker --broker <url>`: runs the manifest's bots for avatars whose edges joined the same
 * broker (`start --broker`), competing with other workers for each avatar's events (one worker
 * per avatar at a time; a dead worker's avatars move to another). Runs until Ctrl-C / SIGTERM.
 */
import type { Command } from "commander";
import { fail, loggerFor } from "./program.ts";
import { loadManifest, ManifestError } from "../manifest/load.ts";
import { withStartLoadTimeout } from "../manifest/types.ts";
import { DEFAULT_MANIFEST, manifestPath } from "../paths/project.ts";
import { detectSandbox, weakerWarning } from "../sandbox/detect.ts";
import { createLauncher } from "../sandbox/launcher.ts";
import { onInterrupt } from "../control/interrupt.ts";
import { killEveryBotNow } from "../host/process.ts";
import { startWorker } from "../broker/worker.ts";
import { AvatarName } from "../broker/topology.ts";

interface WorkerCliOptions {
  broker?: string;
  bots?: string;
  name?: string;
  avatar?: string[];
}

/** Adds `worker`. */
export function register(program: Command): void {
  program.command("worker")
    .description("run the bots for avatars that joined a RabbitMQ broker (scale-out)")
    .option(
      "--broker <url>",
      "the broker, amqp://user:pass@host:5672/vhost (default MMDBOT_BROKER)",
    )
    .option("--bots <manifest>", `bot manifest (default: ${DEFAULT_MANIFEST})`)
    .option("--name <name>", "this worker's name in logs and the broker (default: host name + pid)")
    .option(
      "--avatar <name...>",
      "serve only these avatars (default: every avatar an edge announces)",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ mmdbot start content.mdf --broker amqp://guest:guest@broker:5672 --avatar kiosk1
  $ mmdbot worker --broker amqp://guest:guest@broker:5672
  $ MMDBOT_BROKER=amqp://guest:guest@broker:5672 mmdbot worker --avatar kiosk1 --avatar kiosk2

Every bot of the manifest runs once per avatar this worker serves. Start two or more workers:
each avatar is served by one of them at a time, and by another within seconds when it dies.
The edge checks every line a worker sends as it checks a local bot's (ACL, rate limit, guard).`,
    )
    .action(async (opts: WorkerCliOptions, cmd: Command) => {
      const logger = loggerFor(cmd);
      const url = opts.broker ?? Deno.env.get("MMDBOT_BROKER");
      if (!url) {
        logger.error(
          "worker needs a broker: --broker amqp://user:pass@host:5672 (or MMDBOT_BROKER)",
        );
        return fail(2);
      }
      try {
        new URL(url);
      } catch {
        logger.error(`--broker ${JSON.stringify(url)} is not a URL (amqp://user:pass@host:5672)`);
        return fail(2);
      }
      for (const a of opts.avatar ?? []) {
        const r = AvatarName.safeParse(a);
        if (!r.success) {
          logger.error(`--avatar ${JSON.stringify(a)}: ${r.error.issues[0].message}`);
          return fail(2);
        }
      }
      let manifest;
      try {
        manifest = withStartLoadTimeout(await loadManifest(manifestPath(opts.bots)));
      } catch (err) {
        logger.error(err instanceof ManifestError ? err.message : String(err));
        return fail(1);
      }
      const sandbox = await detectSandbox({
        force: Deno.env.get("MMDBOT_SANDBOX") === "deno" ? "deno" : undefined,
      });
      if (sandbox.level === "deno") logger.warn(weakerWarning(sandbox));
      const worker = startWorker({
        url,
        name: opts.name ?? `${Deno.hostname()}-${Deno.pid}`,
        manifest,
        launcher: createLauncher(sandbox),
        logger,
        avatars: opts.avatar,
      });
      const interrupt = onInterrupt({ beforeExit: () => killEveryBotNow() });
      await interrupt.fired;
      logger.info("worker stopping (press Ctrl-C again to exit at once)");
      await worker.stop();
      interrupt.dispose();
    });
}
