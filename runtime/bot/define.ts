/**
 * The bot authoring API: a builder that records handlers, and the types of the contexts they get.
 * Loaded inside the bot process, so it imports nothing from npm and only types from the catalog.
 */
import type { BotStore } from "./store.ts";
import type { Llm } from "./llm.ts";
import type { EventView } from "../catalog/events.ts";
import type { CommandArgsMap, CommandName, MessageName } from "../catalog/messages.gen.ts";
import type { Play } from "./play.ts";
import { MmdbotError } from "../errors/error.ts";
import type { AvatarState as AvatarSnapshot, SpeechResult } from "../conversation/types.ts";

/**
 * Named arguments of message type `T`, named by the catalog (e.g. `result` of
 * `RECOG_EVENT_STOP`). A field MMDAgent-EX left out is `undefined`; fields past the catalog's are
 * in `rest`. Custom messages have only `rest`.
 */
export type ArgsOf<T extends string> = EventView<T>;

/** A message type: a catalog name (autocompleted) or any custom type such as `MESSAGE`. */
export type MessageType = MessageName | (string & Record<never, never>);

/** One message as a bot sees it. */
export interface Message<T extends string = string> {
  /** The whole line as MMDAgent-EX sent it, e.g. `RECOG_EVENT_STOP|hello`. */
  readonly line: string;
  /** TYPE: the text before the first `|`. */
  readonly type: T;
  /** ARGS split on `|`, as the wire carries them. */
  readonly fields: readonly string[];
  /** Named arguments from the catalog (e.g. `args.result` of `RECOG_EVENT_STOP`). */
  readonly args: ArgsOf<T>;
  /** True when this line is MMDAgent-EX's echo of a line mmdbot sent. */
  readonly isEcho: boolean;
  /** Who sent the line this one echoes (a bot name, or `operator`); undefined when not an echo. */
  readonly echoOf: string | undefined;
  /** The connection it came from (for logs). */
  readonly connection: string;
}

/** What `send` reports when the line was accepted. */
export interface SendResult {
  /** `written` to the connection, `queued` while disconnected, or `dropped` by a full queue. */
  status: string;
}

/** A cancellable timer made by `ctx.after` or `ctx.every`. */
export interface Timer {
  /** Stops the timer; calling it twice is harmless. */
  cancel(): void;
}

/** Options of `ctx.waitFor`. */
export interface WaitOptions<T extends string> {
  /** Only a message this predicate accepts (or whose line this regex matches) resolves the wait. */
  match?: RegExp | ((message: Message<T>) => boolean);
  /** Rejects with a `WaitTimeoutError` after this many milliseconds of host time (default 10000). */
  timeoutMs?: number;
  /** Rejects with the signal's reason when it aborts first. */
  signal?: AbortSignal;
}

/** Options of `ctx.speak` and `ctx.speakStream`. */
export interface SpeakOptions {
  /**
   * Stops the speech when it aborts (queued parts dropped, the speaking one cut with
   * `SYNTH_STOP`). Speech from a turn's handler is tied to that turn anyway.
   */
  signal?: AbortSignal;
  /** Place on the floor among this bot's and others' speech (default: the manifest's priority). */
  priority?: number;
  /** Not cut by barge-in or a higher priority, and spoken even after its turn ended. */
  uninterruptible?: boolean;
}

/** Options of `ctx.speakStream`. */
export interface StreamOptions extends SpeakOptions {
  /** End the first sentence early at a comma once it has this many characters (faster start). */
  firstChunkAtComma?: number;
}

// One definition, the conversation room's: the host answers with that very shape over IPC.
export type { SpeechResult, SpeechStatus } from "../conversation/types.ts";

// The avatar's state (see `ctx.avatar()`) is the conversation room's mirror, sent as is.
export type { AvatarState as AvatarSnapshot, ModelView } from "../conversation/types.ts";

