/**
 * The bot side of speech and turns: `ctx.speak`, `ctx.speakStream`, `ctx.avatar()` and
 * `ctx.turn`. The floor itself lives in the host (`runtime/conversation/`), which serialises every
 * bot's speech per model and answers each request with its own result; this module only asks and
 * waits, and keeps one `AbortController` per turn that the host's `turn-ended` aborts.
 *
 * Loaded inside the bot process: plain TypeScript, no npm.
 */
import type { Refusal } from "../wire/types.ts";
import type { BotToHost, HostToBot } from "./protocol.ts";
import type { BotFeature } from "./context.ts";
import type { FeatureIO } from "./engine.ts";
import { createSend } from "./send_builders.ts";
import { IPC_MAX_TEXT } from "./protocol.ts";
import {
  type AvatarSnapshot,
  type Message,
  type MessageType,
  type Send,
  type SpeakOptions,
  type SpeechResult,
  type StreamOptions,
  type Timer,
  type Turn,
  TurnEndedError,
  type WaitOptions,
} from "./define.ts";

/** What the speech API needs from the engine. */
export interface SpeechIO {
  post(msg: BotToHost): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  after(ms: number, fn: () => void | Promise<void>): Timer;
  waitFor<T extends string>(type: T | readonly T[], options?: WaitOptions<T>): Promise<Message<T>>;
}

/** The speech API of one bot process. */
export interface SpeechApi {
  /** The handle of turn `id` (undefined for 0 / none), the same object for the same id. */
  turnFor(id: number | undefined): Turn | undefined;
  speak(
    model: string,
    voice: string,
    text: string,
    options: SpeakOptions | undefined,
    turn: Turn | undefined,
  ): Promise<SpeechResult>;
  speakStream(
    model: string,
    voice: string,
    source: AsyncIterable<string> | Iterable<string>,
    options: StreamOptions | undefined,
    turn: Turn | undefined,
  ): Promise<SpeechResult>;
  avatar(): Promise<AvatarSnapshot>;
  /** Takes the host messages that are speech's (`spoken`, `turn-ended`, `avatar`); true if taken. */
  handle(msg: HostToBot): boolean;
}

/** Turn handles kept for handlers still running; older ones are rebuilt (already ended) on demand. */
const TURNS_KEPT = 32;
/** Longest chunk of a stream in one IPC message (the host takes 64 KiB, JSON-escaped). */
const CHUNK_CHARS = Math.floor(IPC_MAX_TEXT / 8);

const stopped = (by: string, reason: string): SpeechResult => ({
  status: "interrupted",
  by,
  reason,
  utterances: 0,
  spokenMs: 0,
  text: "",
});

