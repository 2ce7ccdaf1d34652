/**
 * The worker's side of one avatar: a {@link Link} whose "MMDAgent-EX" is the avatar's queues on the
 * broker. Lines the avatar's edge published arrive as link events; what the bots send is published
 * as commands for that edge, which checks each line again (ACL, rate limit, guard) before it
 * reaches the avatar: a worker is trusted no more than a local bot.
 *
 * Acknowledgement: an event is acknowledged when the runtime pulls the next one from
 * {@link Link.events}, that is once it has been dispatched to the bots. If the worker dies before
 * that, the broker hands the event (and the queue: single active consumer) to another worker.
 */
import type { AMQPMessage } from "@cloudamqp/amqp-client";
import type { Link, LinkEvent, LinkStats, SendOutcome } from "../transport/types.ts";
import type { WireUnit } from "../wire/types.ts";
import { AvatarEvent, type CommandMessage, decodeBody } from "./messages.ts";
import type { BrokerConnection } from "./connection.ts";
import { avatarQueues } from "./topology.ts";
import type { Logger } from "../log/logger.ts";

/** One delivery from the events queue, with the ack to run once it is dispatched. */
export interface Delivery {
  message: AMQPMessage;
}

/** Options of {@link createAvatarLink}. */
export interface AvatarLinkOptions {
  avatar: string;
  worker: string;
  broker: BrokerConnection;
  logger: Logger;
  /** Unique ids for commands (default: worker name, a random run id and a counter). */
  nextId?: () => string;
}

/** A link to one avatar through the broker, fed by the worker's consumer. */
export interface AvatarLink extends Link {
  /** Hands one delivery from the avatar's events queue to the link. */
  push(message: AMQPMessage): void;
  /** The consumer was lost (broker connection dropped): unacked deliveries are void now. */
  consumerLost(): void;
}

/** Creates the link; the worker feeds it with {@link AvatarLink.push}. */
export function createAvatarLink(options: AvatarLinkOptions): AvatarLink {
  const { avatar, broker, logger: log } = options;
  const queues = avatarQueues(avatar);
  const runId = crypto.randomUUID().slice(0, 8);
  let counter = 0;
  const nextId = options.nextId ?? (() => `${options.worker}:${runId}:${++counter}`);
  const inbox: AMQPMessage[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let connected = false;
  let setup: readonly WireUnit[] = [];
  /** Last (run, seq) handled: a redelivered event we already dispatched is skipped. */
  let last: { run: string; seq: number } | undefined;
  let generation = 0;
  const stats: LinkStats = {
    state: "connecting",
    reconnects: 0,
    linesIn: 0,
    linesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    invalidUtf8In: 0,
    droppedIn: 0,
    queueDepth: 0,
    queueDropped: 0,
  };
  const connection = `broker:${avatar}`;

  const publish = (line: string): Promise<SendOutcome> => {
    const cmd: CommandMessage = {
      v: 1,
      id: nextId(),
      avatar,
      bot: "",
      worker: options.worker,
      line,
    };
    return publishCommand(cmd);
  };
  const publishCommand = async (cmd: CommandMessage): Promise<SendOutcome> => {
    try {
      await broker.publish("", queues.commands, JSON.stringify(cmd), {
        deliveryMode: 2,
        messageId: cmd.id,
        contentType: "application/json",
        timestamp: new Date(),
      });
      stats.linesOut++;
      stats.bytesOut += cmd.line.length;
      return { status: "written", connection };
    } catch (err) {
      return { status: "dropped", reason: String((err as Error)?.message ?? err) };
    }
  };

  async function* events(): AsyncGenerator<LinkEvent> {
    while (!closed) {
      const msg = inbox.shift();
      if (!msg) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      const gen = generation;
      const body = msg.bodyToString() ?? "";
      const parsed = decodeBody(AvatarEvent, body);
      if (!parsed.ok || parsed.value.avatar !== avatar) {
        log.warn(
          `broker: ignored a message on ${queues.events}: ${
            parsed.ok ? "wrong avatar" : parsed.reason
          }`,
        );
        await msg.ack().catch(() => {});
        continue;
      }
      const ev = parsed.value;
      const seen = last && last.run === ev.run && ev.seq <= last.seq;
      if (!seen) {
        last = { run: ev.run, seq: ev.seq };
        if (!connected) {
          connected = true;
          stats.state = "connected";
          stats.connection = connection;
          stats.connectedSince = Date.now();
          for (const u of setup) void publish(u.text);
          yield { kind: "state", state: "connected", connection, at: Date.now() };
        }
        if (ev.kind === "line") {
          stats.linesIn++;
          stats.bytesIn += ev.line.length;
          yield {
            kind: "line",
            line: {
              text: ev.line,
              byteLength: ev.line.length,
              invalidUtf8: false,
              unterminated: false,
            },
            connection,
            at: Date.now(),
          };
        } else {
          // The avatar's own connection changed: the bots hear it as theirs.
          yield {
            kind: "state",
            state: ev.state,
            connection: ev.state === "connected" ? connection : undefined,
            detail: `avatar ${avatar}: MMDAgent-EX ${ev.state}`,
            at: Date.now(),
          };
        }
      }
      // Dispatched (the runtime asked for the next event): acknowledge.
      if (gen === generation) await msg.ack().catch(() => {});
    }
    stats.state = "closed";
    yield { kind: "state", state: "closed", at: Date.now() };
  }

  return {
    describe: `broker avatar ${avatar} (${queues.events} → ${queues.commands})`,
    events,
    send(unit) {
      if (unit.kind !== "line") {
        return Promise.resolve({
          status: "dropped",
          reason: "SND audio is not carried over the broker; run audio bots on the avatar's edge",
        });
      }
      return publish(unit.text);
    },
    setSetup(units) {
      setup = units;
    },
    stats: () => ({ ...stats, queueDepth: inbox.length }),
    close() {
      closed = true;
      wake?.();
      return Promise.resolve();
    },
    push(message) {
      inbox.push(message);
      wake?.();
    },
    consumerLost() {
      // Unacked deliveries go back to the broker with the channel; drop our copies.
      generation++;
      inbox.length = 0;
    },
  };
}
