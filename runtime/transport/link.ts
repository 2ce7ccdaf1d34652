/**
 * The session-long {@link Link} on top of a source of connections: dials with backoff when mmdbot is
 * the client, takes what the listener hands over when mmdbot is the server, or wraps the single
 * stdio stream. It decodes every connection with its own line decoder, writes whole units in
 * order (never two interleaved; a byte stream may carry several complete ones in one write), replays the setup list first on every new connection, queues (bounded)
 * while disconnected, and closes once, cleanly, after flushing.
 *
 * Several connections at once (server modes). MMDAgent-EX has ONE client socket and opens a new one
 * only after it considers the old one broken, so when a new connection arrives the new one becomes
 * current (setup replayed, all writes go there) and the old one is most likely dead. It is still
 * NOT closed by us: on Linux a close from our side ends MMDAgent-EX's service (reference 7.5) if it
 * was alive after all (a second MMDAgent-EX, a stray client). It is kept open and read (its lines
 * are delivered with their own connection id) but never written, until its peer closes it, TCP
 * keep-alive declares it dead, or the link closes. If the current connection ends while an older
 * one is still open, the newest remaining one becomes current again (a short-lived probe such as
 * `nc -z` must not steal MMDAgent-EX's connection).
 */
import type { Clock } from "../clock/clock.ts";
import { realClock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { createLogThrottle } from "../log/throttle.ts";
import { createLineDecoder, type DecodeResult } from "../wire/decode.ts";
import type { WireUnit } from "../wire/types.ts";
import { BACKOFF_RESET_AFTER_MS, type BackoffOptions, createBackoff } from "./backoff.ts";
import { createChannel } from "./channel.ts";
import type { Conn, Listener } from "./conn.ts";
import { createOutboundQueue, type QueuedUnit } from "./queue.ts";
import type {
  Link,
  LinkEvent,
  LinkState,
  LinkStats,
  OverflowPolicy,
  SendOutcome,
} from "./types.ts";

const LF = 0x0a;
/** Most units handed to a connection at once (bounds the work per batch, not the queue). */
const MAX_BATCH_UNITS = 256;

/** Where a link's connections come from. */
export type ConnSource =
  /** mmdbot is the client: `dial` opens one connection; the link retries with backoff. */
  | { kind: "dial"; target: string; dial(signal: AbortSignal): Promise<Conn> }
  /** mmdbot is the server: MMDAgent-EX connects (and reconnects) to the listener. */
  | { kind: "listen"; listener: Listener }
  /** One stream for the whole session (stdio): its end closes the link. */
  | { kind: "single"; conn: Conn };

/** Options of {@link createLink}. */
export interface LinkOptions {
  /** Human description for logs, e.g. `tcp client → 127.0.0.1:50001`. */
  describe: string;
  /** Timers for backoff, flush deadline and event times (default real clock). */
  clock?: Clock;
  logger?: Logger;
  /** Inbound line limit in bytes (default: the decoder's, 256 KiB). */
  maxLineBytes?: number;
  /** Outbound queue capacity in units (default 1000). */
  queueLimit?: number;
  /** What a full queue loses (default `drop-oldest`). */
  overflow?: OverflowPolicy;
  /** Reconnect delays (defaults: decisions.md). */
  backoff?: BackoffOptions;
  /** Give up a single connect attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** How long `close()` waits for accepted units to be written (default 5 s). */
  flushTimeoutMs?: number;
  /**
   * Events kept for a slow consumer before the oldest line events are discarded (default 10 000).
   * Reading never stops: a peer that cannot send blocks MMDAgent-EX's network thread.
   */
  eventBuffer?: number;
}

/** Counters beyond {@link LinkStats} that a link also keeps. */
export interface LinkExtraStats {
  /** Line events discarded because the consumer fell behind by more than `eventBuffer`. */
  eventsDropped: number;
  /** Units lost to a full outbound queue, by sender (the fair queue drops the biggest's). */
  queueDroppedBy: Record<string, number>;
  /** Connections open right now (more than 1 only in server modes, see module doc). */
  openConnections: number;
}

/** A link with its extra counters. */
export interface LinkWithExtras extends Link {
  /** {@link LinkStats} plus {@link LinkExtraStats}. */
  stats(): LinkStats & LinkExtraStats;
  /** Where a server link listens (`127.0.0.1:50001`, `ws://…`); undefined for other links. */
  readonly address?: string;
  /** The port a server link actually bound (useful with port 0). */
  readonly port?: number;
}

/**
 * Builds a link over `source`. Starts connecting or accepting at once.
 *
 * @example
 * const link = createLink({ kind: "dial", target: "127.0.0.1:50001",
 *   dial: (signal) => dialTcp("127.0.0.1", 50001, signal) }, { describe: "tcp client" });
 * link.setSetup([startUnit]);
 * for await (const ev of link.events()) if (ev.kind === "line") console.log(ev.line.text);
 */
export function createLink(source: ConnSource, options: LinkOptions): LinkWithExtras {
  const clock = options.clock ?? realClock;
  const log = options.logger ?? silentLogger;
  const queue = createOutboundQueue({ limit: options.queueLimit, policy: options.overflow });
  /** Units each sender lost to a full queue (status), and their log, a record per window each. */
  const queueLosses = new Map<string, number>();
  const overflowLog = createLogThrottle(log, clock, { perWindow: 1, windowMs: 10_000 });
  const backoff = createBackoff(options.backoff);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const flushTimeoutMs = options.flushTimeoutMs ?? 5000;
  const eventBuffer = options.eventBuffer ?? 10_000;
  const events = createChannel<LinkEvent>();
  const abort = new AbortController();

  let state: LinkState = source.kind === "listen" ? "listening" : "connecting";
  let current: Conn | undefined;
  let connectedSince: number | undefined;
  /** Open connections, oldest first. */
  const live: Conn[] = [];
  const ended = new Set<Conn>();
  const readers = new Map<Conn, Promise<void>>();
  const carriedData = new Set<Conn>();
  let connectionsSeen = 0;
  let setup: WireUnit[] = [];
  /** Setup units still to write on `setupFor`, before anything queued. */
  let pendingSetup: WireUnit[] = [];
  let setupFor: Conn | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;
  let eventsDropped = 0;
  let overflowWarned = false;
  const counters = {
    linesIn: 0,
    linesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    invalidUtf8In: 0,
    droppedIn: 0,
  };

  function emit(ev: LinkEvent): void {
    if (events.closed) return;
    if (events.size >= eventBuffer && ev.kind !== "state") {
      if (events.dropOldest((e) => e.kind === "line" || e.kind === "dropped")) eventsDropped++;
      if (!overflowWarned) {
        overflowWarned = true;
        log.warn("link event consumer is behind; discarding the oldest inbound lines", {
          buffer: eventBuffer,
        });
      }
    } else if (events.size < eventBuffer / 2) {
      overflowWarned = false;
    }
    events.push(ev);
  }

  function setState(next: LinkState, connection?: string, detail?: string): void {
    state = next;
    const ev: LinkEvent = { kind: "state", state: next, at: clock.now() };
    if (connection !== undefined) ev.connection = connection;
    if (detail !== undefined) ev.detail = detail;
    emit(ev);
  }

  // ---- inbound -------------------------------------------------------------------------------

  function deliver(conn: Conn, out: DecodeResult): void {
    const at = clock.now();
    for (const line of out.lines) {
      counters.linesIn++;
      if (line.invalidUtf8) {
        counters.invalidUtf8In++;
        log.debug("inbound line is not valid UTF-8; decoded leniently", {
          connection: conn.id,
          text: line.text.slice(0, 80),
        });
      }
      emit({ kind: "line", line, connection: conn.id, at });
    }
    for (const dropped of out.dropped) {
      counters.droppedIn++;
      log.warn("inbound line over the limit dropped", {
        connection: conn.id,
        bytes: dropped.byteLength,
        head: dropped.head.slice(0, 60),
      });
      emit({ kind: "dropped", dropped, connection: conn.id, at });
    }
  }

  async function readLoop(conn: Conn): Promise<void> {
    const decoder = createLineDecoder(
      options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes },
    );
    let reason = "peer closed the connection";
    try {
      for await (const chunk of conn.chunks()) {
        counters.bytesIn += chunk.bytes.length;
        carriedData.add(conn);
        // One push per LF-terminated piece: a DecodeResult keeps lines and dropped lines in
        // separate arrays, so feeding a piece at a time is what keeps their events in wire order.
        const b = chunk.bytes;
        let from = 0;
        for (let lf = b.indexOf(LF); lf >= 0; lf = b.indexOf(LF, from)) {
          deliver(conn, decoder.push(b.subarray(from, lf + 1)));
          from = lf + 1;
        }
        if (from < b.length) deliver(conn, decoder.push(b.subarray(from)));
        if (chunk.frameEnd) deliver(conn, decoder.endFrame());
      }
    } catch (err) {
      reason = `read failed: ${errorText(err)}`;
    }
    deliver(conn, decoder.end());
    connectionEnded(conn, reason);
  }

  // ---- connections ---------------------------------------------------------------------------

  function adopt(conn: Conn): void {
    const previous = current;
    live.push(conn);
    connectionsSeen++;
    current = conn;
    connectedSince = clock.now();
    setupFor = conn;
    pendingSetup = [...setup];
    const info = Object.entries(conn.info).map(([k, v]) => `${k}=${v}`).join(" ");
    log.info(`connected: ${conn.id}`, { link: options.describe, ...conn.info });
    if (previous) {
      log.warn(
        `new connection ${conn.id} replaces ${previous.id} as current; the old one is kept open ` +
          "(read, never written) because closing it would end MMDAgent-EX's service on Linux",
      );
    }
    setState("connected", conn.id, info || undefined);
    readers.set(conn, readLoop(conn));
    kick();
  }

  function connectionEnded(conn: Conn, reason: string): void {
    if (ended.has(conn)) return;
    ended.add(conn);
    const i = live.indexOf(conn);
    if (i >= 0) live.splice(i, 1);
    // Release our side too: after the peer's EOF this completes the TCP close handshake.
    conn.close().catch(() => {});
    if (closing) {
      if (conn === current) current = undefined;
      return;
    }
    if (conn !== current) {
      log.info(`older connection ${conn.id} ended (${reason})`);
      return;
    }
    const fallback = live.at(-1);
    if (fallback) {
      current = fallback;
      connectedSince = clock.now();
      log.warn(`current connection ${conn.id} ended (${reason}); ${fallback.id} is current again`);
      setState("connected", fallback.id, `resumed after ${conn.id} ended`);
      kick();
      return;
    }
    current = undefined;
    connectedSince = undefined;
    settleWaiters();
    log.warn(`disconnected: ${conn.id} (${reason})`, { queued: queue.depth });
    setState("disconnected", conn.id, reason);
    if (source.kind === "listen") setState("listening", undefined, source.listener.address);
    if (source.kind === "single") void shutdown("stream ended");
  }

  /** Senders waiting for a write learn that their unit now waits for the next connection. */
  function settleWaiters(): void {
    for (const item of queue.items()) {
      const settle = item.settle;
      if (settle) {
        item.settle = undefined;
        settle({ status: "queued", depth: queue.depth });
      }
    }
  }

  async function dialLoop(src: Extract<ConnSource, { kind: "dial" }>): Promise<void> {
    let failures = 0;
    setState("connecting", undefined, src.target);
    while (!closing) {
      let conn: Conn | undefined;
      const attempt = new AbortController();
      const onAbort = () => attempt.abort(abort.signal.reason);
      abort.signal.addEventListener("abort", onAbort, { once: true });
      const timer = clock.setTimeout(
        () => attempt.abort(new Error(`no answer within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      try {
        conn = await src.dial(attempt.signal);
      } catch (err) {
        failures++;
        const msg = `connect to ${src.target} failed: ${errorText(err)}`;
        if (!closing) (failures === 1 ? log.warn : log.debug)(msg, { attempt: failures });
      } finally {
        clock.clearTimeout(timer);
        abort.signal.removeEventListener("abort", onAbort);
      }
      if (conn) {
        if (closing) {
          await conn.close();
          break;
        }
        failures = 0;
        adopt(conn);
        const upSince = clock.now();
        await readers.get(conn);
        if (carriedData.has(conn) || clock.now() - upSince >= BACKOFF_RESET_AFTER_MS) {
          backoff.reset();
        }
        if (closing) break;
      }
      const delay = backoff.next();
      if (conn) setState("connecting", undefined, `${src.target}, retry in ${delay} ms`);
      else log.debug(`retrying ${src.target} in ${delay} ms`);
      try {
        await clock.sleep(delay, abort.signal);
      } catch {
        break; // closed while waiting
      }
    }
  }

  async function acceptLoop(listener: Listener): Promise<void> {
    setState("listening", undefined, listener.address);
    log.info(`listening on ${listener.address}`, { link: options.describe });
    for await (const conn of listener.connections()) {
      if (closing) {
        await conn.close();
        continue;
      }
      adopt(conn);
    }
  }

  // ---- outbound ------------------------------------------------------------------------------
  //
  // At most one batch is in flight. An idle link writes what was sent in one turn together, at the
  // end of that turn's microtasks (no timer, no macrotask hop); while a write is in flight, units wait in the bounded
  // queue, and when it completes everything ready (setup first) goes out as the next batch, which
  // a byte-stream connection joins into one write (coalesce.ts). Outcomes are settled per unit when
  // its batch completes.

  /** Settles when the batch in flight has been handled; undefined while idle. */
  let inflight: Promise<void> | undefined;
  let kickQueued = false;

  /**
   * Kicks once the current turn's microtasks have run: the lines a bot's pipe read produced are
   * sent in one synchronous pass, and written now they went out as two writes (the first alone,
   * the rest once it completed). A microtask, not a timer: no added latency.
   */
  function kickSoon(): void {
    if (kickQueued || inflight) return;
    kickQueued = true;
    queueMicrotask(() => {
      kickQueued = false;
      kick();
    });
  }

  function kick(): void {
    if (inflight) return;
    const conn = current;
    if (!conn || ended.has(conn)) return;
    let setupUnits: WireUnit[] | undefined;
    if (setupFor === conn && pendingSetup.length > 0) {
      setupUnits = pendingSetup.splice(0, MAX_BATCH_UNITS);
    }
    const room = MAX_BATCH_UNITS - (setupUnits?.length ?? 0);
    const items = room > 0 && queue.depth > 0 ? queue.take(room) : undefined;
    if (!setupUnits && !items) return;
    const parts: Uint8Array[] = [];
    if (setupUnits) {
      emit({ kind: "setup", units: setupUnits, connection: conn.id, at: clock.now() });
      for (const u of setupUnits) parts.push(u.bytes);
    }
    if (items) { for (const item of items) parts.push(item.unit.bytes); }
    inflight = conn.writeUnits(parts).then(
      () => written(conn, setupUnits, items),
      (err) => failed(conn, items, err),
    );
  }

  function written(conn: Conn, setupUnits?: WireUnit[], items?: QueuedUnit[]): void {
    inflight = undefined;
    if (setupUnits) count(setupUnits);
    if (items) {
      for (const item of items) {
        countOne(item.unit);
        item.settle?.({ status: "written", connection: conn.id });
      }
    }
    kick();
  }

  /** The connection is treated as ended; its units go back to the head of the queue, in order. */
  function failed(conn: Conn, items: QueuedUnit[] | undefined, err: unknown): void {
    inflight = undefined;
    // Setup units need no requeue: every new connection replays the whole setup list.
    if (items) { for (let i = items.length - 1; i >= 0; i--) queue.requeue(items[i]); }
    connectionEnded(conn, `write failed: ${errorText(err)}`);
    if (!current) settleWaiters();
    else kick();
  }

  function count(units: readonly WireUnit[]): void {
    for (const u of units) countOne(u);
  }

  function countOne(unit: WireUnit): void {
    counters.bytesOut += unit.bytes.length;
    if (unit.kind === "line") counters.linesOut++;
  }

  function enqueue(
    unit: WireUnit,
    source: string | undefined,
    settle?: (o: SendOutcome) => void,
  ): SendOutcome | undefined {
    const item: QueuedUnit = { unit, settle, source };
    const result = queue.push(item);
    if (result.loser === undefined) return undefined;
    // Full: the sender holding the most units lost one (see queue.ts); reported once a window.
    const loser = result.loser || "(unnamed)";
    queueLosses.set(loser, (queueLosses.get(loser) ?? 0) + 1);
    if (queueLosses.size > 1000) queueLosses.delete(queueLosses.keys().next().value!);
    const reason = `outbound queue full (${queue.limit} units while MMDAgent-EX cannot take ` +
      `them); ${loser} holds the most (${queue.held(loser)}), so one of its lines was dropped`;
    overflowLog.log(`queue-full:${loser}`, "warn", reason, {
      bot: loser,
      policy: queue.policy,
      text: (result.evicted?.unit ?? unit).text.slice(0, 60),
      fix: `${loser}: send fewer lines while MMDAgent-EX is away (ctx.connected tells), or make ` +
        "them setup lines, which are replayed after every reconnect instead of queued",
    });
    if (result.evicted) {
      result.evicted.settle?.({ status: "dropped", reason });
      result.evicted.settle = undefined;
    }
    return result.accepted ? undefined : { status: "dropped", reason };
  }

  // ---- close ---------------------------------------------------------------------------------

  async function flush(): Promise<void> {
    let timer: number | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = clock.setTimeout(resolve, flushTimeoutMs);
    });
    let timedOut = false;
    void deadline.then(() => (timedOut = true));
    try {
      for (;;) {
        kick();
        if (!inflight || timedOut) break;
        await Promise.race([inflight, deadline]);
      }
    } finally {
      clock.clearTimeout(timer!);
    }
    if (timedOut) log.warn(`flush on close gave up after ${flushTimeoutMs} ms`);
  }

  function shutdown(why: string): Promise<void> {
    closed ??= (async () => {
      await flush();
      closing = true;
      abort.abort(new Error("link closed"));
      for (const item of queue.drain()) {
        item.settle?.({ status: "dropped", reason: `link closed (${why}) before it was written` });
      }
      // Stop accepting first, but release live connections without waiting for that: an HTTP
      // server's close completes only once its connections are gone.
      const stopping = source.kind === "listen" ? source.listener.close() : Promise.resolve();
      await Promise.all(live.map((c) => c.close().catch(() => {})));
      await stopping;
      await Promise.all(readers.values());
      await loop;
      current = undefined;
      connectedSince = undefined;
      log.info(`link closed (${why})`, { link: options.describe });
      setState("closed", undefined, why);
      overflowLog.close();
      events.close();
    })();
    return closed;
  }

  const loop: Promise<void> = source.kind === "dial"
    ? dialLoop(source)
    : source.kind === "listen"
    ? acceptLoop(source.listener)
    : Promise.resolve().then(() => adopt(source.conn));

  return {
    describe: options.describe,
    address: source.kind === "listen" ? source.listener.address : undefined,
    port: source.kind === "listen" ? source.listener.port : undefined,
    events: () => events,
    eventBatches: () => events.batches(),
    send(unit, meta) {
      if (closing || closed) {
        return Promise.resolve({ status: "dropped", reason: "link is closed" });
      }
      if (!current) {
        return Promise.resolve(
          enqueue(unit, meta?.source) ?? { status: "queued", depth: queue.depth },
        );
      }
      return new Promise<SendOutcome>((resolve) => {
        const refused = enqueue(unit, meta?.source, resolve);
        if (refused) resolve(refused);
        else kickSoon();
      });
    },
    setSetup(units) {
      const before = new Set(setup.map((u) => u.text));
      setup = [...units];
      // On the live connection, what is new in the list takes effect now, before queued units.
      if (current && setupFor === current) {
        for (const u of setup) if (!before.has(u.text)) pendingSetup.push(u);
        kick();
      }
    },
    stats() {
      const s: LinkStats & LinkExtraStats = {
        state,
        reconnects: Math.max(0, connectionsSeen - 1),
        ...counters,
        queueDepth: queue.depth,
        queueDropped: queue.dropped,
        queueDroppedBy: Object.fromEntries(queueLosses),
        eventsDropped,
        openConnections: live.length,
      };
      if (current) s.connection = current.id;
      if (connectedSince !== undefined) s.connectedSince = connectedSince;
      return s;
    },
    close: () => shutdown("closed by the runtime"),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
