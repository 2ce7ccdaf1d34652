/**
 * `mmdbot start [mdf]`: runs the bots against MMDAgent-EX as the `.mdf` says (taking the opposite
 * role), or against the in-process emulator in console mode when no `.mdf` (or no transport) is
 * given. One connection for the whole session; SIGINT/SIGTERM close it once, cleanly.
 */
import type { Command } from "commander";
import { fail, loggerFor } from "./program.ts";
import { SessionError, startSession } from "../session/session.ts";
import { runConsole } from "../console/console.ts";
import { loadManifest, ManifestError } from "../manifest/load.ts";
import { type BrokerEdge, brokerEdge } from "../broker/edge.ts";
import { AvatarName } from "../broker/topology.ts";
import { defaultStoreDir } from "../store/stores.ts";
import type { Logger } from "../log/logger.ts";
import { DEFAULT_MANIFEST, manifestPath } from "../paths/project.ts";
import { onInterrupt } from "../control/interrupt.ts";
import { killEveryBotNow } from "../host/process.ts";

/** The longest a graceful stop may take before the process exits anyway. */
export const STOP_BOUND_MS = 10_000;
import { DashboardError } from "../dashboard/server.ts";
import { dashboardService } from "../dashboard/service.ts";

interface StartOptions {
  bots?: string;
  host?: string;
  bind?: string;
  stdio?: boolean;
  console?: boolean;
  record?: string;
  force?: boolean;
  watch: boolean;
  voice: boolean;
  cert?: string;
  key?: string;
  maxLineBytes?: string;
  queueLines?: string;
  verbose?: boolean;
  dashboard?: boolean | string;
  broker?: string;
  avatar?: string;
  remote?: string;
}

/**
 * The dashboard's port from `--dashboard [port]` / `--no-dashboard`, else from the environment's
 * default `MMDBOT_DASHBOARD` (`1`/`on` for a free port, a number for that port, `0`/`off` for none):
 * undefined means no dashboard, 0 a free port.
 */
export function dashboardPort(
  value: boolean | string | undefined,
  env: string | undefined = Deno.env.get("MMDBOT_DASHBOARD"),
): number | undefined {
  if (value === undefined && env !== undefined && env !== "") {
    const v = env.trim().toLowerCase();
    if (v === "0" || v === "off" || v === "false" || v === "no") return undefined;
    if (v === "1" || v === "on" || v === "true" || v === "yes") return 0;
    if (!/^\d+$/.test(v) || Number(v) > 65535) {
      throw new DashboardError(
        `MMDBOT_DASHBOARD=${
          JSON.stringify(env)
        }: expected 1 (a free port), a port number, or 0 (off)`,
      );
    }
    return Number(v);
  }
  if (value === undefined || value === false) return undefined;
  if (value === true) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DashboardError(
      `--dashboard ${
        JSON.stringify(value)
      }: expected a port number (1-65535), or no value for a free port`,
    );
  }
  return port;
}

/**
 * The broker edge `start` joins, from `--broker`/`--avatar`/`--remote` or MMDBOT_BROKER /
 * MMDBOT_AVATAR / MMDBOT_REMOTE; undefined without a broker URL.
 */
async function edgeOf(
  opts: StartOptions,
  manifestFile: string,
  logger: Logger,
): Promise<{ service: BrokerEdge; remote: string[] } | undefined> {
  const url = opts.broker ?? Deno.env.get("MMDBOT_BROKER");
  if (!url) return undefined;
  try {
    new URL(url);
  } catch {
    throw new Error(`--broker ${JSON.stringify(url)} is not a URL (amqp://user:pass@host:5672)`);
  }
  const avatar = opts.avatar ?? Deno.env.get("MMDBOT_AVATAR") ??
    Deno.hostname().replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
  const name = AvatarName.safeParse(avatar);
  if (!name.success) {
    throw new Error(`--avatar ${JSON.stringify(avatar)}: ${name.error.issues[0].message}`);
  }
  const list = opts.remote ?? Deno.env.get("MMDBOT_REMOTE");
  const remote = list
    ? list.split(",").map((s) => s.trim()).filter((s) => s !== "")
    : (await loadManifest(manifestFile)).bots.map((b) => b.name);
  // Beside the bots' stores: the handled-command watermarks, so a restarted edge writes no
  // redelivered command twice.
  const stateDir = defaultStoreDir(manifestFile);
  return { service: brokerEdge({ url, avatar, remoteBots: remote, logger, stateDir }), remote };
}

