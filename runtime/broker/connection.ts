/**
 * One resilient AMQP 0-9-1 connection (npm `@cloudamqp/amqp-client`, no protocol code of ours):
 * connects with backoff, re-declares its topology and consumers after every reconnect, and
 * publishes with publisher confirms through a bounded outbox, so a publish accepted here survives a
 * broker restart (it is re-sent until the broker confirms it; consumers drop the duplicates by id).
 *
 * Why an outbox: the broker can be unreachable at start or restart under us. The edge must keep
 * serving its avatar meanwhile, and what it accepted must not be lost, so publishes wait here
 * (bounded) instead of failing.
 */
import { AMQPClient } from "@cloudamqp/amqp-client";
import type { AMQPChannel, AMQPProperties } from "@cloudamqp/amqp-client";
import { createBackoff } from "../transport/backoff.ts";
import type { Logger } from "../log/logger.ts";

/** Most publishes held while the broker is away; past it the oldest is dropped and logged. */
export const OUTBOX_LIMIT = 20_000;
/** Unconfirmed publishes on the wire at once (pipelined; order is kept by the channel). */
export const MAX_IN_FLIGHT = 256;

/** Options of {@link openBrokerConnection}. */
export interface BrokerConnectionOptions {
  /** `amqp://user:pass@host:port/vhost` (heartbeat 5 s is added unless the URL sets one). */
  url: string;
  /** Shown in the broker's connection list and in logs. */
  name: string;
  logger: Logger;
  /**
   * Declares topology and starts consumers on a fresh channel; runs after every (re)connect,
   * before the outbox is flushed.
   */
  onUp: (channel: AMQPChannel) => Promise<void>;
  /** Told when the connection is lost (consumers are gone with it). */
  onDown?: (reason: string) => void;
}

/** State for `status` and tests. */
export interface BrokerConnectionStats {
  up: boolean;
  connects: number;
  outbox: number;
  dropped: number;
  lastError?: string;
}

/** A resilient broker connection. */
export interface BrokerConnection {
  /** Publishes once the broker confirms it; waits (bounded) while the broker is away. */
  publish(
    exchange: string,
    routingKey: string,
    body: string,
    properties?: AMQPProperties,
  ): Promise<void>;
  /** Resolves when the connection is up (at once when it is). */
  ready(signal?: AbortSignal): Promise<void>;
  stats(): BrokerConnectionStats;
  /** Closes for good: pending publishes are rejected. */
  close(): Promise<void>;
}

interface Pending {
  exchange: string;
  routingKey: string;
  body: string;
  properties: AMQPProperties;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The URL with a heartbeat, so a broker that vanishes without a FIN is noticed within ~10 s. */
function withHeartbeat(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has("heartbeat")) u.searchParams.set("heartbeat", "5");
  return u.toString();
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

/** Opens a connection that keeps itself up until {@link BrokerConnection.close}. */
export function openBrokerConnection(options: BrokerConnectionOptions): BrokerConnection {
  const log = options.logger;
  const backoff = createBackoff({ initialMs: 250, maxMs: 5000 });
  const outbox: Pending[] = [];
  const waiters = new Set<() => void>();
  let channel: AMQPChannel | undefined;
  let client: AMQPClient | undefined;
  let closed = false;
  let connects = 0;
  let dropped = 0;
  let lastError: string | undefined;
  let wake: (() => void) | undefined;

  const fail = (err: Error) => {
    for (const p of outbox.splice(0)) p.reject(err);
  };

  /** Publishes sent and not yet confirmed, in order; they go back to the outbox on a drop. */
  let inflight: Pending[] = [];
  let generation = 0;

  /** Sends from the outbox, pipelined up to {@link MAX_IN_FLIGHT} unconfirmed publishes. */
  function flush(): void {
    const ch = channel;
    if (!ch || closed) return;
    const gen = generation;
    while (outbox.length > 0 && inflight.length < MAX_IN_FLIGHT) {
      const p = outbox.shift()!;
      inflight.push(p);
      ch.basicPublish(p.exchange, p.routingKey, p.body, p.properties).then(() => {
        if (gen !== generation) return; // requeued after a drop; settled by the resend
        const i = inflight.indexOf(p);
        if (i >= 0) inflight.splice(i, 1);
        p.resolve();
        flush();
      }, (err) => {
        if (gen !== generation) return;
        lastError = String((err as Error)?.message ?? err);
        requeue();
      });
    }
  }

  /** The channel is gone: unconfirmed publishes go back to the front, in their order. */
  function requeue(): void {
    generation++;
    channel = undefined;
    outbox.unshift(...inflight);
    inflight = [];
  }

  async function run(): Promise<void> {
    while (!closed) {
      try {
        const c = new AMQPClient(withHeartbeat(options.url));
        c.name = options.name;
        const lost = new Promise<string>((resolve) => {
          c.ondisconnect = (err) => resolve(err?.message ?? "connection closed");
        });
        await c.connect();
        client = c;
        const ch = await c.channel();
        await ch.confirmSelect();
        await options.onUp(ch);
        channel = ch;
        connects++;
        backoff.reset();
        log.info(`broker: connected to ${redactUrl(options.url)} as ${options.name}`);
        for (const w of waiters) w();
        waiters.clear();
        flush();
        const reason = await Promise.race([
          lost,
          new Promise<string>((r) => (wake = () => r("closing"))),
        ]);
        requeue();
        client = undefined;
        if (closed) break;
        lastError = reason;
        log.warn(`broker: connection lost (${reason}); reconnecting with backoff`);
        options.onDown?.(reason);
      } catch (err) {
        requeue();
        try {
          await client?.close();
        } catch { /* already gone */ }
        client = undefined;
        const msg = String((err as Error)?.message ?? err);
        if (msg !== lastError) {
          log.warn(
            `broker: cannot reach ${redactUrl(options.url)} (${msg}); retrying with backoff, ` +
              "local bots keep running",
          );
        }
        lastError = msg;
      }
      if (closed) break;
      const delay = backoff.next();
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }
  const running = run();

  return {
    publish(exchange, routingKey, body, properties = {}) {
      if (closed) return Promise.reject(new Error("broker connection closed"));
      return new Promise<void>((resolve, reject) => {
        if (outbox.length >= OUTBOX_LIMIT) {
          const old = outbox.shift()!;
          dropped++;
          old.reject(new Error(`broker outbox full (${OUTBOX_LIMIT}): oldest publish dropped`));
          if (dropped === 1 || dropped % 1000 === 0) {
            log.error(
              `broker: outbox full, ${dropped} publish(es) dropped while the broker is away`,
            );
          }
        }
        outbox.push({ exchange, routingKey, body, properties, resolve, reject });
        if (channel) flush();
      });
    },
    ready(signal) {
      if (channel) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = () => resolve();
        waiters.add(done);
        signal?.addEventListener("abort", () => {
          waiters.delete(done);
          reject(signal.reason);
        }, { once: true });
      });
    },
    stats: () => ({
      up: channel !== undefined,
      connects,
      outbox: outbox.length + inflight.length,
      dropped,
      lastError,
    }),
    async close() {
      if (closed) return;
      // Give confirms in flight a moment, then close.
      const deadline = Date.now() + 2000;
      while (channel && outbox.length + inflight.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      closed = true;
      wake?.();
      try {
        await client?.close();
      } catch { /* already gone */ }
      requeue();
      fail(new Error("broker connection closed"));
      await running;
    },
  };
}