/**
 * The user's turn a handler runs in: from `RECOG_EVENT_START` (or a typed console line) until the
 * next one. Its `signal` aborts when the turn is over (the user spoke again, a false
 * interruption, a disconnect); then its queued speech is dropped, lines sent for it are refused
 * (`turn-ended`), and its waits, sleeps and timers end. Pass the signal to `fetch` too.
 */
export interface Turn {
  /** The turn's number (1 for the user's first utterance). */
  readonly id: number;
  /** Aborts (reason: a {@link TurnEndedError}) when the turn is over. */
  readonly signal: AbortSignal;
  /** True once the turn is over. */
  readonly ended: boolean;
  /** `ctx.sleep` that rejects with a {@link TurnEndedError} when the turn ends first. */
  sleep(ms: number): Promise<void>;
  /** `ctx.after` cancelled when the turn ends. */
  after(ms: number, fn: () => void | Promise<void>): Timer;
  /** `ctx.waitFor` that rejects with a {@link TurnEndedError} when the turn ends first. */
  waitFor<T extends MessageType>(
    type: T | readonly T[],
    options?: WaitOptions<T>,
  ): Promise<Message<T>>;
}

/** A bot's logger; lines go to the runtime's log prefixed with the bot's name. */
export interface BotLogger {
  /** Detail for debugging. */
  debug(msg: string): void;
  /** Normal operation. */
  info(msg: string): void;
  /** Something unexpected the bot survived. */
  warn(msg: string): void;
  /** Something failed. */
  error(msg: string): void;
}

/**
 * Sends a command: `send(type, ...fields)`, plus typed builders for common commands.
 * Every call resolves once the host accepted the line, and rejects with a `RefusedError` (reason and
 * fix) when the ACL, the rate limit, the catalog or the guard refuses it; nothing reaches the wire then.
 */
export interface Send {
  /** `TYPE|f1|f2…`. Fields must be non-empty and free of `|`, CR and LF. */
  (type: MessageType, ...fields: (string | number)[]): Promise<SendResult>;
  /** `SYNTH_START|model|voice|text`: speak `text` (emits SYNTH_EVENT_START/STOP with a voice). */
  synthStart(model: string, voice: string, text: string): Promise<SendResult>;
  /** `SYNTH_STOP|model`: cut the model's speech. */
  synthStop(model: string): Promise<SendResult>;
  /** `MOTION_ADD|model|motion|file|part|repeat|smooth|reposition|priority`. */
  motionAdd(
    model: string,
    motion: string,
    file: string,
    options?: MotionOptions,
  ): Promise<SendResult>;
  /** `MOTION_DELETE|model|motion`. */
  motionDelete(model: string, motion: string): Promise<SendResult>;
  /** `MODEL_ADD|alias|file` (a model file in the content). */
  modelAdd(alias: string, file: string): Promise<SendResult>;
  /** `MODEL_DELETE|alias`. */
  modelDelete(alias: string): Promise<SendResult>;
  /** `TEXTAREA_SET|alias|text` (`_` shows as a space). */
  textareaSet(alias: string, text: string): Promise<SendResult>;
  /** `TIMER_START|name|seconds`: MMDAgent-EX's own timer (TIMER_EVENT_STOP when it ends). */
  timerStart(name: string, seconds: number): Promise<SendResult>;
  /** `TIMER_STOP|name`. */
  timerStop(name: string): Promise<SendResult>;
  /** `VALUE_SET|name|value`: a Plugin_Variables value. */
  valueSet(name: string, value: string | number): Promise<SendResult>;
  /** `STAGE|file` (a stage model or image). */
  stage(file: string): Promise<SendResult>;
  /**
   * Any `|`-separated catalog command, its fields named and typed by the catalog (the same names
   * as `ctx.args` of its echo). Optional fields left out are left out of the line; an optional
   * field may be left out only when no later one is given.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   await ctx.send.command("MOTION_ADD", {
   *     modelAlias: "mei",
   *     motionAlias: "nod",
   *     motionFile: "motion/nod.vmd",
   *     part: "PART",
   *   });
   *   await ctx.send.command("TIMER_START", { name: "idle", seconds: 30 });
   * });
   * ```
   */
  command<T extends LineCommand>(type: T, args: CommandFields<T>): Promise<SendResult>;
}