/** Adds `start`. */
export function register(program: Command): void {
  program.command("start")
    .argument("[mdf]", "the content's .mdf (omit for console mode)")
    .description("run the bots: against MMDAgent-EX as the .mdf says, or in console mode")
    .option(
      "--bots <manifest>",
      `bot manifest (default: ${DEFAULT_MANIFEST}, whatever the working directory; ` +
        "a relative path is resolved against the working directory)",
    )
    .option("--host <host>", "where MMDAgent-EX runs when it is the TCP server", "127.0.0.1")
    .option("--bind <address>", "listen address when mmdbot is the server (default from .mdf)")
    .option(
      "--stdio",
      "run as a Plugin_AnyScript child: MMDAgent-EX's lines on stdin/stdout (with or without " +
        "an .mdf; never console mode)",
    )
    .option("--console", "console mode even if the .mdf configures a transport")
    .option("--record <file.jsonl>", "write every line in and out (replay it with `replay`)")
    .option("--force", "start even when check reports errors (e.g. TCP and WebSocket together)")
    .option("--no-watch", "do not reload bots when their files change")
    .option("--no-voice", "console mode: answer speech as a content without a voice (echo only)")
    .option("--cert <file>", "PEM certificate for a wss plan (Websocket_Port=443)")
    .option("--key <file>", "PEM private key for a wss plan")
    .option("--max-line-bytes <n>", "outbound line limit in bytes (default 1800, at most 2000)")
    .option(
      "--queue-lines <n>",
      "lines held for MMDAgent-EX while it is away or slow (default 1000); when full, the bot " +
        "holding the most loses its oldest",
    )
    .option(
      "-v, --verbose",
      "show the traffic readably, both directions, with the bot behind each line (console mode: " +
        "also every line MMDAgent-EX sends; --stdio: on stderr)",
    )
    .option(
      "--dashboard [port]",
      "serve the live dashboard on 127.0.0.1 (a free port unless given); open the printed URL. " +
        "Default from MMDBOT_DASHBOARD (1, a port, or 0)",
    )
    .option("--no-dashboard", "no dashboard, whatever MMDBOT_DASHBOARD says")
    .option(
      "--broker <url>",
      "join a RabbitMQ broker as this avatar's edge: workers (`mmdbot worker`) run the bots " +
        "(default MMDBOT_BROKER)",
    )
    .option(
      "--avatar <name>",
      "this avatar's name on the broker (default MMDBOT_AVATAR, else the host name)",
    )
    .option(
      "--remote <bots>",
      "with --broker: the bots workers run, comma-separated (default: all); the others run here",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ mmdbot start                              console mode: type what the user says
  $ echo hello | mmdbot start                 console mode from a pipe, exits at EOF
  $ mmdbot start examples/tcp-server.mdf      MMDAgent-EX listens: mmdbot connects
  $ mmdbot start examples/websocket.mdf       MMDAgent-EX connects to mmdbot's WebSocket server
  $ mmdbot start --stdio content.mdf          as a Plugin_AnyScript child (stdout = messages only)
  $ mmdbot start examples/tcp-client.mdf --record session.jsonl
  $ mmdbot start examples/tcp-server.mdf --dashboard   live view in the browser (URL printed)
  $ mmdbot start content.mdf --broker amqp://guest:guest@broker:5672 --avatar kiosk1
                                              an avatar edge; \`mmdbot worker\`s run the bots

While it runs, \`send\`, \`listen\`, \`status\`, \`reload\` and \`stop\` for the same .mdf go
through this runtime's connection: never open a second one (on Linux, MMDAgent-EX's Plugin_Remote
breaks when a peer disconnects).`,
    )
    .action(async (mdf: string | undefined, opts: StartOptions, cmd: Command) => {
      const logger = loggerFor(cmd);
      if (opts.stdio && opts.console) {
        logger.error(
          "--stdio and --console exclude each other: --stdio makes stdin/stdout MMDAgent-EX's " +
            "messages, --console makes them the user's terminal",
        );
        return fail(2);
      }
      let port: number | undefined;
      try {
        port = dashboardPort(opts.dashboard);
      } catch (err) {
        logger.error((err as Error).message);
        return fail(2);
      }
      // Started with the runtime, before the bots, so the page also shows their start-up.
      const dashboard = port === undefined ? undefined : dashboardService({
        port,
        mdf,
        startedAt: new Date().toISOString(),
        logger,
        onReady: (d) =>
          logger.info(
            `dashboard: ${d.url} (open it in a browser on this machine; the token is its key)`,
          ),
      });
      const readPem = (p?: string) => (p ? Deno.readTextFileSync(p) : undefined);
      let edge: { service: BrokerEdge; remote: string[] } | undefined;
      try {
        edge = await edgeOf(opts, manifestPath(opts.bots), logger);
      } catch (err) {
        logger.error((err as Error).message);
        return fail(err instanceof ManifestError ? 1 : 2);
      }
      const services = [...(dashboard ? [dashboard] : []), ...(edge ? [edge.service] : [])];
      let session;
      try {
        session = await startSession({
          mdf,
          manifest: manifestPath(opts.bots),
          host: opts.host,
          bind: opts.bind,
          stdio: opts.stdio,
          console: opts.console,
          record: opts.record,
          force: opts.force,
          watch: opts.watch,
          cert: readPem(opts.cert),
          key: readPem(opts.key),
          maxLineBytes: opts.maxLineBytes ? Number(opts.maxLineBytes) : undefined,
          queueLines: opts.queueLines ? Number(opts.queueLines) : undefined,
          emulator: { voice: opts.voice },
          services,
          trafficView: opts.verbose,
          remoteBots: edge?.remote,
          logger,
        });
      } catch (err) {
        if (err instanceof SessionError || err instanceof ManifestError) {
          logger.error(err.message);
          return fail(1);
        }
        logger.error(err instanceof Error ? err.message : String(err));
        return fail(1);
      }
      // First Ctrl-C (or SIGTERM): graceful stop, bounded; the second: out at once. Either way
      // no bot process is left (each runs in its own session, out of the terminal's reach).
      const interrupt = onInterrupt({ beforeExit: () => killEveryBotNow() });
      let forced: ReturnType<typeof setTimeout> | undefined;
      let consoleDone = !session.emulator;
      const stopping = interrupt.fired.then(() => {
        logger.info("stopping (press Ctrl-C again to exit at once)");
        forced = setTimeout(() => {
          const at = session.stopPhase ?? (consoleDone ? "ending" : "closing the console");
          logger.error(
            `the session did not stop within ${STOP_BOUND_MS / 1000} s (stuck ${at}); exiting now`,
          );
          killEveryBotNow();
          Deno.exit(1);
        }, STOP_BOUND_MS);
        return session.stop();
      });
      try {
        if (session.emulator) {
          // Once the session has ended (Ctrl-C, or the link ended), the console has nothing left
          // to show: it must not hold the exit (its stdin read cannot be cancelled).
          const consoleRun = runConsole(session, {
            verbose: opts.verbose,
            signal: interrupt.signal,
          })
            .catch((err) => {
              logger.error(`console failed: ${err instanceof Error ? err.message : err}`);
              fail(1);
            });
          await Promise.race([consoleRun, session.ended]);
          consoleDone = true;
          await session.stop();
        }
        await Promise.race([session.ended, stopping]);
        await session.ended;
      } finally {
        clearTimeout(forced);
        interrupt.dispose();
      }
      // A read of stdin may still be pending (console mode after Ctrl-C); it would keep the
      // process alive, so end it here, with every cleanup above already done.
      if (interrupt.which !== undefined) Deno.exit(Number(Deno.exitCode ?? 0));
    });
}
