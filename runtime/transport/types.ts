/**
 * One `Link` shape for every transport (TCP client, TCP server, WebSocket server, stdio): the
 * session-long connection to MMDAgent-EX. It survives reconnects, replays the setup list after each
 * one, queues (bounded) while disconnected, and is the only object that writes to a socket.
 */
import type { DroppedLine, InboundLine, WireUnit } from "../wire/types.ts";

/** Life-cycle state of a link. */
export type LinkState = "connecting" | "listening" | "connected" | "disconnected" | "closed";

/** What a link reports, in order, through {@link Link.events}. */
export type LinkEvent =
  | { kind: "line"; line: InboundLine; connection: string; at: number }
  | { kind: "dropped"; dropped: DroppedLine; connection: string; at: number }
  /**
   * The Link is writing setup units to `connection` (the whole list after a (re)connect, or what
   * {@link Link.setSetup} added while connected): reported before the bytes go, so it precedes
   * any echo of them.
   */
  | { kind: "setup"; units: readonly WireUnit[]; connection: string; at: number }
  | { kind: "state"; state: LinkState; connection?: string; detail?: string; at: number };

/** Outcome of one {@link Link.send}. */
export type SendOutcome =
  | { status: "written"; connection: string }
  | { status: "queued"; depth: number }
  | { status: "dropped"; reason: string };

/** What a sender tells the link about a unit besides its bytes. */
export interface SendMeta {
  /** The bot (or `operator`) whose line this is. */
  source?: string;
}

/** Counters for `status` and logs. */
export interface LinkStats {
  state: LinkState;
  connection?: string;
  connectedSince?: number;
  reconnects: number;
  linesIn: number;
  linesOut: number;
  bytesIn: number;
  bytesOut: number;
  invalidUtf8In: number;
  droppedIn: number;
  queueDepth: number;
  queueDropped: number;
}

/** What to do when the outbound queue is full while disconnected. */
export type OverflowPolicy = "drop-oldest" | "drop-newest";

/** The session-long connection to MMDAgent-EX. */
export interface Link {
  /** A one-line description for logs, e.g. `tcp client → 127.0.0.1:50001`. */
  readonly describe: string;
  /** Lines, drops and state changes; one consumer. Ends after {@link Link.close}. */
  events(): AsyncIterable<LinkEvent>;
  /**
   * The same events in batches (all waiting at the time, in order), instead of {@link Link.events}
   * (one consumer in all). The runtime handles a batch in one turn, so the lines of one socket read
   * reach each bot in one pipe write. Optional: without it, each event is a batch of its own.
   */
  eventBatches?(): AsyncIterable<readonly LinkEvent[]>;
  /**
   * Writes one unit now, or queues it while disconnected. `meta.source` names who produced it (a
   * bot's name, `operator`): socket links ignore it, a link that tags what it carries (the
   * broker's) uses it.
   */
  send(unit: WireUnit, meta?: SendMeta): Promise<SendOutcome>;
  /**
   * Replaces the setup list: units written first after every (re)connect, before anything queued.
   * While connected, units new to the list are written now, once; the Link is their only writer.
   * `owners[i]` names the bot of `units[i]` (socket links ignore it; the broker's link carries
   * each bot's list to the edge, which checks it as that bot's).
   */
  setSetup(units: readonly WireUnit[], owners?: readonly string[]): void;
  /** A snapshot of the counters. */
  stats(): LinkStats;
  /** Flushes what was accepted, closes once cleanly (TCP FIN; WebSocket CLOSE with no status). */
  close(): Promise<void>;
}