/**
 * The catalog commands {@link Send.command} builds: every command whose wire form is
 * `TYPE|field|…` (not the comma-separated `__AV_*` avatar lines, the binary `SND` audio packets
 * or the peer-disconnect marker).
 */
export type LineCommand = Exclude<CommandName, `__${string}` | `SND${string}`>;

/**
 * The named fields of catalog command `T` as {@link Send.command} takes them: as the catalog
 * names and types them, with numbers also accepted where any text is.
 */
export type CommandFields<T extends LineCommand> = {
  [K in keyof CommandArgsMap[T]]:
    | CommandArgsMap[T][K]
    | (string extends CommandArgsMap[T][K] ? number : never);
};

/** Optional fields of `MOTION_ADD`, left at MMDAgent-EX's defaults when omitted. */
export interface MotionOptions {
  /** `FULL` (default) or `PART`. */
  part?: "FULL" | "PART";
  /** `ONCE` (default) or `LOOP`. */
  repeat?: "ONCE" | "LOOP";
  /** `ON` (default) or `OFF`. */
  smooth?: "ON" | "OFF";
  /** `OFF` (default) or `ON`. */
  reposition?: "ON" | "OFF";
  /** Priority, 0 by default. */
  priority?: number;
}

/** What every handler and hook gets: the bot's state and the ways to act. */
export interface BotContext<S = Record<string, unknown>> {
  /** The bot's name in `bots/bots.yaml`. */
  readonly name: string;
  /** Per-bot state, created by `createBot({ state })`; kept across messages, lost on restart. */
  state: S;
  /** Sends a command (see {@link Send}). */
  readonly send: Send;
  /** Sends a line as given (`TYPE|ARGS`); the host still checks it like any other. */
  sendRaw(line: string): Promise<SendResult>;
  /**
   * Sets this bot's per-connection setup lines: sent now when connected and again first after every
   * reconnect. Replaces the previous list. Throws a `RefusedError` for more than 200 lines or a
   * line too big for one message to the host (64 KiB); the host checks each line like a send and
   * reports a refused one to `onError` (now, and again whenever a reconnect makes it fail).
   */
  setup(lines: readonly string[]): void;
  /** Runs `fn` once after `ms` milliseconds of host time. */
  after(ms: number, fn: () => void | Promise<void>): Timer;
  /** Runs `fn` every `ms` milliseconds of host time until cancelled. */
  every(ms: number, fn: () => void | Promise<void>): Timer;
  /** Resolves after `ms` milliseconds of host time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Waits for a later message of `type` (one of several when given an array) without blocking the
   * bot's other handlers. Always bounded: rejects with a `WaitTimeoutError` after `timeoutMs`.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   const stop = ctx.waitFor("SYNTH_EVENT_STOP", { match: (m) => m.args.modelAlias === "mei" });
   *   await ctx.send.synthStart("mei", "mei_voice_normal", "Hello");
   *   await stop;
   * });
   * ```
   */
  waitFor<T extends MessageType>(
    type: T | readonly T[],
    options?: WaitOptions<T>,
  ): Promise<Message<T>>;
  /**
   * Speaks `text` on the model's speech floor: one utterance at a time per model (the host
   * serialises every bot's speech), split at sentence boundaries when it is too long for
   * MMDAgent-EX's lip-sync line, made safe for the wire. Resolves with what happened, attributed to
   * this very utterance (never to another bot's speech); it does not reject for floor outcomes.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   const r = await ctx.speak("mei", "mei_voice_normal", "Hello!");
   *   if (r.status === "timed-out") ctx.log.warn(r.reason ?? "no voice?");
   * });
   * ```
   */
  speak(model: string, voice: string, text: string, options?: SpeakOptions): Promise<SpeechResult>;
  /**
   * Speaks a text stream (e.g. an LLM's tokens) sentence by sentence as each one completes
   * (Japanese and English: `。！？.!?`, line breaks; never inside `3.5` or brackets), in order on
   * the model's floor. Stops reading the stream when the speech is cut or its signal aborts.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   const prompt = [{ role: "user" as const, content: ctx.args.result ?? "" }];
   *   await ctx.speakStream("mei", "mei_voice_normal", ctx.llm.stream({ messages: prompt }), {
   *     signal: ctx.turn?.signal,
   *   });
   * });
   * ```
   */
  speakStream(
    model: string,
    voice: string,
    text: AsyncIterable<string> | Iterable<string>,
    options?: StreamOptions,
  ): Promise<SpeechResult>;
  /** The avatar's mirrored state: models, motions, who speaks what, timers, variables. */
  avatar(): Promise<AvatarSnapshot>;
  /**
   * The user's turn this handler runs in: set on handlers of the user's speech (`RECOG_EVENT_*`,
   * a typed console line); undefined in hooks and handlers of other messages.
   */
  readonly turn: Turn | undefined;
  /**
   * The bot's context outside any turn: what it sends or speaks is not cut when the turn ends.
   * For work that rightly outlives the turn, such as a timer's announcement minutes later.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   ctx.after(60_000, async () => {
   *     await ctx.background.speak("mei", "mei_voice_normal", "Time is up!");
   *   });
   * });
   * ```
   */
  readonly background: BotContext<S>;
  /**
   * Plays audio on the avatar as streamed `SND` audio with lip sync, through the speech floor
   * (one utterance at a time per avatar, stopped by barge-in): a WAV file in the bot's folder
   * (read by the host; any common rate, mono or stereo, 8/16/24/32-bit or float) or PCM chunks
   * (`options.format`, default 16 kHz mono s16). Resolves when the audio has played: `finished`,
   * `interrupted` (with `stoppedAtMs` and `by`), or `refused`/`failed` with a `reason`.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   const r = await ctx.play("mei", "hello.wav");
   *   if (r.status === "interrupted") ctx.log.info(`cut by ${r.by} at ${r.stoppedAtMs} ms`);
   * });
   * ```
   */
  play: Play;
  /** Host time in milliseconds (virtual in tests). */
  now(): number;
  /** The bot's logger. */
  readonly log: BotLogger;
  /** True while MMDAgent-EX is connected. */
  readonly connected: boolean;
  /**
   * The bot's own persistent key-value store, kept by the host across restarts, hot reloads and
   * runtime restarts (see `runtime/store/`), with a conversation-history helper.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   await ctx.store.set("user/name", "Ada");
   *   const name = await ctx.store.get<string>("user/name");
   * });
   * ```
   */
  readonly store: BotStore;
  /**
   * An OpenAI-compatible streaming chat completion as an async iterable of text (see
   * `runtime/bot/llm.ts`): base URL, key and model from the bot's env grants.
   */
  readonly llm: Llm;
}

