/**
 * The bot process's dispatcher: turns host messages into handler calls, and handler actions (send,
 * timers, waits, logs) into messages to the host.
 *
 * Ordering: handlers start in message order and, for one message, in registration order. A message
 * is acknowledged as soon as its handlers have returned or reached their first `await`, so a handler
 * awaiting `waitFor` never holds up the very message it waits for; waits are resolved from the
 * inbound stream before any handler runs. Timers live in the host (its clock may be virtual).
 */
import { type Refusal, RefusedError } from "../wire/types.ts";
import {
  type BotToHost,
  type HostToBot,
  IPC_MAX_SETUP_LINES,
  IPC_MAX_TEXT,
  WIRE_LINE_CEILING,
} from "./protocol.ts";
import { clip, reportOf } from "./report.ts";
import { refusedError, Sends } from "./sends.ts";
import {
  type BotContext,
  type BotDefinition,
  type BotLogger,
  type Message,
  type MessageContext,
  type MotionOptions,
  type Send,
  type SendResult,
  type SpeakOptions,
  TimeoutError,
  type Timer,
  type WaitOptions,
} from "./define.ts";

/** Default bound of `waitFor` when the author gives none. */
export const DEFAULT_WAIT_MS = 10_000;

type HostMessage = Extract<HostToBot, { t: "message" }>;

interface Waiter {
  types: ReadonlySet<string>;
  match?: WaitOptions<string>["match"];
  resolve(m: Message): void;
  reject(e: unknown): void;
  cleanup(): void;
}

interface TimerEntry {
  fn: () => void | Promise<void>;
  repeat: boolean;
  where: string;
}

/** The engine of one bot process. */
export interface Engine {
  /** Feeds one host message; returns when it may take the next one. */
  handle(msg: HostToBot): void;
}

export { clip, MAX_REPORT_CHARS, reportOf } from "./report.ts";

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
  /** Number of the batch not yet written (see {@link SendsIO.batch}). */
  batch(): number;
}

/**
 * Creates the engine for a loaded bot definition; `io.post` queues one message to the host, and
 * `io.batch` tells which posted messages are still unwritten (so they may still be changed).
 */
