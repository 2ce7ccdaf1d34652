/**
 * The CLI's own connection to MMDAgent-EX, for `send` and `listen` when no runtime is running for
 * the `.mdf` (or with `--direct`). On Linux, closing that connection ends MMDAgent-EX's service
 * (reference 7.5), so whoever closes it first prints {@link disconnectWarning}.
 */
import { basename, join } from "node:path";
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { formatFinding } from "../mdf/finding.ts";
import { loadMdf } from "../mdf/layer.ts";
import { planConnection } from "../mdf/plan.ts";
import type { ConnectionPlan } from "../mdf/plan_types.ts";
import { realClock } from "../clock/clock.ts";
import type { TrafficRecord } from "../record/schema.ts";
import type { LinkWithExtras } from "../transport/link.ts";
import { openLink } from "./open_link.ts";
import { mmdbotCommand, shellPath } from "../paths/invocation.ts";
import { createRuntime, type OperatorResult } from "./runtime.ts";
import { type Delivery, operatorDeliveries } from "./delivery.ts";

/** Why `send`/`listen` open their own connection (logged before they do). */
export function ownConnectionReason(mdfPath: string, direct: boolean): string {
  return direct
    ? "opening this command's own connection (--direct)"
    : `no runtime is running for ${mdfPath}; opening this command's own connection`;
}

/** What the CLI prints on stderr before it closes its own connection to MMDAgent-EX. */
export function disconnectWarning(mdfPath: string): string {
  return [
    "mmdbot: warning: closing this command's own connection to MMDAgent-EX.",
    "  On Linux, MMDAgent-EX does not survive a peer's disconnect: its Plugin_Remote thread",
    "  deadlocks (nothing is sent or received again, and it does not reconnect), or, with an audio",
    "  device open, the whole MMDAgent-EX process is killed.",
    `  To keep the avatar session: run \`${
      mmdbotCommand(`start ${shellPath(mdfPath)}`)
    }\` once and send through it,`,
    `  or use \`${
      mmdbotCommand(`send --keep ${shellPath(mdfPath)}`)
    }\` to keep this connection open while you type lines on stdin.`,
  ].join("\n");
}

/** Options of {@link openDirect}. */
export interface DirectOptions {
  /** Where MMDAgent-EX runs when it is the TCP server (default 127.0.0.1). */
  host?: string;
  /** Address to listen on when mmdbot is the server. */
  bind?: string;
  /** MMDAgent-EX's system `.mdf`, layered under the content's. */
  systemMdf?: string;
  /** Where the link logs (stderr in the CLI). */
  logger?: Logger;
  /** PEM text for a TLS WebSocket plan. */
  cert?: string;
  /** PEM private key text for a TLS WebSocket plan. */
  key?: string;
  /**
   * Hears every record from the very first line: registered before the connection's lines are
   * handled (a listener added after `openDirect` resolves can miss what MMDAgent-EX sent at once).
   */
  onRecord?: (r: TrafficRecord) => void;
}

/** Result of one {@link DirectLink.send}. */
export type DirectSendResult = OperatorResult;

export type { DeliverResult, Delivery } from "./delivery.ts";

/** The CLI's own connection. */
export interface DirectLink {
  /** The plan read from the `.mdf`. */
  readonly plan: ConnectionPlan;
  /** The link in words, e.g. `tcp client → 127.0.0.1:50001`. */
  readonly describe: string;
  /** Resolves with the connection id once MMDAgent-EX is connected; rejects after `timeoutMs`. */
  connected(timeoutMs: number): Promise<string>;
  /** True once any connection to MMDAgent-EX was made (closing then has consequences). */
  readonly everConnected: boolean;
  /** The operator's outbound path (ACL, guard, echo mark), then the link. */
  send(line: string, allowDangerous: boolean): Promise<DirectSendResult>;
  /**
   * The operator's outbound path, the link, then MMDAgent-EX's echo of the line: MMDAgent-EX
   * echoes every line it issues to every peer, so the echo proves it took the line from the socket
   * (closing before that loses it: reference 7.5). A written line whose echo does not come within
   * `echoTimeoutMs` is `not-delivered`. `sent` settles once the line is written (or refused), so
   * a caller can write the next line while this one's echo is awaited.
   */
  deliver(line: string, allowDangerous: boolean, echoTimeoutMs: number): Delivery;
  /** Calls `fn` with every inbound line and every line sent (bot `operator`), as records. */
  onRecord(fn: (r: TrafficRecord) => void): void;
  /** Flushes and closes (the caller prints the warning first). */
  close(): Promise<void>;
}

