/**
 * A bot worker (`mmdbot worker`): runs the manifest's bots for every avatar it learns of, each
 * avatar in its own runtime (host, bots, guard) on an {@link avatarLink}, so a bot's per-avatar
 * state lives in one process. Avatars come from the edges' announcements (or a fixed list).
 *
 * Competing consumers: every worker subscribes to each avatar's events queue, which has a single
 * active consumer: the broker hands the avatar to one worker at a time, in order, and to the next
 * when that worker's connection ends (crash, kill, network). An event is acknowledged once the
 * worker's runtime dispatched it to the bots; unacknowledged ones go to the next worker. A
 * redelivered event this worker already dispatched (same edge `run`, `seq` not newer) is skipped.
 */
import type { AMQPChannel, AMQPMessage } from "@cloudamqp/amqp-client";
import { realClock } from "../clock/clock.ts";
import type { Launcher } from "../host/host.ts";
import type { Logger } from "../log/logger.ts";
import type { Manifest } from "../manifest/types.ts";
import { createRuntime, type Runtime } from "../session/runtime.ts";
import {
  type BrokerConnection,
  consume,
  oneAtATime,
  openBrokerConnection,
  redactUrl,
} from "./connection.ts";
import { Announcement, AvatarEvent, decodeBody, SND_TYPE } from "./messages.ts";
import { type AvatarLink, avatarLink } from "./avatar_link.ts";
import { ANNOUNCE_EXCHANGE, AvatarName, avatarQueues, EVENTS_QUEUE_ARGS } from "./topology.ts";

/** Events taken from one avatar's queue before they are acknowledged. */
const EVENT_PREFETCH = 64;

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** `amqp://user:pass@host:5672/vhost`. */
  url: string;
  /** This worker's name (logs, the broker's connection list, command ids). */
  name: string;
  /** The bots to run for every avatar. */
  manifest: Manifest;
  launcher: Launcher;
  logger: Logger;
  /** Serve only these avatars (default: every avatar an edge announces). */
  avatars?: readonly string[];
}

/** Counters of a worker. */
export interface WorkerStats {
  /** The broker connection is up. */
  up: boolean;
  /** Avatars this worker has runtimes for (active or standby). */
  avatars: string[];
  /** Events dispatched to bots. */
  events: number;
  /** Redelivered events skipped. */
  duplicates: number;
  /** Malformed messages dropped. */
  malformed: number;
}

/** A running worker. */
export interface Worker {
  readonly name: string;
  stats(): WorkerStats;
  /** Resolves once the runtime of `avatar` runs (bots loaded). */
  serving(avatar: string): Promise<void>;
  /** Stops every avatar's bots and closes the broker connection. */
  stop(): Promise<void>;
}

interface Served {
  avatar: string;
  link: AvatarLink;
  runtime: Runtime;
  started: Promise<void>;
  /** Acks of dispatched lines, in order; taken as the runtime hands each line on. */
  acks: (() => void)[];
  last?: { run: string; seq: number };
}