/** Creates the speech API. */
export function createSpeechApi(io: SpeechIO): SpeechApi {
  let nextReq = 1;
  const pending = new Map<number, (r: SpeechResult) => void>();
  const avatars = new Map<number, (s: AvatarSnapshot) => void>();
  const turns = new Map<number, { turn: Turn; controller: AbortController }>();
  // Turns end in order: every turn up to this one is over.
  let endedUpTo = 0;
  let endedBy = "next-turn";

  const makeTurn = (id: number) => {
    const controller = new AbortController();
    if (id <= endedUpTo) controller.abort(new TurnEndedError(id, endedBy));
    const signal = controller.signal;
    const turn: Turn = {
      id,
      signal,
      get ended() {
        return signal.aborted;
      },
      sleep: (ms) => io.sleep(ms, signal),
      after(ms, fn) {
        if (signal.aborted) return { cancel() {} };
        const timer = io.after(ms, fn);
        const onAbort = () => timer.cancel();
        signal.addEventListener("abort", onAbort, { once: true });
        return {
          cancel() {
            timer.cancel();
            signal.removeEventListener("abort", onAbort);
          },
        };
      },
      waitFor<T extends MessageType>(type: T | readonly T[], options: WaitOptions<T> = {}) {
        const s = options.signal ? AbortSignal.any([options.signal, signal]) : signal;
        return io.waitFor(type, { ...options, signal: s });
      },
    };
    return { turn, controller };
  };

  /** Sends the request and resolves with the host's answer, cancelling it if `signal` aborts. */
  const request = (
    msg: Extract<BotToHost, { t: "speak" | "stream" }>,
    signal: AbortSignal | undefined,
  ): { result: Promise<SpeechResult>; done: () => boolean } => {
    let settled = false;
    const result = new Promise<SpeechResult>((resolve) => {
      const onAbort = () => io.post({ t: "speak-cancel", req: msg.req });
      pending.set(msg.req, (r) => {
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      io.post(msg);
    });
    return { result, done: () => settled };
  };

  const signalOf = (options: SpeakOptions | undefined, turn: Turn | undefined) => {
    const own = options?.signal;
    if (own && turn) return AbortSignal.any([own, turn.signal]);
    return own ?? turn?.signal;
  };

  const common = (options: SpeakOptions | undefined, turn: Turn | undefined) => {
    const o: { turn?: number; priority?: number; uninterruptible?: boolean } = {};
    if (turn) o.turn = turn.id;
    if (typeof options?.priority === "number" && Number.isFinite(options.priority)) {
      o.priority = options.priority;
    }
    if (options?.uninterruptible) o.uninterruptible = true;
    return o;
  };

  const api: SpeechApi = {
    turnFor(id) {
      if (id === undefined || !Number.isSafeInteger(id) || id <= 0) return undefined;
      let t = turns.get(id);
      if (!t) {
        t = makeTurn(id);
        turns.set(id, t);
        if (turns.size > TURNS_KEPT) turns.delete(turns.keys().next().value!);
      }
      return t.turn;
    },

    speak(model, voice, text, options, turn) {
      const signal = signalOf(options, turn);
      if (signal?.aborted && !options?.uninterruptible) {
        return Promise.resolve(stopped("stop", "the signal had aborted before speaking"));
      }
      const req = nextReq++;
      const t = String(text);
      if (t.length > CHUNK_CHARS * 4) {
        // Too long for one IPC message: it goes as a stream, which the host splits the same way.
        return api.speakStream(model, voice, [t], options, turn);
      }
      return request({
        t: "speak",
        req,
        model: String(model),
        voice: String(voice),
        text: t,
        ...common(options, turn),
      }, options?.uninterruptible ? options.signal : signal).result;
    },

    async speakStream(model, voice, source, options, turn) {
      const signal = signalOf(options, turn);
      if (signal?.aborted && !options?.uninterruptible) {
        return stopped("stop", "the signal had aborted before speaking");
      }
      const req = nextReq++;
      const open: Extract<BotToHost, { t: "stream" }> = {
        t: "stream",
        req,
        model: String(model),
        voice: String(voice),
        ...common(options, turn),
      };
      if (typeof options?.firstChunkAtComma === "number") {
        open.firstChunkAtComma = options.firstChunkAtComma;
      }
      const { result, done } = request(open, options?.uninterruptible ? options.signal : signal);
      const over = new Promise<"over">((resolve) => {
        result.then(() => resolve("over"));
        signal?.addEventListener("abort", () => resolve("over"), { once: true });
      });
      const it = Symbol.asyncIterator in source
        ? (source as AsyncIterable<string>)[Symbol.asyncIterator]()
        : (source as Iterable<string>)[Symbol.iterator]();
      try {
        for (;;) {
          const next = await Promise.race([it.next(), over]);
          if (next === "over" || done()) {
            // Cut (barge-in, stop, refusal): stop reading, so an LLM stream stops too.
            await it.return?.();
            break;
          }
          if (next.done) break;
          const chunk = String(next.value ?? "");
          for (let i = 0; i < chunk.length; i += CHUNK_CHARS) {
            io.post({ t: "stream", req, chunk: chunk.slice(i, i + CHUNK_CHARS) });
          }
        }
      } finally {
        // Also when the source throws: what was read is spoken, and the error reaches the bot.
        io.post({ t: "stream", req, end: true });
      }
      return await result;
    },

    avatar() {
      const req = nextReq++;
      return new Promise((resolve) => {
        avatars.set(req, resolve);
        io.post({ t: "avatar-get", req });
      });
    },

    handle(msg) {
      switch (msg.t) {
        case "spoken": {
          const done = pending.get(msg.req);
          pending.delete(msg.req);
          done?.(msg.result);
          return true;
        }
        case "avatar": {
          const done = avatars.get(msg.req);
          avatars.delete(msg.req);
          done?.(msg.state);
          return true;
        }
        case "turn-ended": {
          if (msg.turn > endedUpTo) {
            endedUpTo = msg.turn;
            endedBy = msg.by;
          }
          for (const [id, t] of turns) {
            if (id <= msg.turn && !t.controller.signal.aborted) {
              try {
                t.controller.abort(new TurnEndedError(id, id === msg.turn ? msg.by : "next-turn"));
              } catch {
                // An abort listener of the bot threw; the turn is over all the same.
              }
            }
          }
          io.post({ t: "ack", id: msg.id });
          return true;
        }
        default:
          return false;
      }
    },
  };
  return api;
}

/**
 * The speech feature (see `context.ts`): `ctx.speak`, `ctx.speakStream`, `ctx.avatar()`,
 * `ctx.background` on every context, and on a message delivered during a user's turn `ctx.turn`
 * with sends and speech tied to that turn.
 */
export function speechFeature(io: FeatureIO): BotFeature {
  const api = createSpeechApi({
    post: io.post,
    sleep: (ms, signal) => io.timers.sleep(ms, signal),
    after: (ms, fn) => io.timers.timer(ms, fn, false),
    waitFor: (type, options) => io.waits.waitFor(type, options),
  });
  const refuse = (r: Refusal) => io.sends.refuse(r);
  // One set of typed senders per turn (not per message); older turns' are rebuilt on demand.
  const turnSends = new Map<number, Send>();
  const sendFor = (turn: number): Send => {
    let s = turnSends.get(turn);
    if (!s) {
      turnSends.set(turn, s = createSend((line) => io.sendLine(line, turn), refuse));
      if (turnSends.size > TURNS_KEPT) turnSends.delete(turnSends.keys().next().value!);
    }
    return s;
  };
  return {
    context: {
      speak: (model: string, voice: string, text: string, o?: SpeakOptions) =>
        api.speak(model, voice, text, o, undefined),
      speakStream: (
        model: string,
        voice: string,
        text: AsyncIterable<string> | Iterable<string>,
        o?: StreamOptions,
      ) => api.speakStream(model, voice, text, o, undefined),
      avatar: () => api.avatar(),
      turn: undefined,
      /** The base context: a message context's prototype chain ends in it. */
      get background() {
        // deno-lint-ignore no-this-alias -- walking the context's prototype chain
        let c: object = this;
        for (;;) {
          const up = Object.getPrototypeOf(c);
          if (up === null || up === Object.prototype) return c;
          c = up;
        }
      },
    },
    onMessage(ctx, msg) {
      const turn = api.turnFor(msg.turn);
      if (!turn) return;
      Object.assign(ctx, {
        turn,
        send: sendFor(turn.id),
        sendRaw: (line: string) => io.sendLine(String(line), turn.id),
        speak: (model: string, voice: string, text: string, o?: SpeakOptions) =>
          api.speak(model, voice, text, o, turn),
        speakStream: (
          model: string,
          voice: string,
          text: AsyncIterable<string> | Iterable<string>,
          o?: StreamOptions,
        ) => api.speakStream(model, voice, text, o, turn),
      });
    },
    receive: {
      spoken: (msg) => void api.handle(msg),
      avatar: (msg) => void api.handle(msg),
      "turn-ended": (msg) => void api.handle(msg),
    },
  };
}