/**
 * Plans the connection from the `.mdf` and opens it. Throws with the `.mdf`'s own words when it
 * configures no Plugin_Remote connection or has errors.
 */
export async function openDirect(
  mdfPath: string,
  options: DirectOptions = {},
): Promise<DirectLink> {
  const logger = options.logger ?? silentLogger;
  const doc = await loadMdf(mdfPath, { systemPath: options.systemMdf });
  const planned = planConnection(doc, { host: options.host ?? "127.0.0.1", bind: options.bind });
  const errors = planned.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) throw new Error(errors.map(formatFinding).join("\n"));
  const plan = planned.plan;
  if (plan.mode === "none" || plan.mode === "stdio") {
    throw new Error(
      `${mdfPath} configures no Plugin_Remote connection (${
        plan.mode === "none" ? plan.reason : "stdio"
      }); run \`${mmdbotCommand(`check ${shellPath(mdfPath)}`)}\` to see why`,
    );
  }
  const fst = join(doc.dir, basename(doc.content.file).replace(/\.mdf$/i, "") + ".fst");
  const link: LinkWithExtras = await openLink(plan, {
    logger,
    cert: options.cert,
    key: options.key,
  });
  // The same composition as `start`, with no bots: the operator's lines take the one outbound path.
  const runtime = createRuntime({
    manifest: { file: mdfPath, bots: [] },
    link,
    clock: realClock,
    logger,
    launcher: () => {
      throw new Error("the CLI's own connection runs no bots");
    },
    content: { hasStartupFst: await exists(fst) },
  });
  let current: string | undefined;
  let everConnected = false;
  const waiters: ((conn: string) => void)[] = [];
  runtime.onLinkState((ev) => {
    logger.debug(`link ${ev.state}`, { connection: ev.connection, detail: ev.detail });
    if (ev.state === "connected" && ev.connection) {
      current = ev.connection;
      everConnected = true;
      logger.info("connected to MMDAgent-EX", { connection: ev.connection });
      for (const w of waiters.splice(0)) w(ev.connection);
    } else if (ev.state === "disconnected") {
      current = undefined;
    }
  });
  const deliveries = operatorDeliveries(runtime);
  if (options.onRecord) runtime.tap.onRecord(options.onRecord);
  await runtime.start();

  return {
    plan,
    describe: link.describe,
    get everConnected() {
      return everConnected;
    },
    connected(timeoutMs) {
      if (current) return Promise.resolve(current);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(done);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(notConnected(plan, timeoutMs)));
        }, timeoutMs);
        const done = (conn: string) => {
          clearTimeout(timer);
          resolve(conn);
        };
        waiters.push(done);
      });
    },
    send: (line, allowDangerous) => runtime.sendAsOperator(line, { allowDangerous }),
    deliver: (line, allowDangerous, echoTimeoutMs) =>
      deliveries.deliver(line, { allowDangerous, echoTimeoutMs }),
    onRecord(fn) {
      runtime.tap.onRecord(fn);
    },
    close: () => runtime.stop(),
  };
}

function notConnected(plan: ConnectionPlan, timeoutMs: number): string {
  const s = `${timeoutMs / 1000} s`;
  switch (plan.mode) {
    case "tcp-client":
      return `could not connect to MMDAgent-EX at ${plan.host}:${plan.port} within ${s}: is it ` +
        "running with this .mdf (Plugin_Remote_EnableServer=true)? (--timeout waits longer)";
    case "tcp-server":
    case "ws-server":
      return `MMDAgent-EX did not connect to ${plan.bind}:${plan.port} within ${s}: start it with ` +
        "this .mdf (it gives up after Plugin_Remote_RetryCount tries) (--timeout waits longer)";
    default:
      return `no connection within ${s}`;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