/** Starts a worker; it connects in the background (with backoff) and serves as avatars appear. */
export function startWorker(options: WorkerOptions): Worker {
  const log = options.logger.child(`worker:${options.name}`);
  const served = new Map<string, Served>();
  const counts = { events: 0, duplicates: 0, malformed: 0 };
  let channel: AMQPChannel | undefined;
  let stopping = false;
  let conn: BrokerConnection | undefined = undefined;

  const onEvent = (s: Served) => (msg: AMQPMessage) => {
    const ack = () => void msg.ack().catch(() => {}); // lost ack: redelivered, then skipped
    const decoded = decodeBody(AvatarEvent, msg.bodyToString() ?? "");
    if (!decoded.ok || decoded.value.avatar !== s.avatar) {
      counts.malformed++;
      log.warn(
        `dropped a malformed event on ${avatarQueues(s.avatar).events}: ` +
          (decoded.ok ? `for avatar ${decoded.value.avatar}` : decoded.reason),
      );
      ack();
      return;
    }
    const ev = decoded.value;
    if (s.last && s.last.run === ev.run && ev.seq <= s.last.seq) {
      counts.duplicates++;
      ack();
      return;
    }
    s.last = { run: ev.run, seq: ev.seq };
    counts.events++;
    if (ev.kind === "refused") {
      const { code, reason, fix } = ev;
      s.runtime.host.tellRefused(ev.bot, ev.line, {
        code,
        reason: `the edge of ${s.avatar} refused ${JSON.stringify(ev.line)}: ${reason}`,
        ...(fix ? { fix } : {}),
      });
      ack();
      return;
    }
    if (ev.kind === "line") s.acks.push(ack);
    s.link.deliver(ev);
    if (ev.kind !== "line") ack();
  };

  /**
   * Subscribes to one avatar's events. Subscriptions run one at a time per channel (see
   * {@link oneAtATime}): ten avatars announced at once must not pipeline their declares behind
   * each other's consumes.
   */
  const subscribe = (ch: AMQPChannel, s: Served) =>
    oneAtATime(ch, async () => {
      const q = avatarQueues(s.avatar);
      await ch.queueDeclare(q.events, { durable: true }, EVENTS_QUEUE_ARGS);
      await ch.queueDeclare(q.commands, { durable: true });
      await consume(ch, q.events, { noAck: false }, onEvent(s));
      // Whoever holds the avatar now hears its state from the edge (this worker, when first).
      s.link.query();
    });

  const serve = (avatar: string): Served => {
    const found = served.get(avatar);
    if (found) return found;
    const link = avatarLink(avatar, options.name, (cmd) => {
      const queue = avatarQueues(avatar).commands;
      const common = { deliveryMode: 2, messageId: cmd.id, timestamp: new Date() };
      if (cmd.kind !== "snd") {
        return conn!.publish("", queue, JSON.stringify(cmd), {
          ...common,
          contentType: "application/json",
        });
      }
      // Audio as bytes (no base64): the identity in the headers, the packet as the body.
      const { packet, kind: _kind, ...headers } = cmd;
      return conn!.publish("", queue, packet, {
        ...common,
        type: SND_TYPE,
        contentType: "application/octet-stream",
        headers,
      });
    });
    const runtime = createRuntime({
      manifest: options.manifest,
      link,
      clock: realClock,
      logger: options.logger.child(`avatar:${avatar}`),
      launcher: options.launcher,
    });
    const s: Served = { avatar, link, runtime, started: Promise.resolve(), acks: [] };
    // Each line the runtime handed to the bots is acknowledged, in order.
    runtime.tap.onRecord((r) => {
      if (r.dir === "in") s.acks.shift()?.();
    });
    s.started = runtime.start().then(() => {
      log.info(`serving avatar ${avatar} (${options.manifest.bots.length} bot(s))`);
    });
    s.started.catch((err) => log.error(`avatar ${avatar}: bots failed to start: ${err}`));
    served.set(avatar, s);
    if (channel) {
      const ch = channel;
      subscribe(ch, s).catch((err) =>
        log.warn(
          `avatar ${avatar}: subscribing failed (${(err as Error).message}); retried on reconnect`,
        )
      );
    }
    return s;
  };

  const onAnnouncement = (msg: AMQPMessage) => {
    const a = decodeBody(Announcement, msg.bodyToString() ?? "");
    if (!a.ok) {
      counts.malformed++;
      return;
    }
    if (!stopping && !served.has(a.value.avatar)) {
      log.info(`avatar ${a.value.avatar} announced itself`);
      serve(a.value.avatar);
    }
  };

  const fixed = options.avatars?.map((a) => AvatarName.parse(a));
  for (const a of fixed ?? []) serve(a);

  conn = openBrokerConnection({
    url: options.url,
    name: `mmdbot worker ${options.name}`,
    logger: log,
    onUp: async (ch) => {
      channel = undefined;
      await ch.basicQos(EVENT_PREFETCH);
      if (!fixed) {
        await ch.exchangeDeclare(ANNOUNCE_EXCHANGE, "fanout", { durable: true });
        const q = await ch.queueDeclare("", { exclusive: true, autoDelete: true });
        await ch.queueBind(q.name, ANNOUNCE_EXCHANGE, "");
        await consume(ch, q.name, { noAck: true }, onAnnouncement);
      }
      // Acks still queued belong to the old channel: they stay in line, so each later one still
      // pairs with its own line, and fail harmlessly (those lines come again and are skipped).
      for (const s of served.values()) await subscribe(ch, s);
      channel = ch;
    },
    onDown: () => {
      channel = undefined;
    },
  });
  log.info(`worker ${options.name} joins the broker ${redactUrl(options.url)}`);

  return {
    name: options.name,
    stats: () => ({
      up: conn?.stats().up ?? false,
      avatars: [...served.keys()],
      ...counts,
    }),
    serving(avatar) {
      return serve(avatar).started;
    },
    async stop() {
      stopping = true;
      // Close the broker first: undispatched events go to another worker, not to stopping bots.
      await conn?.close();
      await Promise.all([...served.values()].map((s) => s.runtime.stop()));
    },
  };
}