/** The context of a message handler: the message plus everything a {@link BotContext} offers. */
export interface MessageContext<T extends string = string, S = Record<string, unknown>>
  extends BotContext<S>, Message<T> {
  /** Captures of the `hear` pattern that matched the line; null for other handlers. */
  readonly match: RegExpMatchArray | null;
}

/**
 * A message handler; may be async (it does not block the bot's later messages while it awaits).
 * It may return a send's promise (`(ctx) => ctx.sendRaw(…)`): that does not wait for the result.
 */
export type Handler<T extends string, S> = (
  ctx: MessageContext<T, S>,
) => void | PromiseLike<unknown>;

/**
 * A middleware: runs for every message the bot receives, in registration order with the handlers,
 * and decides whether the handlers registered after it run: `await next()` runs them (and resolves
 * once they have finished), not calling `next` claims the message. Use it for what many handlers
 * share (a check, a value put on `ctx`, timing around them).
 */
export type Middleware<S> = (
  ctx: MessageContext<string, S>,
  next: () => Promise<void>,
) => void | PromiseLike<unknown>;

/** A lifecycle hook (it may return a send's promise: that does not wait for the result). */
export type Hook<S> = (ctx: BotContext<S>) => void | PromiseLike<unknown>;

/** Called with an error a handler threw; the bot keeps running. */
export type ErrorHandler<S> = (error: unknown, ctx: BotContext<S>) => void | Promise<void>;

