/**
 * The conversation: one speech floor per avatar model, the user's turns, barge-in, and what they
 * reveal (avatar state, turn metrics). Pure: the host feeds it every inbound line and every speech
 * request, and it answers through the `write` it was given, one line per call, in order.
 *
 * Why a floor (`speech.md`): MMDAgent-EX's speech events name only the model, so without one
 * utterance at a time nobody can tell whose speech an event ends; two `SYNTH_START`s for one model
 * in one write are a race in the binary, and a second one while the first speaks cuts it. So per
 * model, one utterance is on the floor; the next is written only after the previous one's end
 * event (`SYNTH_EVENT_STOP`, `SPEAK_EVENT_STOP`), or after a stop and that end event, or after a
 * deadline when no voice answers. Every start and end event is the utterance's on the floor.
 *
 * Turns: `RECOG_EVENT_START` starts turn n+1 and ends turn n (its `RECOG_EVENT_STOP` brings the
 * text; a result with no start is a turn of its own). Requests tagged with an ended turn are
 * refused, so nothing of turn n is written after turn n+1 started, apart from the stop itself,
 * uninterruptible utterances, and speech whose owner chose `ignore` / `finish-sentence`.
 *
 * @module
 */
import type { Clock, TimerId } from "../clock/clock.ts";
import type { Refusal } from "../wire/types.ts";
import { createAvatarMirror } from "./avatar.ts";
import { isEchoOf } from "./echo_text.ts";
import { RECENT_TURNS, summarise } from "./metrics.ts";
import { createSegmenter, type SegmentOptions } from "./segment.ts";
import {
  type AvatarState,
  type BargeInPolicy,
  type ConversationEvent,
  type ConversationPolicy,
  DEFAULT_POLICY,
  type SpeakerPolicy,
  type SpeechResult,
  type SpeechStatus,
  type TurnMetricsSummary,
  type TurnRecord,
} from "./types.ts";
import { splitForWire, wireSafeText } from "./wire_text.ts";

/** What the conversation needs from its host. */
export interface ConversationDeps {
  clock: Clock;
  /**
   * Writes one checked line toward MMDAgent-EX for `owner` (through the host's guard and sink);
   * resolves with false when it could not be written (refused now, or the connection failed).
   */
  write(line: string, owner: string): Promise<boolean>;
  /** The guard's verdict on a line, without sending it (ACL and wire checks for `owner`). */
  check(line: string, owner: string): Refusal | undefined;
  /** A bot's priority and barge-in policy (defaults when unknown). */
  speaker?(owner: string): Partial<SpeakerPolicy> | undefined;
  policy?: Partial<ConversationPolicy>;
  /** A turn is over: its bots' signals abort (`by`: `next-turn`, `false-interruption`, …). */
  onTurnEnded?(turn: number, by: string): void;
}

/** A speech request of a bot. */
export interface SpeakRequest {
  owner: string;
  model: string;
  voice: string;
  text: string;
  /** The turn the request belongs to (from the handler's message); none for turn-less speech. */
  turn?: number;
  priority?: number;
  /** Not stopped by barge-in or priority, and spoken even after its turn ended. */
  uninterruptible?: boolean;
}

/** A stream of text spoken sentence by sentence. */
export interface SpeechStream {
  /** Adds text; complete sentences go on the floor at once. Ignored once the stream is over. */
  push(text: string): void;
  /** No more text: the rest is spoken, then `result` resolves. */
  end(): void;
  /** Stops it: queued sentences dropped, the one speaking stopped. */
  cancel(by?: string, bot?: string): void;
  /** Resolves when everything was spoken, or at the first part that did not finish. */
  readonly result: Promise<SpeechResult>;
  /** True once the stream is over (result settled or settling). */
  readonly done: boolean;
}

/** An audio clip (SND) that wants the floor; the audio room paces it (see contracts.md). */
export interface AudioClaim {
  model: string;
  owner: string;
  turn?: number;
  label?: string;
  priority?: number;
  uninterruptible?: boolean;
  /** Upper bound on playback; the floor moves on after it even if `finish` never comes. */
  maxMs?: number;
  /** The floor is yours: start sending packets; stop at once when `signal` aborts. */
  start(grant: { signal: AbortSignal }): void;
}

/** The audio helper's handle on its claim. */
export interface AudioHandle {
  readonly result: Promise<SpeechResult>;
  /** Playback ended (naturally, or because the grant's signal aborted). */
  finish(r: { status: "finished" | "interrupted"; playedMs: number }): void;
  /** Withdraws the claim (before or during playback). */
  cancel(): void;
}

/** Verdict on a raw speech line. */
export type LineVerdict =
  | { ok: true; status: "queued" | "written"; result?: Promise<SpeechResult> }
  | { ok: false; refusal: Refusal };