export function createEngine(
  name: string,
  def: BotDefinition<unknown>,
  io: EngineIO,
  clockMode: "real" | "virtual",
): Engine {
  const post = io.post;
  let hostNow = 0;
  let connected = false;
  let nextTimer = 1;
  const timers = new Map<number, TimerEntry>();
  let waiters: Waiter[] = [];
  let localLogged = 0;
  let localUnlogged = 0;

  const now = () => clockMode === "real" ? Date.now() : hostNow;

  const reportError = (where: string, error: unknown) => {
    post({ t: "error", where: clip(where, 190), error: reportOf(error) });
    runErrorHooks(error);
  };

  const runErrorHooks = (error: unknown) => {
    for (const h of def.hooks.error) {
      try {
        const r = h(error, base);
        if (r instanceof Promise) {
          r.catch((e) => post({ t: "error", where: "onError", error: reportOf(e) }));
        }
      } catch (e) {
        post({ t: "error", where: "onError", error: reportOf(e) });
      }
    }
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

  const sends = new Sends({ post, batch: io.batch, unobserved: unobservedRefusal });

  /** Calls user code; async failures are reported when they happen. */
  const call = (where: string, fn: () => unknown): Promise<unknown> | undefined => {
    try {
      // A send's ticket returned by a one-line handler is not a Promise, so it is not looked at
      // here (that would cost a round trip per line): its refusal reaches onError on its own.
      const r = fn();
      if (r instanceof Promise) {
        return r.catch((e) => reportError(where, e));
      }
    } catch (e) {
      reportError(where, e);
    }
    return undefined;
  };

  const sendLine = (line: string): Promise<SendResult> => {
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
    return sends.send(line);
  };

  const send = ((type: string, ...fields: (string | number)[]) => {
    const bad = checkFields(type, fields);
    if (bad) return sends.refuse(bad);
    return sendLine(fields.length === 0 ? type : `${type}|${fields.join("|")}`);
  }) as Send;
  send.synthStart = (model, voice, text) => send("SYNTH_START", model, voice, text);
  send.synthStop = (model) => send("SYNTH_STOP", model);
  send.motionAdd = (model, motion, file, o?: MotionOptions) =>
    send("MOTION_ADD", model, motion, file, ...motionFields(o));
  send.motionDelete = (model, motion) => send("MOTION_DELETE", model, motion);
  send.modelAdd = (alias, file) => send("MODEL_ADD", alias, file);
  send.modelDelete = (alias) => send("MODEL_DELETE", alias);
  send.textareaSet = (alias, text) => send("TEXTAREA_SET", alias, text);
  send.timerStart = (timer, seconds) => send("TIMER_START", timer, seconds);
  send.timerStop = (timer) => send("TIMER_STOP", timer);
  send.valueSet = (key, value) => send("VALUE_SET", key, value);
  send.stage = (file) => send("STAGE", file);

  const addTimer = (ms: number, entry: TimerEntry): number => {
    const id = nextTimer++;
    timers.set(id, entry);
    post({ t: "timer-set", timer: id, ms: Math.max(0, Number(ms) || 0), repeat: entry.repeat });
    return id;
  };
  const clearTimer = (id: number) => {
    if (timers.delete(id)) post({ t: "timer-clear", timer: id });
  };
  const userTimer = (ms: number, fn: () => void | Promise<void>, repeat: boolean): Timer => {
    const id = addTimer(ms, { fn, repeat, where: repeat ? "every" : "after" });
    return { cancel: () => clearTimer(id) };
  };

  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimer(id);
        reject(signal!.reason);
      };
      const id = addTimer(ms, {
        fn: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        repeat: false,
        where: "sleep",
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });

  const waitFor = <T extends string>(
    type: T | readonly T[],
    options: WaitOptions<T> = {},
  ): Promise<Message<T>> =>
    new Promise((resolve, reject) => {
      const { signal, match } = options;
      const ms = options.timeoutMs ?? DEFAULT_WAIT_MS;
      const types = new Set<string>(typeof type === "string" ? [type] : type);
      const label = [...types].join(" or ");
      if (signal?.aborted) return reject(signal.reason);
      const waiter: Waiter = {
        types,
        match: match as Waiter["match"],
        resolve: (m) => {
          waiter.cleanup();
          resolve(m as Message<T>);
        },
        reject: (e) => {
          waiter.cleanup();
          reject(e);
        },
        cleanup: () => {
          waiters = waiters.filter((w) => w !== waiter);
          clearTimer(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      const onAbort = () => waiter.reject(signal!.reason);
      const timer = addTimer(ms, {
        fn: () => waiter.reject(new TimeoutError(label, ms)),
        repeat: false,
        where: "waitFor",
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.push(waiter);
    });

  const speak = async (
    model: string,
    voice: string,
    text: string,
    options: SpeakOptions = {},
  ): Promise<boolean> => {
    const ms = options.timeoutMs ?? Math.min(60_000, 5_000 + 150 * String(text).length);
    const cancel = new AbortController();
    // Registered before sending, so an end of speech that comes fast cannot slip past.
    const done = waitFor("SYNTH_EVENT_STOP", {
      match: (m) => m.fields[0] === model,
      timeoutMs: ms,
      signal: cancel.signal,
    });
    try {
      await send.synthStart(model, voice, text);
    } catch (e) {
      cancel.abort();
      done.catch(() => {});
      throw e;
    }
    try {
      await done;
      return true;
    } catch (e) {
      if (e instanceof TimeoutError) return false;
      throw e;
    }
  };

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

  let state: unknown = def.options.state ? def.options.state() : {};
  const base: BotContext<unknown> = {
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
    after: (ms, fn) => userTimer(ms, fn, false),
    every: (ms, fn) => userTimer(ms, fn, true),
    sleep,
    waitFor,
    speak,
    now,
    log,
    get connected() {
      return connected;
    },
  };

  const toMessage = (m: HostMessage): Message => ({
    line: m.line,
    type: m.type,
    fields: m.fields,
    args: m.args as Message["args"],
    isEcho: m.echo !== null,
    echoOf: m.echo?.by,
    connection: m.connection,
  });

  const dispatch = (m: HostMessage) => {
    const message = toMessage(m);
    for (const w of [...waiters]) {
      if (!w.types.has(m.type)) continue;
      let ok = true;
      if (w.match instanceof RegExp) ok = w.match.test(m.line);
      else if (w.match) {
        try {
          ok = w.match(message);
        } catch (e) {
          w.reject(e);
          continue;
        }
      }
      if (ok) w.resolve(message);
    }
    if (m.echo?.by === name && !def.options.ownEchoes) return;
    let ctx: MessageContext | undefined;
    for (const route of def.routes) {
      let match: RegExpMatchArray | null = null;
      if (route.kind === "type") {
        if (!route.types.has(m.type)) continue;
      } else if (route.kind === "hear") {
        route.re.lastIndex = 0;
        match = m.line.match(route.re);
        if (!match) continue;
      }
      ctx ??= Object.assign(Object.create(base), message, { match: null }) as MessageContext;
      const routeCtx = match ? Object.assign(Object.create(ctx), { match }) : ctx;
      call(`handler for ${m.type}`, () => route.fn(routeCtx));
    }
  };

  const runHooks = (where: string, hooks: readonly ((c: BotContext<unknown>) => unknown)[]) =>
    hooks.map((h) => call(where, () => h(base))).filter((p) => p !== undefined);

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
        const entry = timers.get(msg.timer);
        if (entry) {
          if (!entry.repeat) timers.delete(msg.timer);
          call(entry.where, entry.fn);
        }
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
      case "ping":
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
  // hooks are pending, later messages wait here in order.
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
      if (msg.t === "sent") {
        sends.answer(msg);
        return;
      }
      if (msg.t === "ping") {
        // Answered at once: a ping proves the event loop is free, whatever the backlog holds.
        post({ t: "ack", id: msg.id });
        return;
      }
      if (backlog) backlog.push(msg);
      else run(msg);
    },
  };
}

function motionFields(o: MotionOptions | undefined): (string | number)[] {
  if (!o) return [];
  const all = [
    o.part ?? "FULL",
    o.repeat ?? "ONCE",
    o.smooth ?? "ON",
    o.reposition ?? "OFF",
    o.priority ?? 0,
  ];
  // Trailing defaults are left out, so the line stays as short as MMDAgent-EX allows.
  const given = [o.part, o.repeat, o.smooth, o.reposition, o.priority];
  let last = -1;
  given.forEach((v, i) => {
    if (v !== undefined) last = i;
  });
  return all.slice(0, last + 1);
}

/** Refuses fields MMDAgent-EX would silently reshape, before the line leaves the bot. */
function checkFields(type: string, fields: readonly (string | number)[]): Refusal | undefined {
  if (typeof type !== "string" || type === "" || /[|\r\n]/.test(type)) {
    return {
      code: "bad-type",
      reason: `message type ${JSON.stringify(type)} is empty or contains "|", CR or LF`,
      fix: 'pass the type alone, e.g. send("SYNTH_START", model, voice, text)',
    };
  }
  for (let i = 0; i < fields.length; i++) {
    const f = String(fields[i]);
    if (f === "") {
      return {
        code: "empty-field",
        reason: `field ${
          i + 1
        } of ${type} is empty; MMDAgent-EX drops empty fields and shifts the rest`,
        fix: "give it a value (a single space for an empty text)",
      };
    }
    if (/[|\r\n\0]/.test(f)) {
      return {
        code: "field-separator",
        reason: `field ${i + 1} of ${type} contains "|", CR, LF or NUL, which would split the line`,
        fix: 'remove or replace those characters (e.g. text.replace(/[|\\r\\n\\0]/g, " "))',
      };
    }
  }
  return undefined;
}
