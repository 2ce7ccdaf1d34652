/**
 * One running version of one bot: its process, its inbox, its timers on the host clock, its
 * watchdog, and the translation between IPC messages and the host's services (outbound, setup).
 * A reload starts a second instance beside the first and swaps only once the new one is ready.
 */
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { BotSpec } from "../manifest/types.ts";
import type { LaunchPlan } from "../sandbox/types.ts";
import {
  type BotToHost,
  type ErrorReport,
  type HostToBot,
  IPC_MAX_TEXT,
  WIRE_LINE_CEILING,
} from "../bot/protocol.ts";
import type { Refusal } from "../wire/types.ts";
import { ACL_CHECKED_TYPES } from "../catalog/dangerous.ts";
import { createWatchdog } from "./budget.ts";
import { formatBotError } from "./load_error.ts";
import { createOutputLog } from "./output_log.ts";
import { Inbox } from "./inbox.ts";
import { type SendReply, SendResults } from "./send_results.ts";
import { createBotTimers, DEFAULT_TIMER_BUDGET } from "./timers.ts";
import type { RssSampler } from "./rss_watch.ts";
import { createLogThrottle } from "../log/throttle.ts";
import { type BotProcess, MAX_PENDING_INPUT, type ProcessHandlers, spawnBot } from "./process.ts";

export { INBOX_CAPACITY, INBOX_WINDOW } from "./inbox.ts";
/** How long a bot process may take to load before it counts as failed to load. */
export const READY_TIMEOUT_MS = 30_000;
export { SEND_RESULTS_WINDOW as MAX_UNANSWERED_SENDS } from "./send_results.ts";
export type { SendReply } from "./send_results.ts";

/** What an instance needs from the host. */
export interface InstanceDeps {
  spec: BotSpec;
  plan: LaunchPlan;
  clock: Clock;
  clockMode: "real" | "virtual";
  log: Logger;
  /** A fresh id for a message that runs bot code (ids are global, so one JSON serves all bots). */
  nextId(): number;
  /**
   * Checks and sends a line for this bot. `turn`: the turn of the handler that sent it;
   * `knownEnded`: the bot had already acknowledged that turn's end when it sent the line (a line
   * sent before the bot heard of it is only pipelined, not late).
   */
  send(line: string, turn?: number, knownEnded?: boolean): Promise<SendReply>;
  /** The bot replaced its per-connection setup lines. */
  setup(lines: string[]): void;
  /** The process ended without being asked to (crash, OOM, watchdog kill). */
  onExit(reason: string): void;
  /** A handler error, already formatted with file:line. */
  onError(text: string): void;
  /**
   * A message of a feature (speech, store, audio…) the instance does not handle itself; answer
   * with {@link Instance.post}. Validated by `botToHostSchema` like every other message.
   */
  onFeature?(msg: BotToHost): void;
  /**
   * What the host refused or left out of this bot's so far, as one growing count (lines refused
   * for its rate limit, handler errors left out of the log): while it grows, the bot's output is
   * read at a slower pace (see `STRAINED_PAUSE_FACTOR` in process.ts).
   */
  strain?(): number;
  /**
   * When the bot's rate limit is spent (a send now would be refused), counts and returns that
   * refusal; otherwise counts nothing and returns undefined. The instance then refuses a send
   * line without parsing it (see `refuseEarly` in instance.ts).
   */
  refuseEarly?(): Refusal | undefined;
  /**
   * When a handler error now would be left out of the log (its window's budget spent), counts it
   * as left out and returns true; the instance then counts the error without parsing it.
   */
  errorLeftOut?(): boolean;
  /** Watches the process's resident memory against `budgets.rss_mb` (none: only heap_mb applies). */
  rss?: RssSampler;
  /** Starts the process (default: {@link spawnBot}); in-process tests pass a fake. */
  spawn?(plan: LaunchPlan, handlers: ProcessHandlers): BotProcess;
}

/**
 * The bot's speech requests (conversation, #14), reaching the host through `onFeature` and
 * answered with `spoken` / `avatar` through {@link Instance.post}.
 */
export type SpeechRequest = Extract<
  BotToHost,
  { t: "speak" | "stream" | "speak-cancel" | "avatar-get" }
>;

/** Outcome of loading. */
export type LoadResult = { ok: true } | { ok: false; error: string };