/** Options of {@link createBot}. */
export interface BotOptions<S> {
  /** Creates the bot's initial state (called once per process start). */
  state?: () => S;
  /** Also run handlers for MMDAgent-EX's echoes of this bot's own lines (default false). */
  ownEchoes?: boolean;
}

/** One registered handler, in registration order. */
export type Route<S> =
  | { kind: "type"; types: ReadonlySet<string>; fn: Handler<string, S> }
  | { kind: "hear"; re: RegExp; fn: Handler<string, S> }
  | { kind: "any"; fn: Handler<string, S> }
  | { kind: "use"; fn: Middleware<S> };

/** Definitions behind bots; kept outside the class so the public type shows none of it. */
const definitions = new WeakMap<object, BotDefinition<unknown>>();

/** Everything a bot module declared, read by the bot process. */
export interface BotDefinition<S> {
  routes: Route<S>[];
  hooks: {
    start: Hook<S>[];
    connected: Hook<S>[];
    disconnected: Hook<S>[];
    stop: Hook<S>[];
    error: ErrorHandler<S>[];
  };
  options: BotOptions<S>;
}

/**
 * A bot under construction: register handlers, then `export default bot`.
 * Handlers run in registration order for each message; messages reach a bot in arrival order.
 */
export class Bot<S = Record<string, unknown>> {
  #def: BotDefinition<S>;

  /** Prefer {@link createBot}. */
  constructor(options: BotOptions<S> = {}) {
    this.#def = {
      routes: [],
      hooks: { start: [], connected: [], disconnected: [], stop: [], error: [] },
      options,
    };
    definitions.set(this, this.#def as BotDefinition<unknown>);
  }

  /**
   * Handles messages of one type (or any of several), with typed named arguments.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * const bot = createBot();
   * bot.on("RECOG_EVENT_STOP", (ctx) =>
   *   // Fields are as the wire carried them: one may be missing.
   *   ctx.send.synthStart("mei", "mei_voice_normal", ctx.args.result ?? "?")
   * );
   * ```
   */
  on<T extends MessageType>(type: T | readonly T[], handler: Handler<T, S>): this {
    const types = new Set<string>(typeof type === "string" ? [type] : type);
    this.#def.routes.push({ kind: "type", types, fn: handler as Handler<string, S> });
    return this;
  }

  /**
   * Handles whole lines matching `pattern`; `ctx.match` holds the captures.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * const bot = createBot();
   * bot.hear(/^RECOG_EVENT_STOP\|.*weather/, (ctx) => ctx.send.synthStart("mei", "mei_voice_normal", "Sunny."));
   * ```
   */
  hear(pattern: RegExp, handler: Handler<string, S>): this {
    this.#def.routes.push({ kind: "hear", re: pattern, fn: handler });
    return this;
  }

  /**
   * Adds a middleware (see {@link Middleware}): the handlers registered after it run only when it
   * calls `next`.
   *
   * @example
   * ```ts
   * import { createBot } from "../../mod.ts";
   * const bot = createBot();
   * bot.use(async (ctx, next) => {
   *   if (ctx.isEcho) return; // claimed: no later handler sees echoes
   *   await next();
   * });
   * ```
   */
  use(middleware: Middleware<S>): this {
    this.#def.routes.push({ kind: "use", fn: middleware });
    return this;
  }