/** The conversation as the host drives it. */
export interface Conversation {
  /** Every inbound line, before the bots see it. `echo`: MMDAgent-EX's echo of a sent line. */
  inbound(type: string, fields: readonly string[], echo: boolean): void;
  connected(id: string): void;
  disconnected(): void;
  /** The turn now (0 before the first); delivered messages carry it. */
  currentTurn(): number;
  /** Refusal for a non-speech line of `turn` when that turn is over, else undefined. */
  turnCheck(turn: number | undefined, owner: string): Refusal | undefined;
  /** True for the commands the floor owns (`SYNTH_START`, `SPEAK_START`, and their stops). */
  isSpeech(type: string): boolean;
  /** A raw speech line (`SYNTH_START|…`, `SYNTH_STOP|…`) from `owner`, already guard-checked. */
  submitLine(line: string, owner: string, turn?: number): LineVerdict;
  speak(req: SpeakRequest): { result: Promise<SpeechResult>; cancel(): void };
  stream(req: Omit<SpeakRequest, "text"> & { segment?: SegmentOptions }): SpeechStream;
  claimAudio(claim: AudioClaim): AudioHandle;
  /** Stops `owner`'s speech (all models, or one): queued dropped, speaking stopped. */
  stopOwner(owner: string, model?: string): void;
  /** A bot went away (stopped, restarted): its queued speech is dropped, its speaking stopped. */
  ownerGone(owner: string): void;
  avatar(): AvatarState;
  turns(): TurnRecord[];
  metrics(): TurnMetricsSummary;
  subscribe(fn: (ev: ConversationEvent) => void): () => void;
  close(): void;
}

type Phase = "queued" | "sending" | "speaking" | "stopping" | "ended";
type Kind = "synth" | "speak" | "audio";

interface Group {
  owner: string;
  turn?: number;
  parts: number;
  ended: number;
  open: boolean;
  done: boolean;
  spokenMs: number;
  utterances: number;
  texts: string[];
  settle(r: SpeechResult): void;
  items: Set<Utterance>;
}

interface Utterance {
  id: number;
  group: Group;
  model: string;
  owner: string;
  turn?: number;
  kind: Kind;
  line?: string;
  text: string;
  priority: number;
  uninterruptible: boolean;
  bargeIn: BargeInPolicy;
  phase: Phase;
  queuedAt: number;
  sentAt?: number;
  startedAt?: number;
  stopBy?: { by: string; bot?: string };
  restopped: boolean;
  timer?: TimerId;
  audio?: { claim: AudioClaim; abort: AbortController; playedMs?: number };
  resumed?: boolean;
}

interface Floor {
  model: string;
  current?: Utterance;
  queue: Utterance[];
  /** Speech we did not start (an FST, another peer) occupies the floor until it ends. */
  external?: { kind: "synth" | "speak"; since: number; timer: TimerId };
  voiceless: boolean;
  pumpTimer?: TimerId;
}

interface Turn {
  rec: TurnRecord;
  ended: boolean;
  claim?: { owner: string; priority: number };
  /** Utterances cut by this turn's barge-in (candidates for a resume). */
  cut: Utterance[];
  /** Texts the avatar was saying when it started (for echo detection). */
  saying: string[];
  pendingAfter: { u: Utterance; timer: TimerId }[];
  bargedIn: boolean;
}

const SPEECH_TYPES = new Set(["SYNTH_START", "SYNTH_STOP", "SPEAK_START", "SPEAK_STOP"]);
/**
 * Longest synthesis the floor waits for: 150 ms per character (the slow style speaks about 100)
 * plus 10 s, at most 3 minutes; a WAV file's length is not known, so 3 minutes.
 */
const endDeadline = (u: { kind: string; text: string }) =>
  u.kind === "synth" ? Math.min(180_000, 10_000 + 150 * [...u.text].length) : 180_000;

