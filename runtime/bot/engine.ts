/**
 * The bot process's engine: composes the units of a bot (sends, timers, waits, contexts, routing,
 * error reports) and turns host messages into their calls.
 *
 * Ordering: handlers start in message order and, for one message, in registration order. A message
 * is acknowledged as soon as its handlers have returned or reached their first `await`, so a handler
 * awaiting `waitFor` never holds up the very message it waits for; waits are offered each inbound
 * message before any handler runs. Timers live in the host (its clock may be virtual).
 *
 * Each unit has its own file and in-process tests: `sends.ts` (send tickets, results),
 * `timers.ts`, `waits.ts`, `context.ts` (where contexts are built, and how a feature adds to
 * them), `router.ts` (routes and middleware), `send_builders.ts`, `report.ts`; speech and turns are the
 * `speech.ts` feature.
 */
import { llmFeature } from "./llm.ts";
import { speechFeature } from "./speech.ts";
import { storeFeature } from "./store.ts";
import { createPlayFeature } from "./play.ts";
import { type Refusal, RefusedError } from "../wire/types.ts";
import {
  type BotToHost,
  type HostToBot,
  IPC_MAX_SETUP_LINES,
  IPC_MAX_TEXT,
  WIRE_LINE_CEILING,
} from "./protocol.ts";
import type { BotContext, BotDefinition, BotLogger, SendResult } from "./define.ts";
import {
  type BotFeature,
  createBaseContext,
  type HostMessage,
  messageContext,
  messageOf,
} from "./context.ts";
import { clip, reportOf } from "./report.ts";
import { route } from "./router.ts";
import { createSend } from "./send_builders.ts";
import { refusedError, Sends } from "./sends.ts";
import { DEFAULT_TIMER_BUDGET, Timers } from "./timers.ts";
import { Waits } from "./waits.ts";

export { clip, MAX_REPORT_CHARS, reportOf } from "./report.ts";
export { DEFAULT_WAIT_MS } from "./waits.ts";
export type { BotFeature } from "./context.ts";

/** The engine of one bot process. */
export interface Engine {
  /** Feeds one host message; returns when it may take the next one. */
  handle(msg: HostToBot): void;
}

/** Length of `text` once JSON-escaped in an IPC message (counted exactly only when it matters). */
export function ipcLength(text: string): number {
  return text.length * 6 <= IPC_MAX_TEXT ? text.length : JSON.stringify(text).length - 2;
}

/**
 * The refusal of a text too big for one IPC message: the host could not even read the request,
 * so without this the send would never be answered.
 */
export function tooLongForIpc(what: string, size: number): Refusal {
  return {
    code: "too-long",
    reason: `${what} is ${size} characters (JSON-escaped), more than the ${IPC_MAX_TEXT} one ` +
      `message from a bot to the host may carry; MMDAgent-EX takes at most ` +
      `${WIRE_LINE_CEILING} bytes per line anyway`,
    fix: `shorten it to the outbound line limit (at most ${WIRE_LINE_CEILING} bytes), or split ` +
      "it into several messages",
  };
}

/**
 * At most this many refusals of unlooked-at local sends are logged per turn; the rest are counted
 * in one summary line (the host rate-limits the bot's log on top).
 */
const LOCAL_REFUSALS_LOGGED = 3;

/** How the engine reaches the host. */
export interface EngineIO {
  /** Queues one message to the host. */
  post(msg: BotToHost): void;
  /** Number of the batch not yet written (see `SendsIO.batch`). */
  batch(): number;
}

/** What a feature gets to work with (see `context.ts`). */
export interface FeatureIO {
  name: string;
  post(msg: BotToHost): void;
  now(): number;
  sends: Sends;
  /**
   * Sends one line as `ctx.sendRaw` does (the IPC size check included); `turn`: the user's turn
   * the line belongs to, refused by the host once that turn is over.
   */
  sendLine(line: string, turn?: number): Promise<SendResult>;
  timers: Timers;
  waits: Waits;
  /** Reports an error of user code (log and `onError`). */
  reportError(where: string, error: unknown): void;
}

/**
 * Bot-side features, each adding to contexts and handling its own host messages; one line each
 * (see `context.ts` for the shape).
 */
export const FEATURES: readonly ((io: FeatureIO) => BotFeature)[] = [
  speechFeature,
  storeFeature,
  llmFeature,
  createPlayFeature,
];

/** Options of {@link createEngine}. */
export interface EngineOptions {
  name: string;
  def: BotDefinition<unknown>;
  io: EngineIO;
  /** `real`: `ctx.now()` reads the wall clock; `virtual`: the host time of the last event. */
  clock: "real" | "virtual";
  /** Pending timers allowed (the manifest's `budgets.timers`). */
  timerBudget?: number;
  /** Features to install (default {@link FEATURES}). */
  features?: readonly ((io: FeatureIO) => BotFeature)[];
}

