/**
 * MMDAgent-EX's TCP server side (reference 2.2): listen on `Plugin_Remote_ListenPort`, serve up to
 * 20 clients, announce each with `REMOTE_EVENT_CONNECTED|ip` (and `…_DISCONNECTED|ip`) to every
 * client, broadcast every outbound line to every client, and feed every client's bytes into the one
 * shared receive buffer. Each `read()` asks for exactly the free space of that buffer, so read
 * boundaries match what the real `recv()` sees; a full buffer drops the connection.
 *
 * The real binary binds all interfaces; the emulator binds 127.0.0.1 unless told otherwise.
 */
import type { Logger } from "../log/logger.ts";
import type { Emulator } from "./core.ts";

/** Clients served at once (`PLUGIN_REMOTE_MAXCLIENT`). */
export const MAX_CLIENTS = 20;

/** A running TCP server side. */
export interface TcpServerSide {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Resolves when the listener and every connection are closed. */
  close(): Promise<void>;
}

/** Options of {@link serveTcp}. */
export interface TcpServerOptions {
  port: number;
  bind?: string;
  log?: Logger;
}

/** Starts the TCP server side of `emu`. */
export function serveTcp(emu: Emulator, options: TcpServerOptions): TcpServerSide {
  const listener = Deno.listen({ hostname: options.bind ?? "127.0.0.1", port: options.port });
  const port = (listener.addr as Deno.NetAddr).port;
  const log = options.log;
  const clients = new Map<number, { conn: Deno.TcpConn; ip: string; writing: Promise<void> }>();
  const overflow = new Set<Deno.TcpConn>();
  const tasks = new Set<Promise<void>>();
  let nextId = 0;
  let closed = false;

  const drop = (id: number) => {
    const c = clients.get(id);
    if (!c) return;
    clients.delete(id);
    try {
      c.conn.close();
    } catch { /* already closed */ }
    emu.disconnect(id, c.ip, { announce: true });
    log?.info("peer disconnected", { conn: id, ip: c.ip });
  };

  const offOutput = emu.onOutput((_line, bytes) => {
    for (const [id, c] of clients) {
      c.writing = c.writing.then(async () => {
        let off = 0;
        while (off < bytes.length) off += await c.conn.write(bytes.subarray(off));
      }).catch(() => drop(id));
    }
  });
  const offDeath = emu.onDeath((how) => {
    if (how === "crash") void shutdown();
  });
  const offRemote = emu.onRemoteDisable(() => void shutdown());

  async function serveClient(id: number, conn: Deno.TcpConn): Promise<void> {
    for (;;) {
      if (emu.status === "hung") {
        // The process is alive but never reads again; keep the socket open until shutdown.
        await new Promise<void>((r) => hangWaiters.add(r));
        return;
      }
      const size = emu.parser.readSize();
      if (size <= 0) {
        emu.receive(new Uint8Array(0), id); // reports the drop
        drop(id);
        return;
      }
      const buf = new Uint8Array(size);
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        n = null;
      }
      if (n === null || n <= 0) {
        drop(id);
        return;
      }
      emu.receive(buf.subarray(0, n), id);
    }
  }
  const hangWaiters = new Set<() => void>();

  const accepting = (async () => {
    for await (const conn of listener) {
      if (closed) {
        conn.close();
        break;
      }
      if (clients.size >= MAX_CLIENTS) {
        // Accepted at TCP level but never serviced (the real binary logs an error).
        log?.error("21st connection accepted but not serviced (MMDAgent-EX serves 20)");
        overflow.add(conn);
        continue;
      }
      const id = nextId++;
      const ip = (conn.remoteAddr as Deno.NetAddr).hostname;
      clients.set(id, { conn, ip, writing: Promise.resolve() });
      log?.info("peer connected", { conn: id, ip });
      emu.connect(id, ip, { announce: true });
      const t = serveClient(id, conn);
      tasks.add(t);
      t.finally(() => tasks.delete(t));
    }
  })().catch(() => {});

  async function shutdown(): Promise<void> {
    if (closed) return;
    closed = true;
    offOutput();
    offDeath();
    offRemote();
    try {
      listener.close();
    } catch { /* closed */ }
    for (const r of hangWaiters) r();
    for (const id of [...clients.keys()]) {
      const c = clients.get(id)!;
      await c.writing.catch(() => {});
      clients.delete(id);
      try {
        c.conn.close();
      } catch { /* closed */ }
    }
    for (const c of overflow) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await accepting;
    await Promise.allSettled([...tasks]);
  }

  return { port, close: shutdown };
}
