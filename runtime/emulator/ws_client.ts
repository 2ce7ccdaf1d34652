/**
 * MMDAgent-EX's WebSocket client side (reference 2.4, 7.3), on a raw socket so the handshake is
 * byte-exact: `GET <dir> HTTP/1.1` with Upgrade, Connection, Sec-WebSocket-Version, a random key,
 * `X-App-Type: MMDAgent` and Host, in that order (Poco's order); no Origin, no sub-protocol.
 *
 * - Host, port and directory are re-read from the KeyValue store at every connect routine, so a
 *   `KEYVALUE_SET|Plugin_Remote_Websocket_Directory|…` redirects the next reconnect.
 * - Retries: `RetryCount` more tries 0.5 s apart; a refusal whose reason phrase contains
 *   `Too Many Requests` (HTTP 429) appends `-<n>` to the directory and retries after 0.2 s.
 *   A failed routine ends the network thread for good.
 * - Outbound: one masked FIN TEXT frame per line, payload ending in LF.
 * - Inbound: TEXT, BINARY and continuation payloads (and a CLOSE's status bytes, which the binary
 *   does not recognise) go into the shared receive buffer; PING gets a PONG echoing its payload
 *   (an empty PING a 1-byte PONG with a stale buffer byte); an empty payload or EOF is a
 *   disconnect; a frame larger than the free buffer space drops the connection.
 */
import type { Clock } from "../clock/clock.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import type { Emulator } from "./core.ts";
import { SOCKET_MAXBUFLEN } from "./parser.ts";
import {
  type ClientEnd,
  type ClientSide,
  LINUX_DISCONNECT_NOTE,
  resolveIPv4,
  RETRY_INTERVAL_MS,
} from "./tcp_client.ts";
import { acceptFor, encodeFrame, FrameReader, OP, randomKey } from "./ws_frame.ts";
import { MmdbotError } from "../errors/error.ts";

/** Pause before retrying with a new directory after `429 Too Many Requests`. */
export const TOO_MANY_RETRY_MS = 200;
/** `setMaxPayloadSize(SOCKET_MAXBUFLEN)`. */
export const MAX_PAYLOAD: number = SOCKET_MAXBUFLEN;
/** A handshake response longer than this is refused (Poco would fail too). */
const MAX_RESPONSE_HEAD = 16384;

/** Options of {@link connectWs}: the `.mdf` values, overridden by the KeyValue store. */
export interface WsClientOptions {
  /** `Plugin_Remote_Websocket_Host`. */
  host: string;
  /** `Plugin_Remote_Websocket_Port` (443 means TLS). */
  port: number;
  /** `Plugin_Remote_Websocket_Directory`. */
  directory: string;
  /** `Plugin_Remote_RetryCount`. */
  retryCount: number;
  /** Times the retry pauses (default: the emulator's clock). */
  clock?: Clock;
  /** Where connection events are logged. */
  log?: Logger;
  /** End the session at the first disconnect instead of reconnecting (reference 7.5). */
  breakOnDisconnect?: boolean;
}

/** A refused handshake, with the text Poco's exception would carry. */
export class HandshakeError extends MmdbotError {
  /** `tooManyRequests`: the reason phrase contains "Too Many Requests". */
  constructor(message: string, readonly tooManyRequests = false) {
    super(message);
  }
}

/** The `Host` header value Poco writes: the port is left out for 80 and 443. */
export function hostHeader(host: string, port: number): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return port === 80 || port === 443 ? h : `${h}:${port}`;
}

/** The exact handshake request MMDAgent-EX sends. */
export function handshakeRequest(host: string, port: number, dir: string, key: string): string {
  return `GET ${dir} HTTP/1.1\r\n` +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    "Sec-WebSocket-Version: 13\r\n" +
    `Sec-WebSocket-Key: ${key}\r\n` +
    "X-App-Type: MMDAgent\r\n" +
    `Host: ${hostHeader(host, port)}\r\n` +
    "\r\n";
}

interface Open {
  conn: Deno.Conn;
  reader: FrameReader;
}