  /** Handles every message the bot receives (after the more specific handlers registered before). */
  onAny(handler: Handler<string, S>): this {
    this.#def.routes.push({ kind: "any", fn: handler });
    return this;
  }

  /** Runs once when the bot process starts (before any connection); register setup lines here. */
  onStart(hook: Hook<S>): this {
    this.#def.hooks.start.push(hook);
    return this;
  }

  /** Runs each time MMDAgent-EX connects (also right after start when already connected). */
  onConnected(hook: Hook<S>): this {
    this.#def.hooks.connected.push(hook);
    return this;
  }

  /** Runs each time the connection to MMDAgent-EX is lost. */
  onDisconnected(hook: Hook<S>): this {
    this.#def.hooks.disconnected.push(hook);
    return this;
  }

  /** Runs before the bot stops (shutdown, reload); bounded by the bot's handler budget. */
  onStop(hook: Hook<S>): this {
    this.#def.hooks.stop.push(hook);
    return this;
  }

  /** Called with errors thrown by handlers and timers; without one, they go to the log. */
  onError(handler: ErrorHandler<S>): this {
    this.#def.hooks.error.push(handler);
    return this;
  }
}

/**
 * Creates a bot. Export it as the module's default export.
 *
 * @example
 * ```ts
 * import { createBot } from "@mmdbot/mmdbot";
 *
 * export default createBot({ state: () => ({ heard: 0 }) })
 *   .on("RECOG_EVENT_STOP", async (ctx) => {
 *     ctx.state.heard++;
 *     await ctx.send.synthStart("mei", "mei_voice_normal", `You said ${ctx.args.result}`);
 *   });
 * ```
 */
export function createBot<S = Record<string, unknown>>(options: BotOptions<S> = {}): Bot<S> {
  return new Bot<S>(options);
}

/** The definition behind a module's default export, or undefined when it is not a bot. */
export function definitionOf(value: unknown): BotDefinition<unknown> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return definitions.get(value);
}

/**
 * The reason of a turn's aborted signal: the turn is over (the user spoke again, a false
 * interruption, a disconnect). A `fetch` given `ctx.turn.signal` rejects with it.
 *
 * @example
 * ```ts
 * import { createBot, TurnEndedError } from "@mmdbot/mmdbot";
 *
 * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
 *   try {
 *     await ctx.turn?.sleep(5000);
 *   } catch (e) {
 *     if (e instanceof TurnEndedError) ctx.log.info(`turn ${e.turn} ended by ${e.by}`);
 *   }
 * });
 * ```
 */
export class TurnEndedError extends MmdbotError {
  /** The turn that ended. */
  readonly turn: number;
  /** Why: `next-turn`, `false-interruption`, `disconnect`. */
  readonly by: string;
  /** Makes the error for turn `turn` ended `by`. */
  constructor(turn: number, by: string) {
    super(`turn ${turn} is over (${by})`);
    this.turn = turn;
    this.by = by;
  }
}

/**
 * Thrown by `waitFor` (and the waits built on it) when its time runs out. Named apart from the
 * `TimeoutError` DOMException that `AbortSignal.timeout` throws, so both can be told apart.
 *
 * @example
 * ```ts
 * import { createBot, WaitTimeoutError } from "@mmdbot/mmdbot";
 *
 * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
 *   try {
 *     await ctx.waitFor("KEY", { timeoutMs: 5000 });
 *   } catch (e) {
 *     if (e instanceof WaitTimeoutError) ctx.log.info(`gave up waiting for ${e.waitingFor}`);
 *   }
 * });
 * ```
 */
export class WaitTimeoutError extends MmdbotError {
  /** What was being waited for, e.g. `SYNTH_EVENT_STOP`. */
  readonly waitingFor: string;
  /** Makes the error for a wait on `waitingFor` that lasted `ms`. */
  constructor(waitingFor: string, ms: number) {
    super(`no ${waitingFor} within ${ms} ms`);
    this.waitingFor = waitingFor;
  }
}
