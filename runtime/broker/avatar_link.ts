/**
 * The worker's side of one avatar: a {@link Link} whose inbound lines are the avatar's events
 * taken from the broker, and whose sends become commands on the avatar's commands queue, tagged
 * with the bot that sent them (`meta.source`). The worker's runtime (host, bots, guard) sits on it
 * unchanged, so a bot runs the same in a worker as in a local runtime.
 *
 * Connection state is derived from the events: the link is "connected" from the first event this
 * worker is handed (it became the queue's single active consumer) or the edge's `connected`
 * state message, so a standby worker's bots hear `onConnected` only when the avatar is theirs.
 */
import { createChannel } from "../transport/channel.ts";
import type { Link, LinkEvent, LinkStats, SendOutcome } from "../transport/types.ts";
import type { WireUnit } from "../wire/types.ts";
import type { AvatarEvent, CommandMessage } from "./messages.ts";

/** Publishes one command; resolves when the broker confirmed it. */
export type PublishCommand = (cmd: CommandMessage) => Promise<void>;

/** A worker-side avatar link. */
export interface AvatarLink extends Link {
  /** Hands one event from the broker to the runtime (in queue order). */
  deliver(ev: AvatarEvent): void;
}

const encoder = new TextEncoder();

/** Creates the link of avatar `avatar` in worker `worker`. */
export function avatarLink(
  avatar: string,
  worker: string,
  publish: PublishCommand,
): AvatarLink {
  const events = createChannel<LinkEvent>();
  const workerRun = `${worker}:${Date.now().toString(36)}:${crypto.randomUUID().slice(0, 6)}`;
  let next = 0;
  let connection: string | undefined;
  let connectedSince: number | undefined;
  let setup: WireUnit[] = [];
  let closed = false;
  const stats = { reconnects: 0, linesIn: 0, linesOut: 0, bytesIn: 0, bytesOut: 0, dropped: 0 };

  const command = (unit: WireUnit, bot: string, isSetup = false): CommandMessage => ({
    v: 1,
    id: `${workerRun}:${next++}`,
    avatar,
    bot,
    worker,
    line: unit.text,
    ...(isSetup ? { setup: true } : {}),
  });

  const sendSetup = (units: readonly WireUnit[]) => {
    if (units.length === 0 || connection === undefined) return;
    events.push({ kind: "setup", units, connection, at: Date.now() });
    for (const u of units) {
      stats.linesOut++;
      publish(command(u, "setup", true)).catch(() => {}); // given up only when closing
    }
  };

  const connect = (id: string) => {
    if (connection === id) return;
    if (connection !== undefined) {
      events.push({ kind: "state", state: "disconnected", at: Date.now() });
    } else if (connectedSince !== undefined) stats.reconnects++;
    connection = id;
    connectedSince = Date.now();
    events.push({ kind: "state", state: "connected", connection: id, at: Date.now() });
    sendSetup(setup);
  };

  return {
    describe: `broker avatar ${avatar}`,
    events: () => events,
    eventBatches: () => events.batches(),
    deliver(ev) {
      if (closed) return;
      const id = `${avatar}:${ev.connection ?? ev.run}`;
      if (ev.kind === "state") {
        if (ev.state === "connected") connect(id);
        else if (connection !== undefined) {
          connection = undefined;
          events.push({ kind: "state", state: "disconnected", at: Date.now() });
        }
        return;
      }
      connect(id);
      const bytes = encoder.encode(ev.line).byteLength;
      stats.linesIn++;
      stats.bytesIn += bytes;
      events.push({
        kind: "line",
        line: { text: ev.line, byteLength: bytes, invalidUtf8: false, unterminated: false },
        connection: id,
        at: Date.now(),
      });
    },
    async send(unit, meta): Promise<SendOutcome> {
      if (closed) return { status: "dropped", reason: "the worker is stopping" };
      if (unit.kind !== "line") {
        return { status: "dropped", reason: "audio (SND) is not carried over the broker" };
      }
      stats.linesOut++;
      stats.bytesOut += unit.bytes.byteLength;
      try {
        await publish(command(unit, meta?.source ?? "operator"));
      } catch (err) {
        return { status: "dropped", reason: (err as Error).message };
      }
      return connection !== undefined
        ? { status: "written", connection }
        : { status: "queued", depth: 0 };
    },
    setSetup(units) {
      const known = new Set(setup.map((u) => u.text));
      const fresh = units.filter((u) => !known.has(u.text));
      setup = [...units];
      sendSetup(fresh);
    },
    stats(): LinkStats {
      return {
        state: closed ? "closed" : connection !== undefined ? "connected" : "listening",
        ...(connection !== undefined ? { connection, connectedSince } : {}),
        reconnects: stats.reconnects,
        linesIn: stats.linesIn,
        linesOut: stats.linesOut,
        bytesIn: stats.bytesIn,
        bytesOut: stats.bytesOut,
        invalidUtf8In: 0,
        droppedIn: 0,
        queueDepth: 0,
        queueDropped: 0,
      };
    },
    close() {
      if (!closed) {
        closed = true;
        events.push({ kind: "state", state: "closed", at: Date.now() });
        events.close();
      }
      return Promise.resolve();
    },
  };
}
