/**
 * One resilient AMQP 0-9-1 connection (npm `@cloudamqp/amqp-client`, no protocol code of ours):
 * connects with backoff, re-declares its topology and consumers after every reconnect, and
 * publishes with publisher confirms through a bounded outbox, so a publish accepted here survives a
 * broker restart (it is re-sent until the broker confirms it; consumers drop the duplicates by id).
 *
 * Why an outbox: the broker can be unreachable at start or restart under us. The edge must keep
 * serving its avatar meanwhile, and what it accepted must not be lost, so publishes wait here
 * (bounded) instead of failing.
 *
 * Every promise the client hands out is handled here, and every wait on the client is bounded:
 * a broker killed mid-handshake or mid-close never leaves a promise hanging or rejecting unseen.
 */
import { AMQPClient, AMQPConsumer } from "@cloudamqp/amqp-client";
import type { AMQPChannel, AMQPMessage, AMQPProperties } from "@cloudamqp/amqp-client";
import type { Logger as ClientLogger } from "@cloudamqp/amqp-client";
import { createBackoff } from "../transport/backoff.ts";
import type { Logger } from "../log/logger.ts";

/** Most publishes held while the broker is away; past it the oldest is dropped and logged. */
export const OUTBOX_LIMIT = 20_000;
/** Unconfirmed publishes on the wire at once (pipelined; order is kept by the channel). */
export const MAX_IN_FLIGHT = 256;
/** Longest a connect (TCP, AMQP handshake, channel, topology) may take before it is retried. */
export const CONNECT_TIMEOUT_MS = 15_000;
/** Longest a graceful close waits for the broker's close-ok before the socket is dropped. */
const CLOSE_TIMEOUT_MS = 2_000;
/** A publish the broker refuses this many times while the connection stays up is given up. */
const MAX_ATTEMPTS = 3;

/** Options of {@link openBrokerConnection}. */
export interface BrokerConnectionOptions {
  /** `amqp://user:pass@host:port/vhost` (heartbeat 5 s is added unless the URL sets one). */
  url: string;
  /** Shown in the broker's connection list and in logs. */
  name: string;
  /** Where connection changes are logged. */
  logger: Logger;
  /**
   * Declares topology and starts consumers on a fresh channel; runs after every (re)connect,
   * before the outbox is flushed. Bounded by {@link CONNECT_TIMEOUT_MS}.
   */
  onUp: (channel: AMQPChannel) => Promise<void>;
  /** Told when the connection is lost (consumers are gone with it). */
  onDown?: (reason: string) => void;
}

/** State for `status` and tests. */
export interface BrokerConnectionStats {
  /** A channel is open and publishing. */
  up: boolean;
  /** Successful connects so far (1 after the first). */
  connects: number;
  /** Publishes accepted and not yet confirmed by the broker. */
  outbox: number;
  /** Publishes dropped because the outbox was full. */
  dropped: number;
  /** Why the last attempt or connection failed. */
  lastError?: string;
}

/** A resilient broker connection. */
export interface BrokerConnection {
  /** Publishes once the broker confirms it; waits (bounded) while the broker is away. */
  publish(
    exchange: string,
    routingKey: string,
    body: string | Uint8Array,
    properties?: AMQPProperties,
  ): Promise<void>;
  /** Resolves when the connection is up (at once when it is). */
  ready(signal?: AbortSignal): Promise<void>;
  /** Counters and state. */
  stats(): BrokerConnectionStats;
  /** Closes for good: pending publishes get up to 2 s to be confirmed, then are rejected. */
  close(): Promise<void>;
}

interface Pending {
  exchange: string;
  routingKey: string;
  body: string | Uint8Array;
  properties: AMQPProperties;
  attempts: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The npm client with one change: a failed socket write never rejects `send`. Use it for every
 * connection (tests included) instead of `AMQPClient`.
 *
 * Why: in 4.1.1 `basicPublish` with confirms creates the confirm promise before it writes; when
 * the write fails (EPIPE once the broker is killed) the publish rejects with the write error, and
 * the confirm promise, rejected a moment later when the socket's close event closes the channel,
 * has no handler: an unhandled rejection that ends the process. A failed write during the
 * handshake calls an unbound `this.rejectConnect` (a TypeError, unhandled too). With the write
 * error swallowed (and the socket destroyed), the socket's close event, which always follows, is
 * the one place everything pending is rejected, and each of those promises has a handler.
 */
export class BrokerClient extends AMQPClient {
  /** Writes bytes; a failed write drops the socket instead of rejecting (see above). */
  override send(bytes: Uint8Array): Promise<void> {
    return super.send(bytes).catch(() => {
      this.socket?.destroy();
    });
  }

