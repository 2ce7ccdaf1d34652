/**
 * MMDAgent-EX's TCP client side (reference 2.3): connect to `Plugin_Remote_Hostname:Port` (IPv4),
 * one try plus `Plugin_Remote_RetryCount` retries 0.5 s apart; when the connection is lost, the
 * same routine runs once more and a failed routine ends the network thread for good. No
 * `REMOTE_EVENT_CONNECTED` is emitted; the first connection of the process receives the start-up
 * lines (7.1) because MMDAgent-EX connects during its own start-up.
 *
 * On Linux the real binary does not survive a peer's disconnect (reference 7.5): the emulator
 * follows the source (it reconnects) and says so loudly; with `breakOnDisconnect` (used by
 * `--strict=crash`) it ends the session there, as the observed binary does.
 */
import type { Clock } from "../clock/clock.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import type { Emulator } from "./core.ts";

/** Pause between connection attempts (`PLUGIN_REMOTE_CONNECTION_ERROR_RETRY_INTERVAL_SEC`). */
export const RETRY_INTERVAL_MS = 500;

/** Why a client side ended. */
export type ClientEnd =
  /** `close()` was called. */
  | "closed"
  /** Every try of a connect routine failed: MMDAgent-EX never tries again. */
  | "gave-up"
  /** A disconnect ended the session, as it does on the real binary on Linux (reference 7.5). */
  | "broken"
  /** The emulated process crashed, or `PLUGIN_DISABLE|Remote` stopped the network thread. */
  | "stopped";

/** A running client side (TCP or WebSocket). */
export interface ClientSide {
  /** Resolves once, when the side ends for good. */
  readonly done: Promise<ClientEnd>;
  /** Successful connections so far. */
  readonly connections: number;
  /** True while a connection is open. */
  readonly connected: boolean;
  /** Stops retrying, closes the connection and resolves when everything is released. */
  close(): Promise<void>;
}

/** Options of {@link connectTcp}. */
export interface TcpClientOptions {
  /** `Plugin_Remote_Hostname` (resolved as IPv4; `localhost` is 127.0.0.1). */
  host: string;
  /** `Plugin_Remote_Port`. */
  port: number;
  /** `Plugin_Remote_RetryCount`: extra tries after the first, 0.5 s apart. */
  retryCount: number;
  /** Times the retry pauses (default: the emulator's clock). */
  clock?: Clock;
  /** Where connection events are logged. */
  log?: Logger;
  /** End the session at the first disconnect instead of reconnecting (reference 7.5). */
  breakOnDisconnect?: boolean;
}

/** Resolves a host name to its first IPv4 address, as `makeConnection` does (AF_INET only). */
export async function resolveIPv4(host: string): Promise<string> {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host;
  if (host.toLowerCase() === "localhost") return "127.0.0.1";
  try {
    const found = await Deno.resolveDns(host, "A");
    if (found.length > 0) return found[0];
  } catch {
    // fall through: let connect() report the failure with the name the user wrote
  }
  return host;
}

/** Loud explanation logged at each disconnect in client modes. */
export const LINUX_DISCONNECT_NOTE: string =
  "on Linux the real MMDAgent-EX does not survive a peer's " +
  "disconnect (reference 7.5): its Plugin_Remote thread deadlocks or the process is killed, and " +
  "it never reconnects; keep one connection for the whole session";

/**
 * Runs the connect routine of MMDAgent-EX (`connectClient`): one try plus `retryCount` retries,
 * `RETRY_INTERVAL_MS` apart. Returns the connection, or undefined when every try failed or
 * `signal` aborted.
 */
export async function connectWithRetries(
  attempt: () => Promise<Deno.TcpConn>,
  retryCount: number,
  clock: Clock,
  log: Logger,
  what: string,
  signal: AbortSignal,
): Promise<Deno.TcpConn | undefined> {
  for (let tries = 0;; tries++) {
    if (signal.aborted) return undefined;
    try {
      return await attempt();
    } catch (e) {
      log.warn(`failed to connect to ${what}: ${(e as Error).message}`);
    }
    if (tries >= retryCount) return undefined;
    log.info(`retrying connection... (${tries + 1}/${retryCount})`);
    try {
      await clock.sleep(RETRY_INTERVAL_MS, signal);
    } catch {
      return undefined;
    }
  }
}