/** A running bot process with its bookkeeping. */
export interface Instance {
  readonly pid: number;
  /** Resolves when the module loaded (`ready`) or failed to. */
  readonly loaded: Promise<LoadResult>;
  /** Queues an inbound message (already serialized with `id`). */
  deliver(json: string, id: number): void;
  /** Runs a lifecycle hook in the bot (`start`, `connected`, `disconnected`). */
  lifecycle(kind: "start" | "connected" | "disconnected", connection?: string): void;
  /** Writes a feature's host → bot message (batched with the rest; dropped once the bot is gone). */
  post(msg: HostToBot): void;
  /**
   * Tells the bot that `turn` is over (conversation, #14): its signal aborts, which runs the bot's
   * abort listeners, so it is watched and acknowledged like a hook.
   */
  turnEnded(turn: number, by: string): void;
  /** Tells the bot one of its setup lines was refused (its `onError` hooks run). */
  setupRefused(line: string, refusal: Refusal): void;
  /** Asks the bot to run its stop hooks, then ends the process (bounded by the handler budget). */
  stop(): Promise<void>;
  /** Kills the process now. */
  kill(reason: string): void;
  /** Resolves when the process is gone. */
  readonly exited: Promise<unknown>;
  /** Counters for `status`. */
  stats(): {
    dropped: number;
    errors: number;
    outstanding: number;
    timers: number;
    /** Resident memory of the process tree at the last sample (undefined without /proc). */
    rssMb?: number;
    /** `timer-set`s refused for `budgets.timers`. */
    timersRefused: number;
    /** Periods of repeating timers folded into a later firing because the bot was behind. */
    timerFiringsCoalesced: number;
    /** Output lines and `ctx.log` records left out of the log by the output limit. */
    suppressedOutput: number;
    /** Lines shaped like IPC messages but too big to be one, never acted on. */
    oversizedIpc: number;
    /** Times the host paused reading the bot's output because it was over a bound. */
    readPauses: number;
  };
  /**
   * Round-trips a ping through the process: resolves once the bot has read everything written
   * before it and run the microtasks that work queued (or once the process is gone). The test kit
   * uses it to wait until a bot is quiet.
   */
  ping(): Promise<void>;
}

