/**
 * The worker's side of one avatar: a {@link Link} whose inbound lines are the avatar's events
 * taken from the broker, and whose sends become commands on the avatar's commands queue, tagged
 * with the bot that sent them (`meta.source`). The worker's runtime (host, bots, guard) sits on it
 * unchanged, so a bot runs the same in a worker as in a local runtime.
 *
 * Connection state is derived from the events: the link is "connected" from the first event this
 * worker is handed (it became the queue's single active consumer) or the edge's `connected`
 * state message, so a standby worker's bots hear `onConnected` only when the avatar is theirs.
 * The edge sends that state message when a worker subscribes ({@link AvatarLink.query}) and
 * every few seconds, so a worker taking over an idle avatar learns its state without waiting for
 * the user.
 *
 * What crosses to the edge: each line as a `line` command, each SND packet the worker's audio
 * service paces as a binary `snd` command (so `ctx.play` runs unchanged), and each bot's whole
 * setup list as a `setup` command, which the edge keeps and replays per connection as it does a
 * local bot's. All on one channel in publishing order: the avatar sees them in the order sent.
 */
import { createChannel } from "../transport/channel.ts";
import type { Link, LinkEvent, LinkStats, SendOutcome } from "../transport/types.ts";
import type { WireUnit } from "../wire/types.ts";
import type { AvatarEvent, WorkerCommand } from "./messages.ts";

/** Publishes one command; resolves when the broker confirmed it. */
export type PublishCommand = (cmd: WorkerCommand) => Promise<void>;

/** A worker-side avatar link. */
export interface AvatarLink extends Link {
  /** Hands one event from the broker to the runtime (in queue order; refusals go to the host). */
  deliver(ev: Exclude<AvatarEvent, { kind: "refused" }>): void;
  /** Asks the edge for the avatar's state (after subscribing): it answers with a `state` event. */
  query(): void;
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
  /** The bot of each unit of `setup` (the host says; absent: `setup`). */
  let setupOwners: string[] = [];
  let closed = false;
  const stats = { reconnects: 0, linesIn: 0, linesOut: 0, bytesIn: 0, bytesOut: 0, dropped: 0 };

  const base = () => ({ v: 1 as const, id: `${workerRun}:${next++}`, avatar, worker });
  /** Each bot's setup list as the edge last got it from us. */
  const sentSetup = new Map<string, string[]>();

  /** Publishes the setup list of every bot whose list differs from what was sent (all: `force`). */
  const syncSetup = (force: boolean) => {
    const lists = new Map<string, string[]>();
    for (const [i, u] of setup.entries()) {
      const bot = setupOwners[i] ?? "setup";
      lists.set(bot, [...(lists.get(bot) ?? []), u.text]);
    }
    for (const bot of sentSetup.keys()) if (!lists.has(bot)) lists.set(bot, []);
    for (const [bot, lines] of lists) {
      const before = sentSetup.get(bot);
      const same = before !== undefined && before.length === lines.length &&
        before.every((l, i) => l === lines[i]);
      if (same && !force) continue;
      if (lines.length === 0 && before === undefined) continue;
      if (lines.length === 0) sentSetup.delete(bot);
      else sentSetup.set(bot, lines);
      stats.linesOut += lines.length;
      publish({ ...base(), kind: "setup", bot, lines }).catch(() => {}); // given up only closing
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
    // The edge writes them (once per MMDAgent-EX connection); the runtime notes them for echoes.
    if (setup.length > 0) {
      events.push({ kind: "setup", units: setup, connection: id, at: Date.now() });
    }
    syncSetup(true);
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
      const bot = meta?.source ?? "operator";
      if (unit.kind === "snd" && connection === undefined) {
        // Audio queued for a later connection would play out of place (as on a local link).
        return { status: "dropped", reason: "the avatar is not connected" };
      }
      stats.linesOut++;
      stats.bytesOut += unit.bytes.byteLength;
      try {
        await publish(
          unit.kind === "snd"
            ? { ...base(), kind: "snd", bot, packet: unit.bytes }
            : { ...base(), kind: "line", bot, line: unit.text },
        );
      } catch (err) {
        return { status: "dropped", reason: (err as Error).message };
      }
      return connection !== undefined
        ? { status: "written", connection }
        : { status: "queued", depth: 0 };
    },
    query() {
      if (!closed) publish({ ...base(), kind: "query" }).catch(() => {});
    },
    setSetup(units, owners) {
      const fresh = units.filter((u) => !setup.some((s) => s.text === u.text));
      setup = [...units];
      setupOwners = [...(owners ?? [])];
      if (connection === undefined) return;
      if (fresh.length > 0) {
        events.push({ kind: "setup", units: fresh, connection, at: Date.now() });
      }
      syncSetup(false);
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
