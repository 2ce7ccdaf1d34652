/**
 * The avatar edge: the runtime attached to one MMDAgent-EX, joined to a broker (`start --broker`).
 * A {@link RuntimeService}: it publishes every line MMDAgent-EX sends (and its connects and
 * disconnects) to the avatar's durable events queue, in order, and writes the commands workers
 * put on the avatar's commands queue through {@link Runtime.submit} as the bot that sent them, so
 * each passes that bot's manifest entry (ACL, rate limit) and the guard, as a local bot's line
 * does. A worker is trusted no more than a local bot.
 *
 * Delivery: events are published with confirms through the connection's outbox (nothing accepted
 * is lost across a broker restart; a resend carries the same `run`/`seq`, so workers drop it).
 * A command is acknowledged once it was submitted; a redelivered one (same id) is written once.
 * While the broker is away, local bots keep serving the avatar; events wait in the outbox.
 */
import type { AMQPChannel, AMQPMessage } from "@cloudamqp/amqp-client";
import type { Logger } from "../log/logger.ts";
import type { Runtime, RuntimeService } from "../session/runtime.ts";
import { type BrokerConnection, consume, openBrokerConnection, redactUrl } from "./connection.ts";
import { type AvatarEvent, CommandMessage, decodeBody } from "./messages.ts";
import { ANNOUNCE_EXCHANGE, avatarQueues, EVENTS_QUEUE_ARGS } from "./topology.ts";

/** How often an edge announces itself on {@link ANNOUNCE_EXCHANGE}. */
export const ANNOUNCE_EVERY_MS = 5000;
/** Command ids remembered to drop redeliveries. */
const SEEN_IDS = 20_000;
/** Commands taken from the broker before they are acknowledged. */
const COMMAND_PREFETCH = 256;

/** Options of {@link brokerEdge}. */
export interface BrokerEdgeOptions {
  /** `amqp://user:pass@host:5672/vhost`. */
  url: string;
  /** This avatar's name (queue names: `mmdbot.<avatar>.events` / `.commands`). */
  avatar: string;
  /** Manifest bots the workers run: commands naming any other bot are refused. */
  remoteBots: readonly string[];
  logger: Logger;
}

/** Counters of an edge. */
export interface BrokerEdgeStats {
  /** The broker connection is up. */
  up: boolean;
  /** Events accepted for publishing (lines and state changes). */
  events: number;
  /** Events not yet confirmed by the broker. */
  outbox: number;
  /** Commands written (or queued by the link) after passing the checks. */
  commands: number;
  /** Commands refused (ACL, rate limit, guard, unknown or local bot, malformed). */
  refused: number;
  /** Redelivered commands dropped by id. */
  duplicates: number;
  /** Commands written, per worker name. */
  byWorker: Record<string, number>;
  /** The worker whose command was written last. */
  lastWorker?: string;
}

/** An edge service; pass it in `services` of `startSession`/`createRuntime`. */
export interface BrokerEdge extends RuntimeService {
  stats(): BrokerEdgeStats;
}

