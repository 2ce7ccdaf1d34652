/**
 * The avatar edge: the runtime attached to one MMDAgent-EX, joined to a broker (`start --broker`).
 * A {@link RuntimeService}: it publishes every line MMDAgent-EX sends (and its connects and
 * disconnects) to the avatar's durable events queue, in order, and writes the commands workers
 * put on the avatar's commands queue through {@link Runtime.submit} as the bot that sent them, so
 * each passes that bot's manifest entry (ACL, rate limit) and the guard, as a local bot's line
 * does. A worker is trusted no more than a local bot.
 *
 * What a worker sends, and what the edge does with it (each passes the checks a local bot's does):
 * - `line`: {@link Runtime.submit} as the bot (ACL, rate limit, guard, echo mark);
 * - `snd` (binary body): one SND packet of the worker's paced `ctx.play`, checked as the binary
 *   reads it and written through the host as that bot's audio (`host.sendSndAsBot`);
 * - `setup`: the bot's setup list, kept by the host as that bot's (`host.setRemoteSetup`),
 *   replayed once per MMDAgent-EX connection, in order, by the one Link;
 * - a refusal of any of these is logged here and sent back as a `refused` event (at most
 *   {@link MAX_REFUSAL_REPORTS} a second), so the bot's `onError` hooks on the worker hear of it;
 * - `query`: answered with a `state` event (also sent every {@link ANNOUNCE_EVERY_MS}), so the
 *   worker holding the avatar knows whether MMDAgent-EX is connected without waiting for a line.
 *
 * Delivery: events are published with confirms through the connection's outbox (nothing accepted
 * is lost across a broker restart; a resend carries the same `run`/`seq`, so workers drop it).
 * Commands are handed to the link in arrival order as they come (pipelined, at most
 * {@link COMMAND_PREFETCH} unacknowledged) and each is acknowledged once the link took it; a
 * redelivered or resent one is written once ({@link SeenCommands}, kept in the edge's state
 * folder so this holds across an edge restart too). While the broker is away, local bots keep
 * serving the avatar; events wait in the outbox.
 */
import type { AMQPChannel, AMQPMessage } from "@cloudamqp/amqp-client";
import type { Logger } from "../log/logger.ts";
import type { Runtime, RuntimeService } from "../session/runtime.ts";
import { type BrokerConnection, consume, openBrokerConnection, redactUrl } from "./connection.ts";
import {
  type AvatarEvent,
  CommandMessage,
  decodeBody,
  SND_TYPE,
  SndHeaders,
  type WorkerCommand,
} from "./messages.ts";
import { openSeenCommands } from "./seen.ts";
import { ANNOUNCE_EXCHANGE, avatarQueues, EVENTS_QUEUE_ARGS } from "./topology.ts";

/**
 * How often an edge announces itself on {@link ANNOUNCE_EXCHANGE} and tells the avatar's current
 * worker its state (a worker that took over an idle avatar learns it within this time).
 */
export const ANNOUNCE_EVERY_MS = 5000;
/** Refusals told back to workers per second; past it they are only counted and logged. */
export const MAX_REFUSAL_REPORTS = 50;
/** Commands taken from the broker before they are acknowledged (the pipeline's bound). */
export const COMMAND_PREFETCH = 256;

/** Options of {@link brokerEdge}. */
export interface BrokerEdgeOptions {
  /** `amqp://user:pass@host:5672/vhost`. */
  url: string;
  /** This avatar's name (queue names: `mmdbot.<avatar>.events` / `.commands`). */
  avatar: string;
  /** Manifest bots the workers run: commands naming any other bot are refused. */
  remoteBots: readonly string[];
  logger: Logger;
  /**
   * Folder for the edge's state (the handled-command watermarks, `broker-edge-<avatar>.sqlite`),
   * so a restarted edge writes no redelivered command twice. Without it they live in memory.
   */
  stateDir?: string;
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
  /** SND packets written for workers' bots. */
  snd: number;
  /** Setup lists taken from workers. */
  setups: number;
  /** State queries answered. */
  queries: number;
  /** Refusals of remote bots' lines told back to the worker. */
  reported: number;
  /** Refusals not told back (over {@link MAX_REFUSAL_REPORTS} a second). */
  unreported: number;
  /** Commands handed to the link and not yet settled. */
  inFlight: number;
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
  let seen: ReturnType<typeof openSeenCommands> | undefined;
  const inFlight = new Set<Promise<void>>();
  const counts = {
    events: 0,
    commands: 0,
    refused: 0,
    duplicates: 0,
    snd: 0,
    setups: 0,
    queries: 0,
    reported: 0,
    unreported: 0,
  };
  let reportWindow = { at: 0, n: 0 };
  const byWorker: Record<string, number> = {};
  let lastWorker: string | undefined;
  let publishFailures = 0;
  let stopping = false;
  let unsent = 0;
  let refusalsLogged = 0;