/** Creates the engine for a loaded bot definition. */
export function createEngine(o: EngineOptions): Engine {
  const { name, def, io } = o;
  const post = io.post;
  let hostNow = 0;
  let connected = false;
  let localLogged = 0;
  let localUnlogged = 0;
  // The base context, set once its parts exist; error hooks (which need it) run only after that.
  const self: { base?: BotContext<unknown> } = {};

  const now = () => o.clock === "real" ? Date.now() : hostNow;

  const runErrorHooks = (error: unknown) => {
    for (const h of def.hooks.error) {
      try {
        const r = h(error, self.base!);
        if (r instanceof Promise) {
          r.catch((e) => post({ t: "error", where: "onError", error: reportOf(e) }));
        }
      } catch (e) {
        post({ t: "error", where: "onError", error: reportOf(e) });
      }
    }
  };
  const reportError = (where: string, error: unknown) => {
    post({ t: "error", where: clip(where, 190), error: reportOf(error) });
    runErrorHooks(error);
  };
  /** Calls user code; async failures are reported when they happen. */
  const call = (where: string, fn: () => unknown): Promise<unknown> | undefined => {
    try {
      // A send's ticket returned by a one-line handler is not a Promise, so it is not looked at
      // here (that would cost a round trip per line): its refusal reaches onError on its own.
      const r = fn();
      if (r instanceof Promise) return r.catch((e) => reportError(where, e));
    } catch (e) {
      reportError(where, e);
    }
    return undefined;
  };

  const summarizeLocal = () => {
    if (localUnlogged > 0) {
      post({
        t: "log",
        level: "warn",
        msg: `refused ${localUnlogged} more sends nobody awaited in the same turn`,
      });
    }
    localLogged = 0;
    localUnlogged = 0;
  };
  /**
   * A refusal of a send no code looked at. The host logged its own refusals (rate-limited); local
   * ones only the bot knows, so it logs them, a few per turn. `onError` hears of each.
   */
  const unobservedRefusal = (refusal: Refusal, local: boolean) => {
    if (local && refusal.code !== "too-long") {
      if (localLogged < LOCAL_REFUSALS_LOGGED) {
        if (localLogged++ === 0) queueMicrotask(() => setTimeout(summarizeLocal, 0));
        post({
          t: "log",
          level: "warn",
          msg: clip(`refused a send nobody awaited (${refusal.code}): ${refusal.reason}`),
        });
      } else localUnlogged++;
    }
    if (def.hooks.error.length > 0) runErrorHooks(refusedError(refusal));
  };

  const sends = new Sends({ post, batch: io.batch, unobserved: unobservedRefusal });
  const timers = new Timers(post, o.timerBudget ?? DEFAULT_TIMER_BUDGET);
  const waits = new Waits(timers);

  const sendLine = (line: string, turn?: number): Promise<SendResult> => {
    const size = ipcLength(line);
    if (size > IPC_MAX_TEXT) {
      // Refused here: the host would not even read such a request, let alone answer it.
      const refusal = tooLongForIpc("line", size);
      post({
        t: "log",
        level: "warn",
        msg: `refused a line before sending it (${refusal.code}): ${refusal.reason}; ` +
          `line: ${line.slice(0, 60)}…`,
      });
      return sends.refuse(refusal);
    }
    return sends.send(line, turn);
  };
  const send = createSend(sendLine, (r) => sends.refuse(r));

  const log: BotLogger = {
    debug: (msg) => post({ t: "log", level: "debug", msg: clip(String(msg)) }),
    info: (msg) => post({ t: "log", level: "info", msg: clip(String(msg)) }),
    warn: (msg) => post({ t: "log", level: "warn", msg: clip(String(msg)) }),
    error: (msg) => post({ t: "log", level: "error", msg: clip(String(msg)) }),
  };

  /** Checks setup lines against what one IPC message may carry (the host checks the rest). */
  const setup = (lines: readonly string[]) => {
    const all = [...lines].map(String);
    if (all.length > IPC_MAX_SETUP_LINES) {
      throw new RefusedError({
        code: "too-many",
        reason: `${all.length} setup lines; at most ${IPC_MAX_SETUP_LINES} may be set`,
        fix: "send the rest from onConnected, or fewer, longer-lived lines",
      });
    }
    all.forEach((l, i) => {
      const size = ipcLength(l);
      if (size > IPC_MAX_TEXT) throw new RefusedError(tooLongForIpc(`setup line ${i + 1}`, size));
    });
    post({ t: "setup", lines: all });
  };

  const features = (o.features ?? FEATURES).map((f) =>
    f({ name, post, now, sends, sendLine, timers, waits, reportError })
  );
  const receivers = new Map<string, (msg: HostToBot) => void>();
  for (const f of features) {
    for (const [t, fn] of Object.entries(f.receive ?? {})) if (fn) receivers.set(t, fn);
  }

  let state: unknown = def.options.state ? def.options.state() : {};
  const ctxBase = createBaseContext({
    name,
    get state() {
      return state;
    },
    set state(v) {
      state = v;
    },
    send,
    sendRaw: (line) => sendLine(String(line)),
    setup,
    after: (ms, fn) => timers.timer(ms, fn, false),
    every: (ms, fn) => timers.timer(ms, fn, true),
    sleep: (ms, signal) => timers.sleep(ms, signal),
    waitFor: (type, options) => waits.waitFor(type, options),
    now,
    log,
    get connected() {
      return connected;
    },
  }, features);
  self.base = ctxBase;

  const dispatch = (m: HostMessage) => {
    const message = messageOf(m);
    waits.offer(message);
    if (m.echo?.by === name && !def.options.ownEchoes) return;
    let ctx: ReturnType<typeof messageContext> | undefined;
    const where = `handler for ${m.type}`;
    route(
      def.routes,
      m.type,
      m.line,
      () => (ctx ??= messageContext(ctxBase, message, m, features)),
      (fn) => call(where, fn),
    );
  };

  const runHooks = (where: string, hooks: readonly ((c: BotContext<unknown>) => unknown)[]) =>
    hooks.map((h) => call(where, () => h(ctxBase))).filter((p) => p !== undefined);

  /** Handles one message; returns a promise only when later messages must wait for it. */
  const process = (msg: HostToBot): Promise<unknown> | undefined => {
    switch (msg.t) {
      case "message":
        hostNow = msg.now;
        dispatch(msg);
        post({ t: "ack", id: msg.id });
        return;
      case "fire": {
        hostNow = msg.now;
        const entry = timers.fire(msg.timer);
        if (entry) call(entry.where, entry.fn);
        post({ t: "ack", id: msg.id });
        return;
      }
      case "start": {
        hostNow = msg.now;
        // Start hooks finish before any message is handled (e.g. loading the bot's data).
        const pending = runHooks("onStart", def.hooks.start);
        post({ t: "ack", id: msg.id });
        return pending.length > 0 ? Promise.all(pending) : undefined;
      }
      case "connected":
        hostNow = msg.now;
        connected = true;
        runHooks("onConnected", def.hooks.connected);
        post({ t: "ack", id: msg.id });
        return;
      case "disconnected":
        hostNow = msg.now;
        connected = false;
        runHooks("onDisconnected", def.hooks.disconnected);
        post({ t: "ack", id: msg.id });
        return;
      case "setup-refused":
        // The host logged it already; the bot's own error hooks still hear of it.
        hostNow = msg.now;
        runErrorHooks(refusedError(msg.refusal));
        post({ t: "ack", id: msg.id });
        return;
      case "stop":
        hostNow = msg.now;
        return Promise.all(runHooks("onStop", def.hooks.stop)).then(() => post({ t: "stopped" }));
      default:
        return;
    }
  };

  // Messages run synchronously as they arrive (no promise hop per message); while start or stop
  // hooks are pending, later messages wait here in order (the host's inbox window bounds them).
  let backlog: HostToBot[] | undefined;
  const run = (msg: HostToBot) => {
    const wait = process(msg);
    if (wait) {
      backlog = [];
      wait.then(drain, drain);
    }
  };
  const drain = () => {
    const queued = backlog!;
    backlog = undefined;
    while (queued.length > 0 && backlog === undefined) run(queued.shift()!);
    if (backlog !== undefined) (backlog as HostToBot[]).unshift(...queued);
  };

  return {
    handle(msg) {
      switch (msg.t) {
        case "sent":
          sends.answer(msg);
          return;
        case "ping":
          // Answered at once: a ping proves the event loop is free, whatever the backlog holds.
          post({ t: "ack", id: msg.id });
          return;
        case "timer-refused": {
          const entry = timers.refuse(msg.timer);
          const error = refusedError(msg.refusal);
          if (entry?.refused) entry.refused(error);
          else if (entry) reportError(entry.where, error);
          return;
        }
      }
      const receiver = receivers.get(msg.t);
      if (receiver) return receiver(msg);
      if (backlog) backlog.push(msg);
      else run(msg);
    },
  };
}
