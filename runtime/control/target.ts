/**
 * What the control channel asks of a running session. The session implements it; `control/` only
 * serves it to local clients, so the two rooms meet at this interface (owned here, by the room that
 * serves it: the session depends on control, never the other way).
 */
import type { TrafficRecord } from "../record/schema.ts";
import type { Refusal } from "../wire/types.ts";

/** Result of one line sent through the control channel. */
export type ControlSendResult =
  | { status: "written"; conn: string }
  /** MMDAgent-EX echoed the line: it issued it (only when the send asked for the echo). */
  | { status: "delivered"; conn: string; echoMs: number }
  /** Written, but no echo came within the bound the send asked for. */
  | { status: "not-delivered"; conn: string; reason: string }
  | { status: "queued"; depth: number }
  | { status: "refused"; refusal: Refusal }
  | { status: "dropped"; reason: string };

/** One bot's row in `status`. */
export interface BotStatus {
  name: string;
  isolation: string;
  state: string;
  restarts: number;
  lastError?: string;
}

/** The answer to `status`. */
export interface SessionStatus {
  pid: number;
  mdf?: string;
  plan: string;
  startedAt: string;
  link: Record<string, unknown>;
  bots: BotStatus[];
  refusedLines: number;
  /** The conversation (absent from runtimes before it existed). */
  conversation?: ConversationStatus;
}

/** Percentiles of one turn latency, ms from the end of the user's speech. */
export interface TurnLatency {
  p50?: number;
  p95?: number;
}

/** The conversation in `status`: the current turn, who speaks, and turn metrics. */
export interface ConversationStatus {
  /** The current turn id (0 before the first). */
  turn: number;
  userSpeaking: boolean;
  /** Models speaking now: who makes them say what. */
  speaking: { model: string; owner: string; text: string }[];
  /** Over recent turns. */
  metrics: {
    turns: number;
    interruptions: number;
    falseInterruptions: number;
    dropped: number;
    toFirstCommandMs: TurnLatency;
    toWireMs: TurnLatency;
    toAudioMs: TurnLatency;
  };
}

/** The operations a running session offers its control channel. */
export interface ControlTarget {
  /** Sends one line through the operator ACL and the guard; `allowDangerous` is the operator override. */
  send(line: string, options: { allowDangerous: boolean }): Promise<ControlSendResult>;
  /**
   * Sends one line like {@link ControlTarget.send}, then waits up to `echoTimeoutMs` for
   * MMDAgent-EX's echo of it. `sent` settles once the line is written (the next line may follow),
   * `outcome` with `delivered`/`not-delivered` (or the refusal). Optional: a target without it
   * answers with `written`.
   */
  deliver?(
    line: string,
    options: { allowDangerous: boolean; echoTimeoutMs: number },
  ): { sent: Promise<unknown>; outcome: Promise<ControlSendResult> };
  /** Live traffic, until the signal aborts. */
  tail(signal: AbortSignal): AsyncIterable<TrafficRecord>;
  status(): SessionStatus;
  /** Reloads one bot or all; resolves with the names reloaded. */
  reload(name?: string): Promise<string[]>;
  /** Shuts the session down cleanly (flush, close once). */
  stop(): Promise<void>;
}
