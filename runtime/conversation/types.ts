/**
 * The data the conversation room hands out: speech results, policies, turn records, the avatar's
 * mirrored state and the events a dashboard follows. Plain data (JSON-serialisable), so the
 * same shapes cross the IPC pipe to bots and the control channel to `status`.
 *
 * @module
 */

/** How one speech request ended. */
export type SpeechStatus = "finished" | "interrupted" | "refused" | "timed-out";

/**
 * What one speech request (a `speak` call, a stream, a raw `SYNTH_START`, an audio clip) came to.
 * `by` says who or what ended it when it did not finish: `barge-in` (the user spoke),
 * `priority` (a bot of higher priority took the turn; `bot` names it), `stop` (a `SYNTH_STOP` or
 * cancel; `bot` names who), `turn-ended` (its turn was over before it could speak),
 * `floor-taken` (another bot already answers this turn; `bot` names it), `disconnect`, `voice`
 * (no voice answered), `guard` (the line was refused; `reason` says why).
 */
export interface SpeechResult {
  /** How it ended. */
  status: SpeechStatus;
  /** Who or what ended it when it did not finish (see above). */
  by?: string;
  /** The other bot involved (who took the floor, who stopped the speech). */
  bot?: string;
  /** Words for a person: why it was refused, interrupted or timed out. */
  reason?: string;
  /** Utterances that reached the wire (a long text is split into several). */
  utterances: number;
  /** Milliseconds of audio between the first start event and the end, when known. */
  spokenMs: number;
  /** The text that was handed to the voice (parts joined by a space). */
  text: string;
}

/** Who gets the floor when several bots answer one user utterance. */
export type FloorPolicy = "first-claim" | "queue" | "priority";

/** What the user's speech does to the avatar's speech. */
export type BargeInPolicy = "stop" | "finish-sentence" | "ignore" | { afterMs: number };

/** A bot's place in the conversation (from its manifest entry). */
export interface SpeakerPolicy {
  /** Higher wins under the `priority` floor policy (default 0). */
  priority: number;
  bargeIn: BargeInPolicy;
}

/** The conversation's settings (manifest `conversation:`), with defaults applied. */
export interface ConversationPolicy {
  floor: FloorPolicy;
  /** Default barge-in policy of bots that name none. */
  bargeIn: BargeInPolicy;
  /** An empty or echo-only recognition result after a barge-in: say the cut sentence again? */
  falseInterruption: "resume" | "drop";
  /** Longest wait for `SYNTH_EVENT_START` after `SYNTH_START` before "no voice" (ms). */
  startTimeoutMs: number;
  /** The same once a model has failed to start speaking (a content without a voice). */
  voicelessStartTimeoutMs: number;
  /** Longest wait for the end event after a stop (ms). */
  stopTimeoutMs: number;
  /** Longest time the user holds the floor between `RECOG_EVENT_START` and its stop (ms). */
  userHoldMs: number;
}

/** Defaults of {@link ConversationPolicy}. */
export const DEFAULT_POLICY: ConversationPolicy = {
  floor: "first-claim",
  bargeIn: "stop",
  falseInterruption: "resume",
  startTimeoutMs: 5_000,
  voicelessStartTimeoutMs: 1_500,
  stopTimeoutMs: 1_500,
  userHoldMs: 15_000,
};

/** One turn as the metrics and the dashboard see it (times in host clock ms). */
export interface TurnRecord {
  /** The turn's number (1 for the user's first utterance). */
  id: number;
  /** `RECOG_EVENT_START` (or the result, when no start came). */
  startedAt: number;
  /** `RECOG_EVENT_STOP`: the user's speech ended. */
  userEndAt?: number;
  /** The recognised text. */
  text?: string;
  /** The first speech command of an answer reached the runtime. */
  firstCommandAt?: number;
  /** …and was written toward MMDAgent-EX. */
  firstWireAt?: number;
  /** The first answer's `SYNTH_EVENT_START` (first audio). */
  firstAudioAt?: number;
  /** The last answer utterance of the turn ended. */
  endAt?: number;
  /** When the turn was over (the next turn started, a false interruption, a disconnect). */
  endedAt?: number;
  /** Why it was over: `next-turn`, `false-interruption`, `disconnect`. */
  endedBy?: string;
  /** The user spoke while this turn's (or earlier) speech played and cut it. */
  interrupted: boolean;
  /** This turn's recognition result was empty or only echoed the avatar. */
  falseInterruption: boolean;
  /** Utterances of this turn that reached the wire. */
  utterances: number;
  /** Utterances of this turn dropped unspoken (barge-in, priority, turn end). */
  dropped: number;
  /** The bot that claimed the turn's floor. */
  claimedBy?: string;
}

/** Percentiles of recent turns (ms from the end of the user's speech). */
export interface TurnMetricsSummary {
  /** Turns counted (recent ones). */
  turns: number;
  /** Turns whose speech the user cut. */
  interruptions: number;
  /** Of those, false interruptions (empty or echo-only results). */
  falseInterruptions: number;
  /** Utterances dropped unspoken. */
  dropped: number;
  /** User's last word → the first speech command of an answer reached the runtime. */
  toFirstCommandMs: { p50?: number; p95?: number };
  /** User's last word → that command written toward MMDAgent-EX. */
  toWireMs: { p50?: number; p95?: number };
  /** User's last word → the answer's first `SYNTH_EVENT_START`. */
  toAudioMs: { p50?: number; p95?: number };
}

/** One avatar model as the runtime knows it from the messages. */
export interface ModelView {
  /** The model's alias (`MODEL_ADD`'s first field). */
  alias: string;
  /** Motion aliases running on it. */
  motions: string[];
  /** What it is saying now, and since when. */
  speaking?: { utterance?: number; owner: string; text: string; since: number; kind: string };
  /** Utterances waiting for its floor. */
  queued: number;
}

/** The avatar's state, mirrored from what the messages reveal (a bot reads it with `ctx.avatar()`). */
export interface AvatarState {
  /** MMDAgent-EX is connected. */
  connected: boolean;
  /** The connection's id, while connected. */
  connection?: string;
  /** The models seen, with their motions and speech. */
  models: ModelView[];
  /** MMDAgent-EX timers running (TIMER_START), with their start time. */
  timers: { name: string; since: number }[];
  /** Plugin_Variables values seen (`VALUE_SET` lines). */
  variables: Record<string, string>;
  /** Between `RECOG_EVENT_START` and `RECOG_EVENT_STOP`. */
  userSpeaking: boolean;
  /** The current turn id (0 before the first). */
  turn: number;
}

/** What a dashboard or a recorder can follow. */
export type ConversationEvent =
  | { kind: "turn-start"; turn: number; at: number }
  | { kind: "turn-end"; turn: number; at: number; by: string }
  | {
    kind: "utterance";
    phase: "queued" | "sent" | "started" | "ended";
    id: number;
    model: string;
    owner: string;
    turn?: number;
    text: string;
    at: number;
    status?: SpeechStatus;
    by?: string;
  }
  | { kind: "state"; at: number };