  /** `expireMs`: a beacon that is worthless once stale (no worker reads the queue meanwhile). */
  const publishEvent = (ev: AvatarEvent, expireMs?: number) => {
    counts.events++;
    conn!.publish("", queues.events, JSON.stringify(ev), {
      ...(expireMs !== undefined ? { expiration: String(expireMs) } : {}),
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

  /** The avatar's connection state, as an event (answer to a query, and the periodic beacon). */
  const publishState = (expireMs?: number) => {
    const connection = rt?.connection;
    publishEvent({
      v: 1,
      kind: "state",
      avatar: options.avatar,
      seq: seq++,
      run,
      at: Date.now(),
      state: connection !== undefined ? "connected" : "disconnected",
      ...(connection !== undefined ? { connection } : {}),
    }, expireMs);
  };

  /** A JSON command, or an SND packet with its identity in the headers. */
  const decodeCommand = (msg: AMQPMessage):
    | { ok: true; value: WorkerCommand }
    | { ok: false; reason: string } => {
    if (msg.properties.type === SND_TYPE) {
      const h = SndHeaders.safeParse(msg.properties.headers ?? {});
      if (!h.success) {
        const issue = h.error.issues[0];
        return { ok: false, reason: `SND headers: ${issue.path.join(".")}: ${issue.message}` };
      }
      const body = msg.body;
      if (!(body instanceof Uint8Array)) return { ok: false, reason: "SND without a body" };
      return { ok: true, value: { ...h.data, kind: "snd", packet: body } };
    }
    return decodeBody(CommandMessage, msg.bodyToString() ?? "");
  };

  /** One command, checked and handed to the link in arrival order; acknowledged once settled. */
  const onCommand = (msg: AMQPMessage) => {
    const ack = () => msg.ack().catch(() => {}); // a lost ack means a redelivery: dropped by id
    const decoded = decodeCommand(msg);
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
    if (cmd.kind === "query") {
      counts.queries++;
      publishState();
      void ack();
      return;
    }
    if (!remote.has(cmd.bot)) {
      refuse(
        `refused ${
          cmd.kind === "line" ? "a line" : cmd.kind === "snd" ? "audio" : "setup lines"
        } ` +
          `from worker ${cmd.worker} as bot ${cmd.bot}: it is not one of the bots ` +
          `this edge lets workers run (${[...remote].join(", ") || "none"})`,
      );
      void ack();
      return;
    }
    if (!seen!.first(cmd.id)) {
      counts.duplicates++;
      void ack();
      return;
    }
    if (cmd.kind === "setup") {
      const r = rt!.host.setRemoteSetup(cmd.bot, cmd.lines);
      if (r) refuse(`refused the setup lines of ${cmd.bot} from worker ${cmd.worker}: ${r.reason}`);
      else counts.setups++;
      void ack();
      return;
    }
    // Handed to the link now, in arrival order (the outbound path is synchronous up to the link);
    // the outcome settles later and only then is the command acknowledged.
    const submitted = cmd.kind === "snd"
      ? rt!.host.sendSndAsBot(cmd.bot, cmd.packet).then((r) =>
        r.ok ? r.outcome : { status: "refused" as const, refusal: r.refusal }
      )
      : rt!.submit(cmd.line, { as: "bot", name: cmd.bot });
    const settled: Promise<void> = submitted.then((r) => {
      if (r.status === "refused") {
        refuse(
          `refused ${cmd.kind === "snd" ? "audio" : "a line"} of ${cmd.bot} from worker ` +
            `${cmd.worker}: ${r.refusal.reason} (${r.refusal.code})`,
        );
      } else {
        counts.commands++;
        if (cmd.kind === "snd") counts.snd++;
        byWorker[cmd.worker] = (byWorker[cmd.worker] ?? 0) + 1;
        lastWorker = cmd.worker;
      }
    }, (err) => refuse(`a command of ${cmd.bot} failed: ${(err as Error).message}`))
      .then(ack, ack).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  };

  const onUp = async (ch: AMQPChannel) => {
    await ch.exchangeDeclare(ANNOUNCE_EXCHANGE, "fanout", { durable: true });
    await ch.queueDeclare(queues.events, { durable: true }, EVENTS_QUEUE_ARGS);
    await ch.queueDeclare(queues.commands, { durable: true });
    await ch.basicQos(COMMAND_PREFETCH);
    await consume(ch, queues.commands, { noAck: false }, onCommand);
    queueMicrotask(() => {
      announce();
      publishState();
    });
  };

  return {
    name: "broker edge",
    start(runtime) {
      rt = runtime;
      if (options.stateDir) Deno.mkdirSync(options.stateDir, { recursive: true });
      seen = openSeenCommands(
        options.stateDir ? `${options.stateDir}/broker-edge-${options.avatar}.sqlite` : undefined,
      );
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
      // Whatever refused a remote bot's line (ACL, rate limit, guard, setup checks, SND check),
      // the bot hears of it on its worker, as a local bot would.
      unsubscribe.push(runtime.host.onRefused((source, line, refusal) => {
        if (!remote.has(source) || !conn?.stats().up) return;
        const now = Date.now();
        if (now - reportWindow.at >= 1000) reportWindow = { at: now, n: 0 };
        if (reportWindow.n++ >= MAX_REFUSAL_REPORTS) {
          counts.unreported++;
          return;
        }
        counts.reported++;
        publishEvent({
          v: 1,
          kind: "refused",
          avatar: options.avatar,
          seq: seq++,
          run,
          at: now,
          bot: source,
          line: line.length > 300 ? line.slice(0, 300) + "…" : line,
          code: String(refusal.code).slice(0, 64),
          reason: refusal.reason.slice(0, 2000),
          ...(refusal.fix ? { fix: refusal.fix.slice(0, 2000) } : {}),
        });
      }));
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
      announcer = setInterval(() => {
        announce();
        // A beacon for whichever worker holds the avatar now: kept only while one could read it.
        if (conn?.stats().up) publishState(2 * ANNOUNCE_EVERY_MS);
      }, ANNOUNCE_EVERY_MS);
    },
    async stop() {
      clearInterval(announcer);
      for (const u of unsubscribe.splice(0)) u();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(inFlight),
        new Promise((r) => (timer = setTimeout(r, 2000))),
      ]);
      clearTimeout(timer);
      stopping = true;
      await conn?.close();
      seen?.close();
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
      inFlight: inFlight.size,
      byWorker: { ...byWorker },
      ...(lastWorker ? { lastWorker } : {}),
    }),
  };
}