/** Sends the handshake and checks the answer as Poco does; returns the open socket. */
async function handshake(
  host: string,
  port: number,
  dir: string,
  track: (conn: Deno.Conn | undefined) => void,
): Promise<Open> {
  const conn = port === 443
    ? await Deno.connectTls({ hostname: host, port })
    : await Deno.connect({ hostname: await resolveIPv4(host), port, transport: "tcp" });
  track(conn);
  try {
    const key = randomKey();
    await writeAll(conn, new TextEncoder().encode(handshakeRequest(host, port, dir, key)));
    let head = new Uint8Array();
    let end = -1;
    while (end < 0) {
      const chunk = new Uint8Array(4096);
      const n = await conn.read(chunk);
      if (n === null) throw new HandshakeError("connection closed during the WebSocket handshake");
      const merged = new Uint8Array(head.length + n);
      merged.set(head);
      merged.set(chunk.subarray(0, n), head.length);
      head = merged;
      end = indexOfCrlfCrlf(head);
      if (end < 0 && head.length > MAX_RESPONSE_HEAD) {
        throw new HandshakeError("handshake response header too long");
      }
    }
    const text = new TextDecoder().decode(head.subarray(0, end));
    const [status, ...lines] = text.split("\r\n");
    const m = /^HTTP\/\d\.\d (\d{3})\s?(.*)$/.exec(status);
    if (!m) throw new HandshakeError(`malformed handshake response: ${JSON.stringify(status)}`);
    const code = Number(m[1]);
    const reason = m[2];
    const headers = new Map<string, string>();
    for (const l of lines) {
      const i = l.indexOf(":");
      if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    if (code !== 101) {
      if (code === 401) throw new HandshakeError("Not authorized");
      // Poco: WebSocketException("Cannot upgrade to WebSocket connection", reason); the plugin
      // looks for "Too Many Requests" in that text, i.e. in the reason phrase.
      throw new HandshakeError(
        `Cannot upgrade to WebSocket connection: ${reason} (HTTP ${code})`,
        reason.includes("Too Many Requests"),
      );
    }
    if (headers.get("connection")?.toLowerCase() !== "upgrade") {
      throw new HandshakeError("No Connection: Upgrade header in handshake response");
    }
    if (headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new HandshakeError("No Upgrade: websocket header in handshake response");
    }
    if (headers.get("sec-websocket-accept") !== await acceptFor(key)) {
      throw new HandshakeError("Invalid or missing Sec-WebSocket-Accept header");
    }
    return { conn, reader: new FrameReader(conn, head.slice(end + 4)) };
  } catch (e) {
    try {
      conn.close();
    } catch { /* closed */ }
    throw e;
  } finally {
    track(undefined);
  }
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

const PEER_DISCONNECTED = new TextEncoder().encode("__peer_disconnected__");

/** Starts MMDAgent-EX's WebSocket client side for `emu` (see the module documentation). */
export function connectWs(emu: Emulator, options: WsClientOptions): ClientSide {
  const clock = options.clock ?? emu.clock;
  const log = options.log ?? silentLogger;
  const abort = new AbortController();
  let current: { conn: Deno.Conn; id: number; writing: Promise<void> } | undefined;
  let connections = 0;
  let stopped: ClientEnd | undefined;
  let wakeHang: (() => void) | undefined;
  let connecting: Deno.Conn | undefined;

  const send = (c: NonNullable<typeof current>, frame: Uint8Array) => {
    c.writing = c.writing.then(() => writeAll(c.conn, frame)).catch(() => closeConn(c.conn));
  };
  const offOutput = emu.onOutput((_line, bytes) => {
    if (current) send(current, encodeFrame(OP.text, bytes));
  });
  const stop = (why: ClientEnd) => {
    stopped ??= why;
    abort.abort();
    if (current) closeConn(current.conn);
    if (connecting) closeConn(connecting);
    wakeHang?.();
  };
  const offDeath = emu.onDeath((how) => {
    if (how === "crash") stop("stopped");
  });
  const offRemote = emu.onRemoteDisable(() => stop("stopped"));

  /** `connectWebSocketServer`: the KeyValue store wins over the options, re-read every time. */
  async function connectRoutine(): Promise<Open | undefined> {
    const kv = emu.variables.keyValues;
    const host = kv.get("Plugin_Remote_Websocket_Host") ?? options.host;
    const portText = kv.get("Plugin_Remote_Websocket_Port");
    const port = portText !== undefined ? parseInt(portText, 10) || 0 : options.port;
    let dir = kv.get("Plugin_Remote_Websocket_Directory") ?? options.directory;
    log.info(`connecting to ${host}:${port}${dir}`);
    for (let retry = 0;;) {
      if (abort.signal.aborted) return undefined;
      let wait = RETRY_INTERVAL_MS;
      try {
        const open = await handshake(host, port, dir, (c) => connecting = c);
        log.info(`connected to ${host}:${port}${dir}`);
        return open;
      } catch (e) {
        log.warn(`${(e as Error).message}`);
        if (retry >= options.retryCount) {
          log.error(`failed to connect to ${host}:${port}${dir}`);
          return undefined;
        }
        retry++;
        if (e instanceof HandshakeError && e.tooManyRequests) {
          const next = `${dir}-${retry}`;
          log.warn(
            `"${dir}" already used, retrying with "${next}" (${retry}/${options.retryCount})`,
          );
          dir = next;
          wait = TOO_MANY_RETRY_MS;
        } else {
          log.info(`retrying to ${host}:${port}${dir} (${retry}/${options.retryCount})`);
        }
      }
      try {
        await clock.sleep(wait, abort.signal);
      } catch {
        return undefined;
      }
    }
  }

  async function serve(open: Open, c: NonNullable<typeof current>): Promise<void> {
    const { id } = c;
    for (;;) {
      if (emu.status === "hung") {
        await new Promise<void>((r) => wakeHang = r);
        return;
      }
      const room = Math.min(emu.parser.readSize(), MAX_PAYLOAD);
      if (room <= 0) {
        emu.receive(new Uint8Array(0), id); // reports the drop
        return;
      }
      let frame;
      try {
        frame = await open.reader.next(room);
      } catch (e) {
        log.warn(`WebSocket receive failed: ${(e as Error).message}; the connection is dropped`);
        return;
      }
      if (frame === null) return;
      const parser = emu.parser;
      if (frame.opcode === OP.ping || frame.opcode === OP.pong) {
        // receiveFrame wrote the payload into the buffer past the pending bytes.
        parser.scribble(frame.payload);
        if (frame.opcode === OP.ping) {
          const echo = frame.payload.length > 0
            ? frame.payload
            : parser.buf.slice(parser.pending, parser.pending + 1);
          send(c, encodeFrame(OP.pong, echo));
        }
        continue;
      }
      if (frame.payload.length === 0) return; // m_len <= 0: an empty frame is a disconnect
      if (startsWithPeerDisconnected(parser.buf.subarray(0, parser.pending), frame.payload)) {
        const av = emu.shared.avatars.get(id);
        if (av) av.enabled = false;
      }
      emu.receive(frame.payload, id);
    }
  }

  const done = (async (): Promise<ClientEnd> => {
    for (;;) {
      const open = await connectRoutine();
      if (stopped) {
        if (open) closeConn(open.conn);
        return stopped;
      }
      if (!open) {
        log.error(
          "gave up connecting to the WebSocket server: MMDAgent-EX's network thread ends here " +
            "and never tries again (a TCP server in the same process stops too)",
        );
        return "gave-up";
      }
      const id = connections++;
      const ip = (open.conn.remoteAddr as Deno.NetAddr).hostname;
      const c = { conn: open.conn, id, writing: Promise.resolve() };
      current = c;
      emu.connect(id, ip);
      if (id === 0) emu.startup();
      await serve(open, c);
      current = undefined;
      await c.writing.catch(() => {});
      closeConn(open.conn);
      emu.disconnect(id, ip);
      if (stopped) return stopped;
      if (options.breakOnDisconnect) {
        log.error(`lost the WebSocket connection; session over: ${LINUX_DISCONNECT_NOTE}`);
        return "broken";
      }
      log.warn(`lost connection, retrying; note: ${LINUX_DISCONNECT_NOTE}`);
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

function startsWithPeerDisconnected(pending: Uint8Array, payload: Uint8Array): boolean {
  const n = PEER_DISCONNECTED.length;
  for (let i = 0; i < n; i++) {
    const b = i < pending.length ? pending[i] : payload[i - pending.length];
    if (b !== PEER_DISCONNECTED[i]) return false;
  }
  return true;
}

function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
