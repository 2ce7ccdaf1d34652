/**
 * Test helpers for the control channel: a real loopback TCP peer standing in for MMDAgent-EX's TCP
 * server, and a small session that implements {@link ControlTarget} over a real `Link` to it.
 *
 * The session is a test double of the lead's session (not built yet, and not this room's): it does
 * what the contract asks with real parts (the operator's outbound path, real link, real socket) and records the
 * calls it cannot carry out (reload, stop).
 */
import { realClock } from "../../runtime/clock/clock.ts";
import { createEchoTracker } from "../../runtime/host/echo.ts";
import { createOutbound } from "../../runtime/host/outbound.ts";
import { silentLogger } from "../../runtime/log/logger.ts";
import type { TrafficRecord } from "../../runtime/record/schema.ts";
import type {
  ControlSendResult,
  ControlTarget,
  SessionStatus,
} from "../../runtime/control/target.ts";
import { type Channel, createChannel } from "../../runtime/transport/channel.ts";
import type { LinkWithExtras } from "../../runtime/transport/link.ts";
import { openLink } from "../../runtime/session/open_link.ts";

/** A loopback TCP server that counts connections and keeps every line each one sent. */
export interface Peer {
  port: number;
  /** One entry per accepted connection: its lines, and whether it was closed. */
  conns: { lines: string[]; closed: boolean; conn: Deno.TcpConn }[];
  /** Writes raw text to the newest connection. */
  write(text: string): Promise<void>;
  /** Resolves when the newest connection has received `n` lines in total. */
  waitLines(n: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves when `n` connections were accepted. */
  waitConns(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link Peer} on 127.0.0.1 with an ephemeral port. */
export function startPeer(): Peer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Peer["conns"] = [];
  const readers: Promise<void>[] = [];
  let changed: (() => void)[] = [];
  const notify = () => {
    for (const w of changed.splice(0)) w();
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const entry = { lines: [] as string[], closed: false, conn };
        conns.push(entry);
        notify();
        readers.push((async () => {
          const dec = new TextDecoder();
          let buf = "";
          try {
            for await (const chunk of conn.readable) {
              buf += dec.decode(chunk, { stream: true });
              let i;
              while ((i = buf.indexOf("\n")) !== -1) {
                entry.lines.push(buf.slice(0, i));
                buf = buf.slice(i + 1);
              }
              notify();
            }
          } catch { /* reset */ }
          entry.closed = true;
          notify();
        })());
      }
    } catch { /* listener closed */ }
  })();
  const until = async (cond: () => boolean, what: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`peer: timed out waiting for ${what}`);
      let timer: number | undefined;
      await new Promise<void>((r) => {
        changed.push(r);
        timer = setTimeout(r, 200) as unknown as number;
      });
      clearTimeout(timer);
    }
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    conns,
    async write(text) {
      const c = conns.at(-1);
      if (!c) throw new Error("peer: no connection to write to");
      const bytes = new TextEncoder().encode(text);
      let off = 0;
      while (off < bytes.length) off += await c.conn.write(bytes.subarray(off));
    },
    async waitLines(n, timeoutMs = 20_000) {
      await until(() => (conns.at(-1)?.lines.length ?? 0) >= n, `${n} lines`, timeoutMs);
      return conns.at(-1)!.lines;
    },
    async waitConns(n, timeoutMs = 20_000) {
      await until(() => conns.length >= n, `${n} connections`, timeoutMs);
    },
    async close() {
      listener.close();
      await accepting;
      for (const c of conns) {
        try {
          c.conn.close();
        } catch { /* closed */ }
      }
      await Promise.all(readers);
      changed = [];
    },
  };
}

/** A session double over a real link: what `serveControl` serves in these tests. */
export interface FakeSession extends ControlTarget {
  link: LinkWithExtras;
  /** Open tail subscriptions right now. */
  readonly tailers: number;
  calls: { reload: (string | undefined)[]; stop: number };
  /** Resolves once the link is connected. */
  connected: Promise<void>;
  /** Closes the link (as the real session's shutdown would). */
  shutdown(): Promise<void>;
}

/** Opens a real tcp-client link to `port` and wraps it as a {@link ControlTarget}. */
export async function fakeSession(
  port: number,
  onStop?: () => Promise<void>,
): Promise<FakeSession> {
  const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port });
  const subs = new Set<Channel<TrafficRecord>>();
  const started = performance.now();
  const publish = (r: Omit<TrafficRecord, "time" | "t">) => {
    const full = { time: new Date().toISOString(), t: performance.now() - started, ...r };
    for (const s of subs) s.push(full);
  };
  let markConnected!: () => void;
  const connected = new Promise<void>((r) => (markConnected = r));
  const pump = (async () => {
    for await (const ev of link.events()) {
      if (ev.kind === "line") publish({ dir: "in", conn: ev.connection, line: ev.line.text });
      if (ev.kind === "state" && ev.state === "connected") markConnected();
    }
  })();
  let refused = 0;
  // The operator's real outbound path (ACL, guard, echo mark), with the link as its sink.
  const outbound = createOutbound({
    clock: realClock,
    log: silentLogger,
    guardContext: () => ({ commands: { hasStartupFst: false } }),
    echo: createEchoTracker(),
    sink: async (unit, source) => {
      const out = await link.send(unit);
      if (out.status === "written") {
        publish({ dir: "out", conn: out.connection, bot: source, line: unit.text });
      }
      return out;
    },
  });
  const calls = { reload: [] as (string | undefined)[], stop: 0 };
  let closed = false;
  const shutdown = async () => {
    if (closed) return;
    closed = true;
    await link.close();
    await pump;
    for (const s of subs) s.close();
  };
  return {
    link,
    calls,
    connected,
    shutdown,
    get tailers() {
      return subs.size;
    },
    async send(line, { allowDangerous }): Promise<ControlSendResult> {
      const r = await outbound.sendAsOperator(line, { allowDangerous });
      if (!r.ok) {
        refused++;
        return { status: "refused", refusal: r.refusal };
      }
      const out = r.outcome;
      return out.status === "written" ? { status: "written", conn: out.connection } : out;
    },
    async *tail(signal) {
      const ch = createChannel<TrafficRecord>();
      subs.add(ch);
      const onAbort = () => ch.close();
      signal.addEventListener("abort", onAbort);
      if (signal.aborted || closed) ch.close();
      try {
        for await (const r of ch) yield r;
      } finally {
        subs.delete(ch);
        signal.removeEventListener("abort", onAbort);
      }
    },
    status(): SessionStatus {
      const s = link.stats();
      return {
        pid: Deno.pid,
        plan: link.describe,
        startedAt: new Date(0).toISOString(),
        link: { ...s },
        bots: [{ name: "greeter", isolation: "none", state: "running", restarts: 0 }],
        refusedLines: refused,
      };
    },
    reload(name) {
      calls.reload.push(name);
      return Promise.resolve(name ? [name] : ["greeter"]);
    },
    async stop() {
      calls.stop++;
      await shutdown();
      await onStop?.();
    },
  };
}