/** Starts a bot process and returns its instance. */
export function startInstance(d: InstanceDeps): Instance {
  const { spec, clock } = d;
  const watchdog = createWatchdog(spec.budgets.handlerMs);
  const output = createOutputLog(d.log, clock);
  const warnings = createLogThrottle(d.log, clock, { perWindow: 1, windowMs: 10_000 });
  const timerBudget = spec.budgets.timers ?? DEFAULT_TIMER_BUDGET;
  const timers = createBotTimers({
    clock,
    budget: timerBudget,
    fire: (timer) => {
      const id = d.nextId();
      watchdog.sent(id);
      write({ t: "fire", id, now: clock.now(), timer });
      return id;
    },
  });
  let errors = 0;
  let oversizedIpc = 0;
  let state: "loading" | "ready" | "stopping" | "gone" = "loading";
  let killReason: string | undefined;
  let intentional = false;
  let resolveLoaded!: (r: LoadResult) => void;
  const loaded = new Promise<LoadResult>((r) => (resolveLoaded = r));
  let resolveStopped: (() => void) | undefined;
  const recentOutput: string[] = [];

  const write = (msg: HostToBot) => proc.write(JSON.stringify(msg));

  // Which send results go back to the bot (constant memory; see send_results.ts).
  const results = new SendResults();
  // Pings asked for by `ping()`, resolved by their ack (or the process's end).
  const pings = new Map<number, () => void>();

  // The inbox writes what the window allows; a message written counts for the watchdog.
  const inbox = new Inbox((json, id) => {
    watchdog.sent(id);
    proc.write(json);
  }, (dropped) => {
    warnings.log(
      "inbox-full",
      "warn",
      `inbox full: ${dropped} messages dropped so far (the bot answers slower than they come)`,
      {
        bot: spec.name,
        fix: "answer faster (await less in handlers), or filter what it gets with receive: in " +
          "bots/bots.yaml",
      },
    );
  });

  /**
   * Writes a send's answer. Refusals of consecutive requests for the same reason (a flood past
   * the rate limit) go out as one message covering the range, written at the end of the turn:
   * answering 100k refused sends one by one cost the host a JSON line each and filled the bot's
   * pipe with megabytes it had to parse.
   */
  let refusedRun: { req: number; to: number; refusal: Refusal } | undefined;
  const flushRefusals = () => {
    const run = refusedRun;
    if (!run) return;
    refusedRun = undefined;
    write(
      run.to > run.req
        ? { t: "sent", req: run.req, ok: false, refusal: run.refusal, to: run.to }
        : { t: "sent", req: run.req, ok: false, refusal: run.refusal },
    );
  };
  const answerSend = (req: number, r: SendReply) => {
    if (!r.ok) {
      const run = refusedRun;
      if (
        run && req === run.to + 1 && run.refusal.code === r.refusal.code &&
        run.refusal.reason === r.refusal.reason
      ) {
        run.to = req;
        return;
      }
      flushRefusals();
      refusedRun = { req, to: req, refusal: r.refusal };
      queueMicrotask(flushRefusals);
      return;
    }
    flushRefusals(); // answers keep their order
    write(answerOf(req, r));
  };

  // Turn ends written to the bot, by message id, and the latest one it has acknowledged: a line
  // of a turn the bot already knew was over is late by its own doing (see `InstanceDeps.send`).
  const turnEnds = new Map<number, number>();
  let turnEndAcked = 0;

  const onMessage = (msg: BotToHost) => {
    switch (msg.t) {
      case "ready":
        if (state !== "loading") return;
        state = "ready";
        results.hearRefusals(msg.errorHooks !== false);
        resolveLoaded({ ok: true });
        return;
      case "load-error":
        if (state !== "loading") return;
        resolveLoaded({ ok: false, error: formatBotError(msg.error, spec.dir, spec.module) });
        return;
      case "ack": {
        const ended = turnEnds.get(msg.id);
        if (ended !== undefined) {
          turnEnds.delete(msg.id);
          if (ended > turnEndAcked) turnEndAcked = ended;
        }
        watchdog.acked(msg.id);
        timers.acked(msg.id);
        pings.get(msg.id)?.();
        pings.delete(msg.id);
        // Only inbox messages count against the window; lifecycle ids simply vanish here.
        inbox.acked(msg.id);
        return;
      }
      case "send": {
        const req = msg.req;
        results.started(req, msg.want === true);
        const known = msg.turn !== undefined && msg.turn <= turnEndAcked;
        d.send(msg.line, msg.turn, known).then((r) => {
          const answer = results.finished(req, r);
          if (answer) answerSend(req, answer);
        });
        return;
      }
      case "want": {
        const answer = results.want(msg.req);
        if (answer) answerSend(msg.req, answer);
        return;
      }
      case "setup":
        d.setup(msg.lines);
        return;
      case "timer-set": {
        if (state === "gone") return;
        const refusal = timers.set(msg.timer, msg.ms, msg.repeat);
        if (refusal) {
          // The bot API refuses these itself; this is a forged or miscounting bot. It hears why,
          // so a wait on that timer settles instead of never firing.
          warnings.log("too-many-timers", "warn", `timer refused: ${refusal.reason}`, {
            bot: spec.name,
            code: refusal.code,
            fix: refusal.fix,
          });
          write({ t: "timer-refused", timer: msg.timer, refusal });
        }
        return;
      }
      case "timer-clear":
        timers.clear(msg.timer);
        return;
      case "log":
        // Rate-limited like printed output: ctx.log must not be a way around the output limit.
        output.record(msg.level, msg.msg);
        return;
      case "error":
        errors++;
        d.onError(`${msg.where}: ${formatBotError(msg.error as ErrorReport, spec.dir)}`);
        return;
      case "stopped":
        resolveStopped?.();
        return;
      default:
        d.onFeature?.(msg);
    }
  };

  /**
   * A line shaped like an IPC message but too big to be one (the bot API refuses those before
   * writing them, so this is a forged or broken bot): never acted on, counted, logged once per
   * process, and a `send` is refused so the bot's promise settles instead of hanging.
   */
  const oversized = (line: string) => {
    oversizedIpc++;
    const req = /^\{"t":"send","req":(\d{1,16})[,}]/.exec(line)?.[1];
    const reason = `an IPC message of ${line.length} characters reached the host, more than the ` +
      `${IPC_MAX_TEXT} one may carry; MMDAgent-EX takes at most ${WIRE_LINE_CEILING} bytes per line`;
    if (oversizedIpc === 1) {
      d.log.warn(`${reason}; not acted on (later ones are only counted in status)`, {
        bot: spec.name,
        code: "too-long",
        head: line.slice(0, 60),
      });
    }
    if (req !== undefined && Number.isSafeInteger(Number(req))) {
      write({
        t: "sent",
        req: Number(req),
        ok: false,
        refusal: {
          code: "too-long",
          reason,
          fix: `shorten the line to the outbound limit (at most ${WIRE_LINE_CEILING} bytes)`,
        },
      });
    }
  };

  // Everything over a bound so far; the reader is paced while it grows.
  let strainSeen = 0;
  const strained = () => {
    const now = (d.strain?.() ?? 0) + output.suppressed + oversizedIpc + timers.refused;
    if (now === strainSeen) return false;
    strainSeen = now;
    return true;
  };

  /**
   * The cheap path of a bot over its bounds, taken before a line is parsed: a flood of sends past
   * the rate limit, or of errors past the log's budget, cost the host a JSON parse, a validation,
   * the outbound path's parsing and ACL, or an error's formatting per line, all to be thrown away.
   * A send is refused from its first characters when its type is spelt plainly and is not one
   * the ACL looks at (those take the full path, so a refused dangerous line is still logged as
   * `acl-denied`): the refusal is `rate-limit` where the full path might have said `turn-ended`
   * or a guard's code, which refuses it all the same. The bot hears it as any refusal (`want`
   * read from the line). An error is only counted. A line the API would never write this way
   * (a forged one) takes the full path.
   */
  const earlyLine = (line: string): boolean => {
    if (line.startsWith(SEND_HEAD)) return d.refuseEarly ? refuseEarly(line) : false;
    if (line.startsWith(ERROR_HEAD) && d.errorLeftOut?.()) {
      errors++;
      return true;
    }
    return false;
  };
  const refuseEarly = (line: string): boolean => {
    const from = SEND_HEAD.length;
    const comma = line.indexOf(",", from);
    if (comma <= from || comma - from > 15 || !line.startsWith(LINE_KEY, comma + 1)) return false;
    for (let i = from; i < comma; i++) if (!isDigitCode(line.charCodeAt(i))) return false;
    const typeFrom = comma + 1 + LINE_KEY.length;
    let i = typeFrom;
    while (i < line.length && i - typeFrom <= MAX_PLAIN_TYPE && isWordCode(line.charCodeAt(i))) i++;
    const end = line.charCodeAt(i);
    if (end !== 0x7c /* | */ && end !== 0x22 /* " */) return false;
    if (ACL_CHECKED_TYPES.has(line.slice(typeFrom, i))) return false;
    const refusal = d.refuseEarly!();
    if (!refusal) return false;
    const req = Number(line.slice(from, comma));
    results.started(req, line.includes(WANT_KEY));
    const answer = results.finished(req, { ok: false, refusal });
    if (answer) answerSend(req, answer);
    return true;
  };

  const proc: BotProcess = (d.spawn ?? spawnBot)(d.plan, {
    onMessage,
    strained,
    early: earlyLine,
    onOutput: (line) => {
      if (line.length > IPC_MAX_TEXT && line.startsWith('{"t":')) return oversized(line);
      // Cut: only the exit's explanation reads these, and a bot's lines may be 256 KiB each.
      recentOutput.push(line.length > 500 ? line.slice(0, 500) : line);
      if (recentOutput.length > 20) recentOutput.shift();
      output.print(line);
    },
    onInputOverflow: (n) =>
      kill(
        `stopped reading its input: ${Math.round(n / 1024 / 1024)} MiB of messages waiting ` +
          `for it (the host holds at most ${MAX_PENDING_INPUT / 1024 / 1024} MiB per bot)`,
      ),
  });
  write({
    t: "init",
    name: spec.name,
    module: spec.module,
    clock: d.clockMode,
    timers: timerBudget,
  });

  // The watchdog runs on real time: budgets protect real CPU.
  const tickMs = Math.min(500, Math.max(25, Math.floor(spec.budgets.handlerMs / 4)));
  const pingAfter = Math.max(1000, spec.budgets.handlerMs * 2);
  const loadMs = spec.budgets.loadMs ?? READY_TIMEOUT_MS;
  const readyBy = performance.now() + loadMs;
  const tick = setInterval(() => {
    if (state === "loading" && performance.now() > readyBy) {
      kill(
        `did not load within ${loadMs} ms (budgets.load_ms; a module-level loop or a slow ` +
          "top-level await?)",
      );
      return;
    }
    const stuck = watchdog.overdue();
    if (stuck !== undefined) {
      kill(`a handler ran for more than ${spec.budgets.handlerMs} ms (budgets.handler_ms)`);
      return;
    }
    if (state === "ready" && watchdog.idleFor() > pingAfter) {
      // A bot can spin in an async continuation with nothing outstanding: a ping catches it.
      const id = d.nextId();
      watchdog.sent(id);
      write({ t: "ping", id });
    }
  }, tickMs);

  // Memory outside the V8 heap counts too (budgets.rss_mb): see rss_watch.ts for why sampling.
  const rssBudget = spec.budgets.rssMb ?? spec.budgets.heapMb + 192;
  let rssMb: number | undefined;
  const unwatchRss = d.rss?.watch(proc.pid, (mib) => {
    rssMb = mib;
    if (mib > rssBudget) {
      kill(
        `out of memory: resident ${Math.round(mib)} MiB, over budgets.rss_mb ` +
          `(${rssBudget} MiB; buffers and typed arrays count, not only the heap)`,
      );
    }
  });

  const kill = (reason: string) => {
    if (state === "gone") return;
    killReason ??= reason;
    proc.kill();
  };

  const exited = proc.exited.then((status) => {
    state = "gone";
    clearInterval(tick);
    unwatchRss?.();
    output.close();
    warnings.close();
    timers.close();
    resolveStopped?.();
    for (const done of pings.values()) done();
    pings.clear();
    const why = killReason ?? describeExit(status, recentOutput, spec.budgets.heapMb);
    resolveLoaded({ ok: false, error: `${spec.name}: process ended while loading: ${why}` });
    if (!intentional) d.onExit(why);
    return status;
  });

  return {
    pid: proc.pid,
    loaded,
    exited,
    deliver(json, id) {
      if (state === "gone" || state === "stopping") return;
      inbox.deliver(json, id);
    },
    lifecycle(kind, connection) {
      if (state === "gone" || state === "stopping") return;
      const id = d.nextId();
      watchdog.sent(id);
      const now = clock.now();
      if (kind === "connected") write({ t: kind, id, now, connection: connection ?? "" });
      else write({ t: kind, id, now });
    },
    post(msg) {
      if (state !== "gone") write(msg);
    },
    turnEnded(turn, by) {
      if (state !== "ready") return;
      // Through the inbox, in order with the messages: the handler of a message delivered before
      // the turn ended runs (and sends) before the bot hears of it.
      const id = d.nextId();
      turnEnds.set(id, turn);
      inbox.deliver(JSON.stringify({ t: "turn-ended", id, now: clock.now(), turn, by }), id);
    },
    setupRefused(line, refusal) {
      if (state !== "ready") return;
      const id = d.nextId();
      watchdog.sent(id);
      write({ t: "setup-refused", id, now: clock.now(), line, refusal });
    },
    async stop() {
      if (state === "gone") return;
      intentional = true;
      if (state === "ready") {
        state = "stopping";
        const stopped = new Promise<void>((r) => (resolveStopped = r));
        write({ t: "stop", now: clock.now() });
        let timer: number | undefined;
        const budget = new Promise<void>((r) => {
          timer = setTimeout(r, spec.budgets.handlerMs) as unknown as number;
        });
        await Promise.race([stopped, budget]);
        clearTimeout(timer);
      }
      proc.kill();
      await exited;
    },
    kill(reason) {
      kill(reason);
    },
    stats: () => ({
      dropped: inbox.dropped,
      errors,
      outstanding: watchdog.outstanding + inbox.waiting,
      timers: timers.size,
      rssMb,
      timersRefused: timers.refused,
      timerFiringsCoalesced: timers.coalesced,
      suppressedOutput: output.suppressed,
      oversizedIpc,
      readPauses: proc.readPauses ?? 0,
    }),
    ping() {
      if (state === "gone") return Promise.resolve();
      const id = d.nextId();
      const acked = new Promise<void>((r) => pings.set(id, r));
      watchdog.sent(id);
      write({ t: "ping", id });
      return acked;
    },
  };
}

// How the bot API writes a send and an error (JSON.stringify's key order; see bot/sends.ts).
const SEND_HEAD = '{"t":"send","req":';
const LINE_KEY = '"line":"';
const ERROR_HEAD = '{"t":"error",';
// Outside a JSON string (where a quote is always escaped), so only the key itself matches.
const WANT_KEY = '"want":true';
const MAX_PLAIN_TYPE = 64;
const isDigitCode = (c: number) => c >= 0x30 && c <= 0x39;
const isWordCode = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

function answerOf(req: number, r: SendReply): HostToBot {
  return r.ok
    ? { t: "sent", req, ok: true, status: r.status }
    : { t: "sent", req, ok: false, refusal: r.refusal };
}

function describeExit(status: Deno.CommandStatus, output: string[], heapMb: number): string {
  const text = output.join("\n");
  if (/out of memory|heap limit|OOM/i.test(text)) {
    return `out of memory (budgets.heap_mb is ${heapMb} MiB)`;
  }
  const how = status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
  const last = output.at(-1);
  return last ? `${how}; last output: ${last}` : how;
}
