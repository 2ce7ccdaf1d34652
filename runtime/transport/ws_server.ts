/**
 * mmdbot as the WebSocket server: MMDAgent-EX's `Plugin_Remote_Websocket_Host` client connects to us.
 *
 * Built on npm:ws, not `Deno.upgradeWebSocket`, because MMDAgent-EX sends TEXT frames with invalid
 * UTF-8 (truncated long lines) and any close ends its service on Linux (reference 7.5). So:
 * `skipUTF8Validation`, no permessage-deflate, no pings from our side (ws sends none by itself), pongs
 * answered by ws, one TEXT frame per unit, never an empty frame, and closing is a CLOSE with an
 * empty payload (no status code, reference Part 5 item 10). Any request path is accepted: MMDAgent-EX
 * appends `-N` to its directory after an HTTP 429.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../log/logger.ts";
import { createChannel } from "./channel.ts";
import { type Chunk, CLOSE_DRAIN_MS, type Conn, type Listener, within } from "./conn.ts";

/**
 * Largest frame accepted. MMDAgent-EX never sends more than 2048 bytes per frame; this is far above
 * so that an oversized line reaches the decoder (which drops it and reports) instead of making ws
 * close with status 1009.
 */
export const WS_MAX_PAYLOAD = 64 * 1024 * 1024;

/** Options of {@link listenWs}. */
export interface WsListenOptions {
  bind: string;
  port: number;
  /** The configured `Plugin_Remote_Websocket_Directory`; other paths are accepted with a warning. */
  path: string;
  /** PEM certificate and key: serve wss (MMDAgent-EX uses TLS only on port 443). */
  tls?: { cert: string; key: string };
  logger: Logger;
}

/**
 * Starts a WebSocket server and yields every connection MMDAgent-EX opens.
 *
 * @example
 * const listener = await listenWs({ bind: "127.0.0.1", port: 9001, path: "/chat", logger });
 */
export async function listenWs(opts: WsListenOptions): Promise<Listener> {
  const { logger } = opts;
  const http: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key })
    : createHttpServer();
  const wss = new WebSocketServer({
    noServer: true,
    skipUTF8Validation: true,
    perMessageDeflate: false,
    maxPayload: WS_MAX_PAYLOAD,
    clientTracking: false,
  });
  const conns = createChannel<Conn>();

  http.on("request", (_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("WebSocket upgrade required\n");
  });
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head) => {
    const path = req.url ?? "/";
    const appType = headerText(req.headers["x-app-type"]);
    if (path !== opts.path) {
      logger.warn(`WebSocket client asked for path ${path}, configured ${opts.path}; accepted`, {
        hint: /-\d+$/.test(path)
          ? "MMDAgent-EX appends -N to its directory after an HTTP 429"
          : "check Plugin_Remote_Websocket_Directory",
      });
    }
    // Lets a half-open socket (MMDAgent-EX gone without FIN) fail eventually instead of lingering.
    (socket as { setKeepAlive?: (on: boolean) => void }).setKeepAlive?.(true);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const remote = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? 0}`;
      const info: Record<string, string> = { path, tls: opts.tls ? "yes" : "no" };
      if (appType !== undefined) info.appType = appType;
      logger.info("WebSocket client connected", {
        remote,
        path,
        appType: appType ?? "(none)",
      });
      if (appType !== "MMDAgent") {
        logger.debug("X-App-Type is not MMDAgent: the client may not be MMDAgent-EX", {
          appType: appType ?? "(none)",
        });
      }
      conns.push(wrapWs(ws, `ws:${remote.replace(/^::ffff:/, "")}`, info));
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port, opts.bind, () => {
      http.off("error", reject);
      resolve();
    });
  });
  // Connections MMDAgent-EX holds open for hours must never be cut by an HTTP timeout.
  http.timeout = 0;
  http.keepAliveTimeout = 0;
  http.requestTimeout = 0;
  http.headersTimeout = 0;
  const addr = http.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  let stopped: Promise<void> | undefined;
  return {
    address: `${opts.tls ? "wss" : "ws"}://${opts.bind}:${port}${opts.path}`,
    port,
    connections: () => conns,
    close() {
      stopped ??= (async () => {
        conns.close();
        const done = new Promise<void>((resolve) => http.close(() => resolve()));
        // A half-finished handshake must not keep the port: give it a moment, then cut it.
        if (!(await within(done, CLOSE_DRAIN_MS))) {
          (http as { closeAllConnections?: () => void }).closeAllConnections?.();
          await within(done, CLOSE_DRAIN_MS);
        }
      })();
      return stopped;
    },
  };
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(", ") : v;
}

/** How every unit goes out: one final TEXT frame, uncompressed. */
const FRAME = { binary: false, fin: true, compress: false } as const;

/** Wraps an accepted ws socket as a {@link Conn}. Exported for the emulator and tests. */
export function wrapWs(ws: WebSocket, id: string, info: Record<string, string> = {}): Conn {
  const chunks = createChannel<Chunk>();
  let closing: Promise<void> | undefined;
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
    const bytes = toBytes(data);
    // An empty frame carries nothing; MMDAgent-EX never sends one, and it is no line boundary.
    if (bytes.length > 0) chunks.push({ bytes, frameEnd: true });
  });
  ws.on("close", () => chunks.close());
  // Errors end the connection through "close"; listening here keeps them from being thrown.
  ws.on("error", () => {});

  function writeUnits(parts: readonly Uint8Array[]): Promise<void> {
    if (closing || ws.readyState !== ws.OPEN) {
      return Promise.reject(new Error("WebSocket is not open"));
    }
    return new Promise<void>((resolve, reject) => {
      // One frame per unit, handed to ws back to back: ws keeps their order on the socket, and
      // the last callback fires once every earlier frame is written.
      // Counted before sending, so that a callback can never see the count reach 0 early.
      let waiting = 0;
      for (const bytes of parts) if (bytes.length > 0) waiting++;
      if (waiting === 0) return resolve();
      let failed = false;
      const done = (err?: Error | null) => {
        if (failed) return;
        if (err) {
          failed = true;
          reject(err);
        } else if (--waiting === 0) resolve();
      };
      for (const bytes of parts) {
        // An empty frame reads as a disconnect to MMDAgent-EX (reference 2.4): never send one.
        if (bytes.length > 0) ws.send(bytes, FRAME, done);
      }
    });
  }

  return {
    id,
    info,
    chunks: () => chunks,
    write: (bytes) => writeUnits([bytes]),
    writeUnits,
    close() {
      closing ??= (async () => {
        if (ws.readyState === ws.OPEN) {
          // No code: ws sends a CLOSE frame with an empty payload, which MMDAgent-EX treats as a
          // disconnect without gluing status bytes onto its next line.
          ws.close();
        }
        // MMDAgent-EX does not answer CLOSE frames; it drops the TCP connection.
        if (!(await within(closed, CLOSE_DRAIN_MS))) ws.terminate();
        await within(closed, CLOSE_DRAIN_MS);
      })();
      return closing;
    },
  };
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) {
    const total = data.reduce((n, b) => n + b.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const b of data) {
      out.set(b, off);
      off += b.length;
    }
    return out;
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}