/** Creates the edge service for one avatar. */
export function brokerEdge(options: BrokerEdgeOptions): BrokerEdge {
  const log = options.logger.child("edge");
  const queues = avatarQueues(options.avatar);
  const remote = new Set(options.remoteBots);
  const run = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  let seq = 0;
  let conn: BrokerConnection | undefined;
  let rt: Runtime | undefined;
  let announcer: ReturnType<typeof setInterval> | undefined;
  const unsubscribe: (() => void)[] = [];
  const seen = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  const counts = { events: 0, commands: 0, refused: 0, duplicates: 0 };
  const byWorker: Record<string, number> = {};
  let lastWorker: string | undefined;
  let publishFailures = 0;
  let stopping = false;
  let unsent = 0;
  let refusalsLogged = 0;

  const publishEvent = (ev: AvatarEvent) => {
    counts.events++;
    conn!.publish("", queues.events, JSON.stringify(ev), {
      deliveryMode: 2,
      contentType: "application/json",
      messageId: `${ev.run}:${ev.seq}`,
      timestamp: new Date(),
    }).catch((err) => {
      // Only when the outbox overflowed or the edge is closing: say so, once per 1000.
      if (stopping) {
        unsent++;
        return;
      }
      if (publishFailures++ % 1000 === 0) {
        log.error(`an event for ${options.avatar} was not published: ${(err as Error).message}`);
      }
    });
  };

  const announce = () => {
    if (!conn?.stats().up) return; // announcements are beacons: none are kept while away
    const body = JSON.stringify({ v: 1, avatar: options.avatar, run, at: Date.now() });
    conn.publish(ANNOUNCE_EXCHANGE, "", body, { contentType: "application/json" }).catch(() => {});
  };

  const refuse = (why: string) => {
    counts.refused++;
    if (refusalsLogged++ < 100 || refusalsLogged % 1000 === 0) log.warn(why);
  };

  /** One command, in arrival order: checked, submitted as its bot, then acknowledged. */
  const onCommand = (msg: AMQPMessage) => {
    const ack = () => msg.ack().catch(() => {}); // a lost ack means a redelivery: dropped by id
    const decoded = decodeBody(CommandMessage, msg.bodyToString() ?? "");
    if (!decoded.ok) {
      refuse(`refused a malformed command on ${queues.commands}: ${decoded.reason}`);
      void ack();
      return;
    }
    const cmd = decoded.value;
    if (cmd.avatar !== options.avatar) {
      refuse(`refused a command for avatar ${cmd.avatar} on ${queues.commands}`);
      void ack();
      return;
    }
    if (seen.has(cmd.id)) {
      counts.duplicates++;
      void ack();
      return;
    }
    seen.add(cmd.id);
    if (seen.size > SEEN_IDS) seen.delete(seen.values().next().value!);
    if (!cmd.setup && !remote.has(cmd.bot)) {
      refuse(
        `refused a line from worker ${cmd.worker} as bot ${cmd.bot}: it is not one of the bots ` +
          `this edge lets workers run (${[...remote].join(", ") || "none"})`,
      );
      void ack();
      return;
    }
    chain = chain.then(async () => {
      try {
        const r = cmd.setup
          ? await rt!.submit(cmd.line, { as: "operator" })
          : await rt!.submit(cmd.line, { as: "bot", name: cmd.bot });
        if (r.status === "refused") {
          refuse(
            `refused ${cmd.setup ? "a setup line" : "a line"} of ${cmd.bot} from worker ` +
              `${cmd.worker}: ${r.refusal.reason} (${r.refusal.code})`,
          );
        } else {
          counts.commands++;
          byWorker[cmd.worker] = (byWorker[cmd.worker] ?? 0) + 1;
          lastWorker = cmd.worker;
        }
      } catch (err) {
        refuse(`a command of ${cmd.bot} failed: ${(err as Error).message}`);
      }
      await ack();
    });
  };

  const onUp = async (ch: AMQPChannel) => {
    await ch.exchangeDeclare(ANNOUNCE_EXCHANGE, "fanout", { durable: true });
    await ch.queueDeclare(queues.events, { durable: true }, EVENTS_QUEUE_ARGS);
    await ch.queueDeclare(queues.commands, { durable: true });
    await ch.basicQos(COMMAND_PREFETCH);
    await consume(ch, queues.commands, { noAck: false }, onCommand);
    queueMicrotask(announce);
  };

  return {
    name: "broker edge",
    start(runtime) {
      rt = runtime;
      conn = openBrokerConnection({
        url: options.url,
        name: `mmdbot edge ${options.avatar}`,
        logger: log,
        onUp,
      });
      log.info(
        `avatar ${options.avatar} joins the broker ${redactUrl(options.url)}; workers run ` +
          `${[...remote].join(", ") || "no bots"}; until the broker answers, local bots serve ` +
          "the avatar and its events wait (bounded)",
      );
      unsubscribe.push(runtime.tap.onRecord((r) => {
        if (r.dir !== "in") return;
        publishEvent({
          v: 1,
          kind: "line",
          avatar: options.avatar,
          seq: seq++,
          run,
          at: Date.now(),
          line: r.line,
          ...(r.echo && r.bot ? { echoOf: r.bot } : {}),
          connection: r.conn,
        });
      }));
      unsubscribe.push(runtime.onLinkState((ev) => {
        if (ev.state !== "connected" && ev.state !== "disconnected") return;
        publishEvent({
          v: 1,
          kind: "state",
          avatar: options.avatar,
          seq: seq++,
          run,
          at: Date.now(),
          state: ev.state,
          ...(ev.connection ? { connection: ev.connection } : {}),
        });
      }));
      announcer = setInterval(announce, ANNOUNCE_EVERY_MS);
    },
    async stop() {
      clearInterval(announcer);
      for (const u of unsubscribe.splice(0)) u();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([chain, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      stopping = true;
      await conn?.close();
      // Let the rejections of what was still held settle, then say it once.
      await new Promise((r) => setTimeout(r, 0));
      if (unsent > 0) {
        log.warn(
          `${unsent} event(s) of ${options.avatar} never reached the broker (it was away until ` +
            "the edge stopped)",
        );
      }
    },
    stats: () => ({
      up: conn?.stats().up ?? false,
      outbox: conn?.stats().outbox ?? 0,
      ...counts,
      byWorker: { ...byWorker },
      ...(lastWorker ? { lastWorker } : {}),
    }),
  };
}
