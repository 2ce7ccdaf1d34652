/**
 * Opens the session-long link a {@link ConnectionPlan} asks for: the one place where the `.mdf`'s
 * plan meets the transports (which know nothing of `.mdf` files), used by `start` and by the CLI's
 * own connection.
 */
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import type { ConnectionPlan } from "../mdf/plan_types.ts";
import type { BackoffOptions } from "../transport/backoff.ts";
import { createLink, type LinkWithExtras } from "../transport/link.ts";
import { stdioConn, type StdioStreams } from "../transport/stdio.ts";
import { dialTcp } from "../transport/tcp_client.ts";
import { listenTcp } from "../transport/tcp_server.ts";
import type { OverflowPolicy } from "../transport/types.ts";
import { listenWs } from "../transport/ws_server.ts";

/** Options of {@link openLink}. */
export interface OpenLinkOptions {
  clock?: Clock;
  logger?: Logger;
  /** Inbound line limit in bytes (default 256 KiB). */
  maxLineBytes?: number;
  /** Outbound queue capacity in units while disconnected (default 1000). */
  queueLimit?: number;
  /** What a full queue loses (default `drop-oldest`). */
  overflow?: OverflowPolicy;
  /** PEM certificate text (not a path) for a TLS WebSocket plan (port 443). */
  cert?: string;
  /** PEM private key text (not a path) for a TLS WebSocket plan. */
  key?: string;
  /** Reconnect delays when mmdbot is the client. */
  backoff?: BackoffOptions;
  /** How long `close()` waits for accepted units to be written (default 5 s). */
  flushTimeoutMs?: number;
  /** Replace stdin/stdout for the stdio plan (tests). */
  stdio?: Partial<StdioStreams>;
}

/**
 * Opens a link for `plan`. Server plans are listening when this resolves (a bind error rejects
 * here, with the address in the message); client plans start dialling in the background.
 *
 * @example
 * const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port: 50001 }, { logger });
 * for await (const ev of link.events()) console.log(ev);
 */
export async function openLink(
  plan: ConnectionPlan,
  options: OpenLinkOptions = {},
): Promise<LinkWithExtras> {
  const logger = (options.logger ?? silentLogger).child("link");
  const common = {
    clock: options.clock,
    logger,
    maxLineBytes: options.maxLineBytes,
    queueLimit: options.queueLimit,
    overflow: options.overflow,
    backoff: options.backoff,
    flushTimeoutMs: options.flushTimeoutMs,
  };
  switch (plan.mode) {
    case "tcp-client": {
      const target = `${plan.host}:${plan.port}`;
      return createLink(
        { kind: "dial", target, dial: (signal) => dialTcp(plan.host, plan.port, signal) },
        { ...common, describe: `tcp client → ${target}` },
      );
    }
    case "tcp-server": {
      let listener;
      try {
        listener = listenTcp(plan.bind, plan.port);
      } catch (err) {
        throw bindError(`${plan.bind}:${plan.port}`, err);
      }
      return createLink(
        { kind: "listen", listener },
        { ...common, describe: `tcp server on ${listener.address}` },
      );
    }
    case "ws-server": {
      let tls: { cert: string; key: string } | undefined;
      if (plan.tls) {
        if (!options.cert || !options.key) {
          throw new Error(
            `port ${plan.port} means MMDAgent-EX speaks wss (TLS only on port 443): ` +
              "give --cert and --key (PEM files)",
          );
        }
        tls = { cert: options.cert, key: options.key };
      }
      let listener;
      try {
        listener = await listenWs({
          bind: plan.bind,
          port: plan.port,
          path: plan.path,
          tls,
          logger,
        });
      } catch (err) {
        throw bindError(`${plan.bind}:${plan.port}`, err);
      }
      return createLink(
        { kind: "listen", listener },
        { ...common, describe: `websocket server on ${listener.address}` },
      );
    }
    case "stdio":
      return createLink(
        { kind: "single", conn: stdioConn(options.stdio) },
        { ...common, describe: "stdio (Plugin_AnyScript child)" },
      );
    case "none":
      throw new Error(`no connection to open: ${plan.reason}`);
  }
}

function bindError(where: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  const hint = /in use/i.test(msg)
    ? " (another program, or another mmdbot, already listens there)"
    : /permission|denied/i.test(msg)
    ? " (ports below 1024 need privileges)"
    : "";
  return new Error(`cannot listen on ${where}: ${msg}${hint}`, { cause: err });
}