  /**
   * Connects with Nagle's algorithm off: a publish and its confirm are small frames, and with it
   * on (Node's default) each hop waited for a delayed ACK (~90 ms edge → worker → edge, measured).
   */
  override connect(): ReturnType<AMQPClient["connect"]> {
    const connecting = super.connect();
    this.socket?.setNoDelay(true);
    return connecting;
  }

  /** Drops the TCP connection at once (no close handshake). */
  drop(): void {
    this.socket?.destroy();
  }
}

/**
 * Starts a consumer whose callback is in place before the broker is asked for it; resolves with
 * its tag once the broker confirmed it. Use it instead of `channel.basicConsume`.
 *
 * Why: amqp-client 4.1.1 registers a consumer only once it has matched the broker's consume-ok
 * to the request, and drops (unacknowledged, with a warning) every delivery for a tag it does not
 * know. A delivery that overtakes the consume-ok, or a consume-ok matched to another request (see
 * {@link oneAtATime}), left that queue's messages held by a consumer nobody listens to: the avatar
 * was never served. With our own tag registered first, every delivery finds its callback.
 */
export async function consume(
  channel: AMQPChannel,
  queue: string,
  params: { noAck: boolean },
  callback: (msg: AMQPMessage) => void | Promise<void>,
): Promise<string> {
  const tag = `mmdbot-${crypto.randomUUID()}`;
  channel.consumers.set(tag, new AMQPConsumer(channel, tag, callback));
  try {
    await channel.basicConsume(queue, { ...params, tag }, callback);
  } catch (err) {
    channel.consumers.delete(tag);
    throw err;
  }
  return tag;
}

const rpcChains = new WeakMap<AMQPChannel, Promise<unknown>>();

/**
 * Runs `fn` (a sequence of awaited channel methods) after every earlier `fn` on this channel has
 * finished, so at most one request of ours waits for its reply on a channel.
 *
 * Why: amqp-client sends a channel's requests without waiting for the previous reply and pairs
 * replies with requests in order. RabbitMQ answers a `basic.consume` on a single-active-consumer
 * queue holding messages through the queue's process, and a `queue.declare` sent after it can be
 * answered first (seen: two workers subscribing to ten avatars at once). The declare then took the
 * consume-ok, the consume a later declare's reply, and that avatar's events went to a consumer the
 * client never registered: one avatar in ten was never served in about half the runs.
 */
export function oneAtATime<T>(channel: AMQPChannel, fn: () => Promise<T>): Promise<T> {
  const before = rpcChains.get(channel) ?? Promise.resolve();
  const run = before.then(fn, fn);
  rpcChains.set(channel, run.catch(() => {}));
  return run;
}

/**
 * The client's own warnings (a delivery it could not place, a blocked connection) go to our log,
 * bounded: a client stuck in a loop must not flood it.
 */
function clientLogger(log: Logger): ClientLogger {
  let told = 0;
  const say = (level: "warn" | "error") => (...args: unknown[]) => {
    if (told++ < 20 || told % 1000 === 0) log[level](`amqp-client: ${args.map(String).join(" ")}`);
  };
  return { debug() {}, info() {}, warn: say("warn"), error: say("error") };
}

/**
 * `p`, or a rejection after `ms`. A late rejection of `p` is handled (it is expected: the caller
 * has moved on and cleans up through other means).
 */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  p.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
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

const message = (err: unknown) => String((err as Error)?.message ?? err);

/** Opens a connection that keeps itself up until {@link BrokerConnection.close}. */
export function openBrokerConnection(options: BrokerConnectionOptions): BrokerConnection {
  const log = options.logger;
  const clientLog = clientLogger(log);
  const backoff = createBackoff({ initialMs: 250, maxMs: 5000 });
  const outbox: Pending[] = [];
  const waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  let channel: AMQPChannel | undefined;
  let client: BrokerClient | undefined;
  let closed = false;
  let connects = 0;
  let dropped = 0;
  let lastError: string | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let signalClosing!: () => void;
  const closing = new Promise<"closing">((r) => (signalClosing = () => r("closing")));

  /** Publishes sent and not yet confirmed, in order; they go back to the outbox on a drop. */
  let inflight: Pending[] = [];
  /** Bumped on every requeue: a confirm or failure of an older send is ignored (resent since). */
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
        refused(ch, message(err));
      });
    }
  }

  /** Unconfirmed publishes go back to the front of the outbox, in their order. */
  function requeue(): void {
    generation++;
    outbox.unshift(...inflight);
    inflight = [];
  }

  /**
   * A publish failed. When the connection is going away the run loop reconnects and resends.
   * When it stays up (a nack, a channel closed by a refused publish, a blocked connection), the
   * publishes in flight are tried again a few times, on a new connection if the channel is gone,
   * and then given up with the broker's reason: a poison publish must not stall the outbox.
   */
  function refused(ch: AMQPChannel, reason: string): void {
    lastError = reason;
    const c = client;
    if (!c || c.closed) {
      requeue();
      channel = undefined;
      return;
    }
    for (const p of inflight) p.attempts++;
    const failed = inflight.filter((p) => p.attempts >= MAX_ATTEMPTS);
    inflight = inflight.filter((p) => p.attempts < MAX_ATTEMPTS);
    for (const p of failed) {
      p.reject(new Error(`the broker refused this publish ${MAX_ATTEMPTS} times: ${reason}`));
    }
    if (failed.length > 0) {
      log.error(`broker: ${failed.length} publish(es) given up: ${reason}`);
    }
    requeue();
    if (ch.closed) {
      channel = undefined;
      c.drop(); // the run loop sees the disconnect and reconnects with a fresh channel
      return;
    }
    clearTimeout(retry);
    retry = setTimeout(flush, 500);
  }

  /** One connection attempt: socket, handshake, channel, confirms, the caller's topology. */
  async function connectOnce(c: BrokerClient): Promise<AMQPChannel> {
    await c.connect();
    const ch = await c.channel();
    await ch.confirmSelect();
    await options.onUp(ch);
    return ch;
  }

  async function run(): Promise<void> {
    while (!closed) {
      const c = new BrokerClient(withHeartbeat(options.url), undefined, clientLog);
      c.name = options.name;
      const lost = new Promise<string>((resolve) => {
        c.ondisconnect = (err) => resolve(err?.message ?? "connection closed");
      });
      client = c;
      try {
        const attempt = bounded(connectOnce(c), CONNECT_TIMEOUT_MS, "connecting");
        const ch = await Promise.race([attempt, closing]);
        if (ch === "closing") break;
        channel = ch;
        connects++;
        backoff.reset();
        log.info(`broker: connected to ${redactUrl(options.url)} as ${options.name}`);
        for (const w of waiters) w.resolve();
        waiters.clear();
        flush();
        const reason = await Promise.race([lost, closing]);
        channel = undefined;
        requeue();
        if (reason === "closing") break;
        lastError = reason;
        log.warn(`broker: connection lost (${reason}); reconnecting with backoff`);
        options.onDown?.(reason);
      } catch (err) {
        channel = undefined;
        requeue();
        const msg = message(err);
        if (msg !== lastError) {
          log.warn(
            `broker: cannot reach ${redactUrl(options.url)} (${msg}); retrying with backoff, ` +
              "local bots keep running",
          );
        }
        lastError = msg;
      } finally {
        // A failed or lost connection may leave a half-open socket; close() ends its own.
        if (!closed && channel === undefined) c.drop();
      }
      if (closed) break;
      await Promise.race([
        new Promise<void>((r) => {
          const t = setTimeout(r, backoff.next());
          closing.then(() => clearTimeout(t));
        }),
        closing,
      ]);
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
        outbox.push({ exchange, routingKey, body, properties, attempts: 0, resolve, reject });
        if (channel) flush();
      });
    },
    ready(signal) {
      if (channel) return Promise.resolve();
      if (closed) return Promise.reject(new Error("broker connection closed"));
      return new Promise<void>((resolve, reject) => {
        const w = { resolve, reject };
        waiters.add(w);
        signal?.addEventListener("abort", () => {
          waiters.delete(w);
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
      clearTimeout(retry);
      signalClosing();
      const c = client;
      if (c && !c.closed) {
        await bounded(c.close(), CLOSE_TIMEOUT_MS, "closing").catch(() => {});
      }
      c?.drop();
      channel = undefined;
      requeue();
      const err = new Error("broker connection closed");
      for (const p of outbox.splice(0)) p.reject(err);
      for (const w of waiters) w.reject(err);
      waiters.clear();
      await running;
    },
  };
}
