/**
 * What the dashboard reads from a running runtime and the two things it may ask of it (an operator
 * send and a reload). The dashboard never touches the Link, the host or the bots directly: the
 * session hands it this interface, so every line sent from the page passes the same operator path
 * as `mmdbot send` (operator ACL, then the guard), and nothing else reaches the wire.
 */
import type { TrafficRecord } from "../record/schema.ts";
import type { ControlSendResult } from "../control/target.ts";
import type { Refusal } from "../wire/types.ts";

/** A line that was refused before it reached the wire, with who tried to send it and why. */
export interface RefusedLine {
  /** The bot that tried to send it, or the operator path (`dashboard`, `control`). */
  source: string;
  line: string;
  refusal: Refusal;
}

/** One bot as the page shows it. */
export interface BotRow {
  name: string;
  state: string;
  /** `os`, `deno`, or undefined before the bot first started. */
  level?: string;
  /** Why the level is what it is (e.g. `bubblewrap found`). */
  why?: string;
  pid?: number;
  restarts: number;
  lastError?: string;
  /** Lines of this bot refused by the rate limit. */
  rateLimited?: number;
  handlerErrors?: number;
}

/** One reload's outcome. */
export interface ReloadOutcome {
  name: string;
  ok: boolean;
  /** The load error (file:line) when the new version failed; the old one keeps running. */
  error?: string;
}

/**
 * One turn as the page draws it (the conversation room's turn record; times in host-clock ms). The
 * dashboard reads only these fields, so it does not depend on the rest of the record.
 */
export interface TurnView {
  id: number;
  startedAt: number;
  userEndAt?: number;
  text?: string;
  /** The first speech command of the answer reached the runtime (answer start). */
  firstCommandAt?: number;
  /** …and was written toward MMDAgent-EX. */
  firstWireAt?: number;
  /** The answer's first `SYNTH_EVENT_START` (first audio). */
  firstAudioAt?: number;
  /** The answer's last utterance ended. */
  endAt?: number;
  endedAt?: number;
  endedBy?: string;
  interrupted: boolean;
  falseInterruption?: boolean;
  utterances: number;
  dropped: number;
  claimedBy?: string;
}

/** Percentiles over recent turns (ms from the end of the user's speech). */
export interface TurnMetricsView {
  turns: number;
  interruptions: number;
  falseInterruptions?: number;
  dropped: number;
  toFirstCommandMs: { p50?: number; p95?: number };
  toWireMs: { p50?: number; p95?: number };
  toAudioMs: { p50?: number; p95?: number };
}

/** The avatar's state as mirrored from the messages (shown as it comes; JSON data). */
export interface AvatarView {
  connected: boolean;
  connection?: string;
  models: {
    alias: string;
    motions: string[];
    speaking?: { owner: string; text: string; since: number };
    queued?: number;
  }[];
  timers: { name: string; since: number }[];
  variables: Record<string, string>;
  userSpeaking: boolean;
  turn: number;
}

/** The conversation (turns, metrics, the avatar mirror) when the runtime tracks one. */
export interface ConversationFeed {
  avatar(): AvatarView;
  /** Recent turns, oldest first. */
  turns(): TurnView[];
  metrics(): TurnMetricsView;
  /** Calls `fn` after every change; returns an unsubscribe. */
  subscribe(fn: () => void): () => void;
}

/** The running runtime as the dashboard sees it. */
export interface DashboardSource {
  /**
   * Calls `fn` synchronously for every line in and out, as the traffic tap records it (in order
   * with {@link DashboardSource.onRefused}); returns an unsubscribe.
   */
  onTraffic(fn: (r: TrafficRecord) => void): () => void;
  /** Calls `fn` for each refused line (bots' and the operator's); returns an unsubscribe. */
  onRefused(fn: (r: RefusedLine) => void): () => void;
  /** Every bot's current row. */
  bots(): BotRow[];
  /** What the runtime is connected to, for the page's header. */
  link(): { plan: string; mdf?: string; startedAt: string; stats: Record<string, unknown> };
  /** Sends one operator line (operator ACL, then the guard); `allowDangerous` is the override. */
  send(line: string, options: { allowDangerous: boolean }): Promise<ControlSendResult>;
  /** Reloads one bot (or all when `name` is undefined). */
  reload(name?: string): Promise<ReloadOutcome[]>;
  /**
   * Calls `fn` at every change of the connection (connected, disconnected, listening, closed), so
   * the traffic view marks where the connection came and went; returns an unsubscribe.
   */
  onLinkState?(
    fn: (ev: { state: string; connection?: string; detail?: string }) => void,
  ): () => void;
  /** Turns and the avatar mirror; absent while the runtime has no conversation tracking. */
  conversation?: ConversationFeed;
}