/** Creates the conversation for one host. */
export function createConversation(deps: ConversationDeps): Conversation {
  const clock = deps.clock;
  const policy: ConversationPolicy = { ...DEFAULT_POLICY, ...deps.policy };
  const floors = new Map<string, Floor>();
  const turns = new Map<number, Turn>();
  const recent: TurnRecord[] = [];
  const listeners = new Set<(ev: ConversationEvent) => void>();
  const mirror = createAvatarMirror();
  let current = 0;
  let userSpeaking = false;
  let holdTimer: TimerId | undefined;
  let nextUtterance = 1;
  let closed = false;

  const emit = (ev: ConversationEvent) => {
    for (const fn of listeners) {
      try {
        fn(ev);
      } catch {
        // A listener's failure is its own; the floor goes on.
      }
    }
  };
  const speakerOf = (owner: string): SpeakerPolicy => {
    const s = deps.speaker?.(owner);
    return { priority: s?.priority ?? 0, bargeIn: s?.bargeIn ?? policy.bargeIn };
  };
  const floorOf = (model: string): Floor => {
    let f = floors.get(model);
    if (!f) floors.set(model, f = { model, queue: [], voiceless: false });
    return f;
  };
  const turnOf = (id: number | undefined) => id === undefined ? undefined : turns.get(id);
  const cancelTimer = (u: Utterance) => {
    if (u.timer !== undefined) clock.clearTimeout(u.timer);
    u.timer = undefined;
  };

  // ---- groups (one speak call, one stream, one raw line, one audio clip) ----

  const newGroup = (owner: string, turn: number | undefined, open: boolean) => {
    let settle!: (r: SpeechResult) => void;
    const result = new Promise<SpeechResult>((r) => (settle = r));
    const g: Group = {
      owner,
      turn,
      parts: 0,
      ended: 0,
      open,
      done: false,
      spokenMs: 0,
      utterances: 0,
      texts: [],
      settle,
      items: new Set(),
    };
    return { g, result };
  };
  const resultOf = (g: Group, status: SpeechStatus, extra: Partial<SpeechResult> = {}) => ({
    status,
    utterances: g.utterances,
    spokenMs: g.spokenMs,
    text: g.texts.join(" "),
    ...extra,
  });
  const finishGroup = (g: Group, r: SpeechResult) => {
    if (g.done) return;
    g.done = true;
    g.open = false;
    g.settle(r);
    // What is left of the group will not be spoken: its result is already given.
    for (const u of [...g.items]) if (u.phase === "queued") removeQueued(u, r.by ?? "stop", r.bot);
  };
  const partEnded = (u: Utterance, status: SpeechStatus, extra: Partial<SpeechResult>) => {
    const g = u.group;
    g.items.delete(u);
    g.ended++;
    if (g.done) return;
    if (status !== "finished") return finishGroup(g, resultOf(g, status, extra));
    if (!g.open && g.ended >= g.parts) finishGroup(g, resultOf(g, "finished"));
  };
  const refuse = (g: Group, by: string, reason: string, bot?: string) =>
    finishGroup(g, resultOf(g, "refused", { by, reason, ...(bot ? { bot } : {}) }));

  // ---- the floor ----

  const enqueue = (u: Utterance, front = false) => {
    const f = floorOf(u.model);
    u.group.parts++;
    u.group.items.add(u);
    if (front) f.queue.unshift(u);
    else {
      // Higher priority first; equal priorities in arrival order.
      let i = f.queue.length;
      while (i > 0 && f.queue[i - 1].priority < u.priority) i--;
      f.queue.splice(i, 0, u);
    }
    const t = turnOf(u.turn);
    if (t && t.rec.firstCommandAt === undefined && !u.resumed) t.rec.firstCommandAt = clock.now();
    emit(utteranceEvent(u, "queued"));
    pump(f);
  };

  const utteranceEvent = (
    u: Utterance,
    phase: "queued" | "sent" | "started" | "ended",
    status?: SpeechStatus,
    by?: string,
  ): ConversationEvent => ({
    kind: "utterance",
    phase,
    id: u.id,
    model: u.model,
    owner: u.owner,
    turn: u.turn,
    text: u.text,
    at: clock.now(),
    ...(status ? { status } : {}),
    ...(by ? { by } : {}),
  });

  const mayStartNow = (u: Utterance) =>
    !userSpeaking || u.uninterruptible || u.bargeIn === "ignore" || u.turn === current;

  const pump = (f: Floor) => {
    if (closed || f.current || f.external) return;
    const i = f.queue.findIndex(mayStartNow);
    if (i < 0) return;
    const [u] = f.queue.splice(i, 1);
    begin(f, u);
  };

  const begin = (f: Floor, u: Utterance) => {
    f.current = u;
    u.phase = "sending";
    u.sentAt = clock.now();
    u.group.utterances++;
    u.group.texts.push(u.text);
    const t = turnOf(u.turn);
    if (t) {
      t.rec.utterances++;
      if (t.rec.firstWireAt === undefined && !u.resumed) t.rec.firstWireAt = clock.now();
    }
    if (u.kind === "audio") {
      const a = u.audio!;
      u.phase = "speaking";
      u.startedAt = clock.now();
      if (t && t.rec.firstAudioAt === undefined) t.rec.firstAudioAt = u.startedAt;
      u.timer = clock.setTimeout(
        () => end(u, "timed-out", { by: "voice", reason: "the audio never reported its end" }),
        a.claim.maxMs ?? 180_000,
      );
      emit(utteranceEvent(u, "sent"));
      emit(utteranceEvent(u, "started"));
      try {
        a.claim.start({ signal: a.abort.signal });
      } catch {
        end(u, "refused", { by: "audio", reason: "the audio failed to start" });
      }
      return;
    }
    const timeout = f.voiceless ? policy.voicelessStartTimeoutMs : policy.startTimeoutMs;
    u.timer = clock.setTimeout(() => {
      f.voiceless = true;
      const ev = u.kind === "synth" ? "SYNTH_EVENT_START" : "SPEAK_EVENT_START";
      end(u, "timed-out", {
        by: "voice",
        reason: u.kind === "synth"
          ? `no ${ev}|${u.model} within ${timeout} ms: MMDAgent-EX has no voice installed, or ` +
            `the voice (style) name is not in the .fph/.ojt file (it then only echoes)`
          : `no ${ev}|${u.model} within ${timeout} ms: is the file in the content?`,
      });
    }, timeout);
    emit(utteranceEvent(u, "sent"));
    deps.write(u.line!, u.owner).then((ok) => {
      if (!ok && u.phase !== "ended") {
        end(u, "refused", { by: "guard", reason: "the line could not be written" });
      }
    });
  };

  const started = (f: Floor, u: Utterance) => {
    u.startedAt = clock.now();
    f.voiceless = false;
    if (u.phase === "sending") u.phase = "speaking";
    cancelTimer(u);
    if (u.phase === "speaking") {
      u.timer = clock.setTimeout(() =>
        end(u, "timed-out", {
          by: "voice",
          reason: `no end event for ${u.model} within ${endDeadline(u)} ms`,
        }), endDeadline(u));
    } else armStopTimer(u);
    const t = turnOf(u.turn);
    if (t && t.rec.firstAudioAt === undefined && !u.resumed) t.rec.firstAudioAt = u.startedAt;
    emit(utteranceEvent(u, "started"));
  };

  const armStopTimer = (u: Utterance) => {
    cancelTimer(u);
    u.timer = clock.setTimeout(
      () => end(u, "interrupted", u.stopBy ?? { by: "stop" }),
      policy.stopTimeoutMs,
    );
  };

  const end = (u: Utterance, status: SpeechStatus, extra: Partial<SpeechResult> = {}) => {
    if (u.phase === "ended") return;
    cancelTimer(u);
    const f = floorOf(u.model);
    const wasOnFloor = f.current === u;
    u.phase = "ended";
    if (wasOnFloor) f.current = undefined;
    const spoken = u.audio?.playedMs ??
      (u.startedAt !== undefined ? clock.now() - u.startedAt : 0);
    u.group.spokenMs += spoken;
    const t = turnOf(u.turn);
    if (t && wasOnFloor) t.rec.endAt = clock.now();
    emit(utteranceEvent(u, "ended", status, extra.by));
    partEnded(u, status, extra);
    later(f);
  };

  /**
   * Starts the next utterance once the lines already received are handled, not in the middle:
   * when another peer's start cuts ours, the binary sends our `SYNTH_EVENT_STOP` and its
   * `SYNTH_EVENT_START` in the same millisecond, and starting ours between them would take its
   * start for ours.
   */
  const later = (f: Floor) => {
    if (f.pumpTimer !== undefined || closed) return;
    f.pumpTimer = clock.setTimeout(() => {
      f.pumpTimer = undefined;
      pump(f);
    }, 0);
  };

  /** Drops a queued utterance: it never reaches the wire. */
  const removeQueued = (u: Utterance, by: string, bot?: string) => {
    const f = floorOf(u.model);
    const i = f.queue.indexOf(u);
    if (i >= 0) f.queue.splice(i, 1);
    const t = turnOf(u.turn);
    if (t) t.rec.dropped++;
    end(u, "interrupted", { by, ...(bot ? { bot } : {}) });
  };

  const stopLineOf = (u: Utterance) =>
    u.kind === "speak" ? `SPEAK_STOP|${u.model}` : `SYNTH_STOP|${u.model}`;

  /** Stops an utterance on the floor (or drops it when queued). */
  const stop = (u: Utterance, by: string, bot?: string) => {
    if (u.phase === "ended" || u.phase === "stopping") return;
    if (u.phase === "queued") return removeQueued(u, by, bot);
    u.stopBy = { by, ...(bot ? { bot } : {}) };
    u.phase = "stopping";
    if (u.kind === "audio") {
      u.audio!.abort.abort({ by });
      armStopTimer(u);
      return;
    }
    armStopTimer(u);
    deps.write(stopLineOf(u), u.owner);
  };

  // ---- turns ----

  const endTurn = (t: Turn, by: string) => {
    if (t.ended) return;
    t.ended = true;
    t.rec.endedAt = clock.now();
    t.rec.endedBy = by;
    for (const p of t.pendingAfter) clock.clearTimeout(p.timer);
    if (by !== "next-turn") {
      // Ended without a new turn to barge in (a false interruption, a disconnect): the turn's
      // own speech ends with it, as its owners' policies say.
      for (const f of floors.values()) {
        for (const u of [...(f.current ? [f.current] : []), ...f.queue]) {
          if (u.turn !== t.rec.id || u.uninterruptible || u.bargeIn === "ignore") continue;
          if (u.bargeIn === "finish-sentence" && u === f.current) continue;
          stop(u, "turn-ended");
        }
      }
    }
    emit({ kind: "turn-end", turn: t.rec.id, at: clock.now(), by });
    deps.onTurnEnded?.(t.rec.id, by);
  };

  const releaseUser = () => {
    userSpeaking = false;
    if (holdTimer !== undefined) clock.clearTimeout(holdTimer);
    holdTimer = undefined;
    for (const f of floors.values()) pump(f);
  };

  /** Applies a stop-like barge-in to `u` on behalf of turn `t`. */
  const bargeInto = (t: Turn, u: Utterance) => {
    // Dropping one part drops the rest of its group too: those may already be over here.
    if (u.phase === "ended") return;
    if (u.phase === "queued") {
      removeQueued(u, "barge-in");
    } else {
      t.cut.push(u);
      stop(u, "barge-in");
    }
    t.bargedIn = true;
    const old = turnOf(u.turn);
    if (old) old.rec.interrupted = true;
  };

  const startTurn = () => {
    const prev = turnOf(current);
    const id = ++current;
    const t: Turn = {
      rec: {
        id,
        startedAt: clock.now(),
        interrupted: false,
        falseInterruption: false,
        utterances: 0,
        dropped: 0,
      },
      ended: false,
      cut: [],
      saying: [],
      pendingAfter: [],
      bargedIn: false,
    };
    turns.set(id, t);
    recent.push(t.rec);
    if (recent.length > RECENT_TURNS) turns.delete(recent.shift()!.id);
    emit({ kind: "turn-start", turn: id, at: clock.now() });
    if (prev) endTurn(prev, "next-turn");
    userSpeaking = true;
    if (holdTimer !== undefined) clock.clearTimeout(holdTimer);
    holdTimer = clock.setTimeout(releaseUser, policy.userHoldMs);
    for (const f of floors.values()) {
      const cur = f.current;
      if (cur && cur.phase !== "stopping") t.saying.push(cur.text);
      for (const u of [...(cur ? [cur] : []), ...f.queue]) {
        if (u.uninterruptible || u.turn === id) continue;
        const p = u.bargeIn;
        if (p === "ignore") continue;
        if (p === "stop") bargeInto(t, u);
        else if (p === "finish-sentence") {
          if (u !== cur) bargeInto(t, u);
        } else {
          const timer = clock.setTimeout(() => {
            t.pendingAfter = t.pendingAfter.filter((x) => x.u !== u);
            if (!t.rec.falseInterruption && u.phase !== "ended") bargeInto(t, u);
          }, p.afterMs);
          t.pendingAfter.push({ u, timer });
        }
      }
    }
  };

  const userEnded = (text: string) => {
    let t = turnOf(current);
    if (!t || t.rec.userEndAt !== undefined) {
      // A result without its start (an FST, an injected line): a turn of its own.
      startTurn();
      t = turnOf(current)!;
    }
    t.rec.userEndAt = clock.now();
    t.rec.text = text;
    const heard = text.trim();
    const saying = [...t.saying, ...t.cut.map((u) => u.text)];
    const falseOne = (t.bargedIn || t.pendingAfter.length > 0) &&
      (heard === "" || isEchoOf(heard, saying));
    if (falseOne) {
      t.rec.falseInterruption = true;
      for (const p of t.pendingAfter) clock.clearTimeout(p.timer);
      t.pendingAfter = [];
      if (policy.falseInterruption === "resume") {
        for (const u of t.cut) {
          if (u.kind === "audio" || !u.line) continue;
          const { g } = newGroup(u.owner, undefined, false);
          g.settle = () => {};
          enqueue({ ...fresh(u), group: g, resumed: true }, true);
        }
      }
      endTurn(t, "false-interruption");
    } else {
      // A real utterance: barge-ins that waited for enough user speech happen now.
      for (const p of t.pendingAfter) {
        clock.clearTimeout(p.timer);
        if (p.u.phase !== "ended") bargeInto(t, p.u);
      }
      t.pendingAfter = [];
    }
    releaseUser();
  };

  const fresh = (u: Utterance): Utterance => ({
    ...u,
    id: nextUtterance++,
    turn: undefined,
    phase: "queued",
    queuedAt: clock.now(),
    sentAt: undefined,
    startedAt: undefined,
    stopBy: undefined,
    restopped: false,
    timer: undefined,
  });

  /** Whether `owner` may speak in `turn`; claims the turn's floor under first-claim/priority. */
  const claim = (
    owner: string,
    turn: number | undefined,
    priority: number,
  ): { by: string; reason: string; bot?: string } | undefined => {
    if (turn === undefined) return undefined;
    const t = turnOf(turn);
    if (turn > current) return undefined;
    if (!t || t.ended) {
      return {
        by: "turn-ended",
        reason: `turn ${turn} is over (the user spoke again, or it was a false interruption)`,
      };
    }
    if (policy.floor === "queue") return undefined;
    if (!t.claim) {
      t.claim = { owner, priority };
      t.rec.claimedBy = owner;
      return undefined;
    }
    if (t.claim.owner === owner) return undefined;
    if (policy.floor === "priority" && priority > t.claim.priority) {
      const loser = t.claim.owner;
      t.claim = { owner, priority };
      t.rec.claimedBy = owner;
      for (const f of floors.values()) {
        for (const u of [...(f.current ? [f.current] : []), ...f.queue]) {
          if (u.owner === loser && u.turn === turn && !u.uninterruptible) {
            stop(u, "priority", owner);
          }
        }
      }
      return undefined;
    }
    return {
      by: "floor-taken",
      bot: t.claim.owner,
      reason: `${t.claim.owner} already answers turn ${turn} (floor policy ${policy.floor})`,
    };
  };

  const makeUtterance = (
    g: Group,
    r: {
      model: string;
      owner: string;
      turn?: number;
      priority?: number;
      uninterruptible?: boolean;
    },
    kind: Kind,
    text: string,
    line?: string,
  ): Utterance => {
    const sp = speakerOf(r.owner);
    return {
      id: nextUtterance++,
      group: g,
      model: r.model,
      owner: r.owner,
      turn: r.turn,
      kind,
      line,
      text,
      priority: r.priority ?? sp.priority,
      uninterruptible: r.uninterruptible ?? false,
      bargeIn: sp.bargeIn,
      phase: "queued",
      queuedAt: clock.now(),
      restopped: false,
    };
  };

  /** Splits, checks and queues `text` as parts of `g`; false when the guard refused a part. */
  const queueText = (
    g: Group,
    r: Omit<SpeakRequest, "text">,
    text: string,
  ): boolean => {
    const safe = wireSafeText(text);
    if (safe === "") return true;
    const parts = splitForWire(safe);
    const lines = parts.map((p) => `SYNTH_START|${r.model}|${r.voice}|${p}`);
    for (const line of lines) {
      const bad = deps.check(line, r.owner);
      if (bad) {
        refuse(g, "guard", bad.reason);
        return false;
      }
    }
    parts.forEach((p, i) => enqueue(makeUtterance(g, r, "synth", p, lines[i])));
    return true;
  };

  const modelField = (model: string) => model !== "" && !/[|\r\n\0]/.test(model);

  const api: Conversation = {
    inbound(type, fields, echo) {
      const now = clock.now();
      if (mirror.observe(type, fields, now)) emit({ kind: "state", at: now });
      if (echo) return;
      const model = fields[0] ?? "";
      switch (type) {
        case "RECOG_EVENT_START":
          startTurn();
          return;
        case "RECOG_EVENT_STOP":
          userEnded(fields.join("|"));
          return;
        case "SYNTH_EVENT_START":
        case "SPEAK_EVENT_START": {
          const f = floorOf(model);
          const u = f.current;
          const kind = type === "SYNTH_EVENT_START" ? "synth" : "speak";
          if (u && u.kind === kind && u.startedAt === undefined) started(f, u);
          else if (!u && !f.external) {
            f.external = {
              kind,
              since: now,
              timer: clock.setTimeout(() => {
                f.external = undefined;
                pump(f);
              }, 180_000),
            };
            emit({ kind: "state", at: now });
          }
          return;
        }
        case "SYNTH_EVENT_STOP":
        case "SPEAK_EVENT_STOP": {
          const f = floors.get(model);
          if (!f) return;
          const u = f.current;
          const kind = type === "SYNTH_EVENT_STOP" ? "synth" : "speak";
          if (u && u.kind === kind && (u.startedAt !== undefined || u.phase === "stopping")) {
            if (u.stopBy) end(u, "interrupted", u.stopBy);
            else end(u, "finished");
          } else if (!u && f.external?.kind === kind) {
            clock.clearTimeout(f.external.timer);
            f.external = undefined;
            emit({ kind: "state", at: now });
            later(f);
          }
          return;
        }
        case "LIPSYNC_START": {
          // A stop that reached the TTS thread while it prepared the text is undone by it
          // (speech.md §4): the plugin's LIPSYNC_START says preparing is over, so stop again.
          const u = floors.get(model)?.current;
          if (u && u.kind === "synth" && u.phase === "stopping" && !u.restopped) {
            u.restopped = true;
            deps.write(`SYNTH_STOP|${u.model}`, u.owner);
          }
          return;
        }
      }
    },

    connected(id) {
      mirror.connection(id);
      emit({ kind: "state", at: clock.now() });
    },

    disconnected() {
      mirror.connection(undefined);
      for (const f of floors.values()) {
        for (const u of [...f.queue]) removeQueued(u, "disconnect");
        if (f.current) end(f.current, "interrupted", { by: "disconnect" });
        if (f.external) clock.clearTimeout(f.external.timer);
        f.external = undefined;
      }
      const t = turnOf(current);
      if (t) endTurn(t, "disconnect");
      releaseUser();
      emit({ kind: "state", at: clock.now() });
    },

    currentTurn: () => current,

    turnCheck(turn, owner) {
      if (turn === undefined || turn > current) return undefined;
      const t = turnOf(turn);
      if (t && !t.ended) return undefined;
      return {
        code: "turn-ended",
        reason: `${owner} sent a line of turn ${turn} after it ended (the user spoke again)`,
        fix: "stop work for a turn when ctx.turn.signal aborts (pass it to fetch, waits, sleeps)",
      };
    },

    isSpeech: (type) => SPEECH_TYPES.has(type),

    submitLine(line, owner, turn) {
      const bar = line.indexOf("|");
      const type = bar < 0 ? line : line.slice(0, bar);
      const fields = bar < 0 ? [] : line.slice(bar + 1).split("|");
      const model = fields[0] ?? "";
      if (type === "SYNTH_STOP" || type === "SPEAK_STOP") {
        const u = floors.get(model)?.current;
        const kind = type === "SYNTH_STOP" ? "synth" : "speak";
        if (u && u.kind === kind && u.phase !== "stopping") {
          stop(u, "stop", owner);
          return { ok: true, status: "written" };
        }
        const f = floors.get(model);
        for (const q of f ? [...f.queue] : []) {
          if (q.owner === owner) removeQueued(q, "stop", owner);
        }
        // Nothing of ours speaks: the line goes out as sent (it may stop an FST's speech).
        deps.write(line, owner);
        return { ok: true, status: "written" };
      }
      const kind: Kind = type === "SPEAK_START" ? "speak" : "synth";
      if (!modelField(model) || (kind === "synth" && fields.length < 3)) {
        // The binary ignores it (echo only); nothing to put on the floor.
        deps.write(line, owner);
        return { ok: true, status: "written" };
      }
      const sp = speakerOf(owner);
      const { g, result } = newGroup(owner, turn, false);
      const no = claim(owner, turn, sp.priority);
      if (no) {
        refuse(g, no.by, no.reason, no.bot);
        return {
          ok: false,
          refusal: {
            code: no.by,
            reason: no.reason,
            fix: no.by === "floor-taken"
              ? "let one bot answer each turn, or set conversation.floor: queue in bots/bots.yaml"
              : "speak only while the turn lasts (ctx.turn.signal)",
          },
        };
      }
      if (kind === "speak") {
        enqueue(makeUtterance(g, { model, owner, turn }, "speak", fields.slice(1).join("|"), line));
      } else {
        const voice = fields[1];
        const text = fields.slice(2).join("|");
        if (wireSafeText(text) === "") {
          // Nothing a voice could say; the binary answers it with its echo only.
          deps.write(line, owner);
          return { ok: true, status: "written" };
        }
        if (!queueText(g, { owner, model, voice, turn }, text)) {
          return {
            ok: false,
            refusal: { code: "guard", reason: "a part of the split speech text was refused" },
          };
        }
      }
      g.open = false;
      if (g.parts === 0) finishGroup(g, resultOf(g, "finished"));
      return { ok: true, status: "queued", result };
    },

    speak(req) {
      const { g, result } = newGroup(req.owner, req.turn, true);
      const sp = speakerOf(req.owner);
      const no = claim(req.owner, req.turn, req.priority ?? sp.priority);
      if (no) refuse(g, no.by, no.reason, no.bot);
      else if (!modelField(req.model) || !modelField(req.voice)) {
        refuse(g, "guard", "the model and voice must be non-empty and free of |, CR, LF and NUL");
      } else if (wireSafeText(req.text) === "") {
        refuse(g, "empty", "nothing to say: the text is empty once made safe for the wire");
      } else if (queueText(g, req, req.text)) {
        g.open = false;
        if (g.parts === 0) finishGroup(g, resultOf(g, "finished"));
      }
      return { result, cancel: () => cancelGroup(g, "stop", req.owner) };
    },

    stream(req) {
      const { g, result } = newGroup(req.owner, req.turn, true);
      const sp = speakerOf(req.owner);
      const seg = createSegmenter(req.segment);
      const no = claim(req.owner, req.turn, req.priority ?? sp.priority);
      if (no) refuse(g, no.by, no.reason, no.bot);
      else if (!modelField(req.model) || !modelField(req.voice)) {
        refuse(g, "guard", "the model and voice must be non-empty and free of |, CR, LF and NUL");
      }
      const add = (sentences: string[]) => {
        for (const s of sentences) if (!g.done && !queueText(g, req, s)) return;
      };
      return {
        push(text) {
          if (!g.done) add(seg.push(String(text)));
        },
        end() {
          if (g.done) return;
          add(seg.flush());
          g.open = false;
          if (!g.done && g.ended >= g.parts) finishGroup(g, resultOf(g, "finished"));
        },
        cancel(by = "stop", bot) {
          cancelGroup(g, by, bot);
        },
        result,
        get done() {
          return g.done;
        },
      };
    },

    claimAudio(c) {
      const { g, result } = newGroup(c.owner, c.turn, false);
      const sp = speakerOf(c.owner);
      const no = claim(c.owner, c.turn, c.priority ?? sp.priority);
      let u: Utterance | undefined;
      if (no) refuse(g, no.by, no.reason, no.bot);
      else {
        u = makeUtterance(g, c, "audio", c.label ?? "audio");
        u.audio = { claim: c, abort: new AbortController() };
        enqueue(u);
      }
      return {
        result,
        finish(r) {
          if (!u || u.phase === "ended" || u.phase === "queued") return;
          u.audio!.playedMs = Math.max(0, r.playedMs);
          if (u.stopBy) end(u, "interrupted", u.stopBy);
          else end(u, r.status, r.status === "interrupted" ? { by: "stop" } : {});
        },
        cancel() {
          if (u) stop(u, "stop", c.owner);
          if (u?.phase === "stopping") end(u, "interrupted", { by: "stop", bot: c.owner });
        },
      };
    },

    stopOwner(owner, model) {
      for (const f of floors.values()) {
        if (model !== undefined && f.model !== model) continue;
        for (const u of [...f.queue]) if (u.owner === owner) removeQueued(u, "stop", owner);
        if (f.current?.owner === owner) stop(f.current, "stop", owner);
      }
    },

    ownerGone(owner) {
      api.stopOwner(owner);
    },

    avatar() {
      const models = new Map<string, Set<string>>(mirror.models());
      for (const f of floors.values()) if (!models.has(f.model)) models.set(f.model, new Set());
      return {
        connected: mirror.connected,
        ...(mirror.connectionId !== undefined ? { connection: mirror.connectionId } : {}),
        models: [...models].map(([alias, motions]) => {
          const f = floors.get(alias);
          const u = f?.current;
          const speaking = u && u.phase !== "sending"
            ? {
              utterance: u.id,
              owner: u.owner,
              text: u.text,
              since: u.startedAt ?? u.sentAt!,
              kind: u.kind,
            }
            : f?.external
            ? { owner: "(not mmdbot)", text: "", since: f.external.since, kind: f.external.kind }
            : undefined;
          return {
            alias,
            motions: [...motions],
            ...(speaking ? { speaking } : {}),
            queued: f?.queue.length ?? 0,
          };
        }),
        timers: mirror.timers(),
        variables: mirror.variables(),
        userSpeaking,
        turn: current,
      };
    },

    turns: () => recent.map((r) => ({ ...r })),
    metrics: () => summarise(recent),
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close() {
      closed = true;
      for (const f of floors.values()) {
        for (const u of [...f.queue]) removeQueued(u, "disconnect");
        if (f.current) end(f.current, "interrupted", { by: "disconnect" });
        if (f.external) clock.clearTimeout(f.external.timer);
        if (f.pumpTimer !== undefined) clock.clearTimeout(f.pumpTimer);
      }
      if (holdTimer !== undefined) clock.clearTimeout(holdTimer);
      listeners.clear();
    },
  };

  const cancelGroup = (g: Group, by: string, bot?: string) => {
    if (g.done) return;
    const on = [...g.items].filter((u) => u.phase !== "queued");
    finishGroup(g, resultOf(g, "interrupted", { by, ...(bot ? { bot } : {}) }));
    for (const u of on) stop(u, by, bot);
  };

  return api;
}