/** Starts MMDAgent-EX's TCP client side for `emu` (see the module documentation). */
export function connectTcp(emu: Emulator, options: TcpClientOptions): ClientSide {
  const clock = options.clock ?? emu.clock;
  const log = options.log ?? silentLogger;
  const abort = new AbortController();
  const what = `${options.host}:${options.port}`;
  let current: { conn: Deno.TcpConn; id: number; ip: string; writing: Promise<void> } | undefined;
  let connections = 0;
  let stopped: ClientEnd | undefined;
  let wakeHang: (() => void) | undefined;

  const offOutput = emu.onOutput((_line, bytes) => {
    const c = current;
    if (!c) return;
    c.writing = c.writing.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await c.conn.write(bytes.subarray(off));
    }).catch(() => closeConn(c.conn));
  });
  const stop = (why: ClientEnd) => {
    stopped ??= why;
    abort.abort();
    if (current) closeConn(current.conn);
    wakeHang?.();
  };
  const offDeath = emu.onDeath((how) => {
    if (how === "crash") stop("stopped");
  });
  const offRemote = emu.onRemoteDisable(() => stop("stopped"));

  const attempt = async () => {
    const hostname = await resolveIPv4(options.host);
    return await Deno.connect({ hostname, port: options.port, transport: "tcp" });
  };

  async function serve(conn: Deno.TcpConn, id: number): Promise<void> {
    for (;;) {
      if (emu.status === "hung") {
        // Alive but never reading again: keep the socket until the side is closed.
        await new Promise<void>((r) => wakeHang = r);
        return;
      }
      const size = emu.parser.readSize();
      if (size <= 0) {
        emu.receive(new Uint8Array(0), id); // reports the drop
        return;
      }
      const buf = new Uint8Array(size);
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        n = null;
      }
      if (n === null || n <= 0) return;
      emu.receive(buf.subarray(0, n), id);
    }
  }

  const done = (async (): Promise<ClientEnd> => {
    log.info(`connecting to ${what}`);
    for (;;) {
      const conn = await connectWithRetries(
        attempt,
        options.retryCount,
        clock,
        log,
        what,
        abort.signal,
      );
      if (stopped) {
        conn?.close();
        return stopped;
      }
      if (!conn) {
        const tried = options.retryCount > 0
          ? ` (tried ${options.retryCount * RETRY_INTERVAL_MS / 1000} s)`
          : "";
        log.error(
          `gave up connecting to ${what}${tried}: MMDAgent-EX's network thread ends here and ` +
            "never tries again",
        );
        return "gave-up";
      }
      const id = connections++;
      const ip = (conn.remoteAddr as Deno.NetAddr).hostname;
      current = { conn, id, ip, writing: Promise.resolve() };
      log.info(`connected to ${what}`, { conn: id });
      emu.connect(id, ip);
      // MMDAgent-EX connects during its own start-up: only the first peer sees those lines.
      if (id === 0) emu.startup();
      await serve(conn, id);
      const c = current;
      current = undefined;
      await c.writing.catch(() => {});
      closeConn(conn);
      emu.disconnect(id, ip);
      if (stopped) return stopped;
      if (options.breakOnDisconnect) {
        log.error(`lost connection to ${what}; session over: ${LINUX_DISCONNECT_NOTE}`);
        return "broken";
      }
      log.warn(`lost connection, retrying ${what}; note: ${LINUX_DISCONNECT_NOTE}`);
    }
  })().finally(() => {
    offOutput();
    offDeath();
    offRemote();
  });

  return {
    done,
    get connections() {
      return connections;
    },
    get connected() {
      return current !== undefined;
    },
    async close() {
      stop("closed");
      await done;
    },
  };
}

function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
