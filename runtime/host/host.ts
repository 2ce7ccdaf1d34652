/**
 * The bot host: starts one sandboxed process per bot, dispatches every inbound message to each
 * bot whose `receive` filter matches (bots in parallel, in order within a bot), funnels what bots
 * send through ACL, rate limit and guard into the sink, supervises (watchdog, restart with
 * backoff, disable), and hot-reloads. It never owns the MMDAgent-EX connection: the caller feeds
 * it lines and connection events and gives it a sink, so reloads and restarts never reconnect.
 *
 * Why a process per bot (measured on Deno 2.9.6): a Worker spinning in a loop cannot be stopped
 * and has no heap cap; a process can be killed (its CPU use drops to zero) and capped.
 */
import { type Clock, realClock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { eventArgs } from "../catalog/events.ts";
import type { BotSpec, Manifest } from "../manifest/types.ts";
import { npmImportFix } from "../sandbox/npm_cache.ts";
import type { IsolationLevel, LaunchPlan, LaunchSpec } from "../sandbox/types.ts";
import type { StoreReply, Stores } from "../store/stores.ts";
import type { GuardContext } from "../wire/guard.ts";
import { type Message, parseInbound } from "../wire/parse.ts";
import type { InboundLine, Refusal, WireUnit } from "../wire/types.ts";
import { createLogThrottle, type LogThrottle } from "../log/throttle.ts";
import { createEchoTracker } from "./echo.ts";
import { createAudioService } from "../audio/service.ts";
import { resolveMaxLineBytes } from "../wire/guard.ts";
import { encodeSnd, sndPayload } from "../wire/snd.ts";
import { botAudio } from "./audio.ts";
import { type Instance, startInstance } from "./instance.ts";
import { createOutbound, type OperatorReply, type Sender, type Sink } from "./outbound.ts";
import { createRateLimiter, type RateLimiter } from "./ratelimit.ts";
import { type BotWatcher, watchBots } from "./reload.ts";
import { createRssSampler } from "./rss_watch.ts";
import { type BotState, createRestarts, type Restarts } from "./supervisor.ts";
import { type ConversationView, createHostSpeech, isSpeechRequest } from "./speech.ts";
import { fileURLToPath } from "node:url";

export type { BotState } from "./supervisor.ts";
export { OPERATOR } from "./outbound.ts";
export type { OperatorReply, SendReply, Sink } from "./outbound.ts";
export type { ConversationView } from "./speech.ts";

/**
 * Most setup lines one bot may have (the IPC message's own limit): setup lines are replayed on
 * every connection before anything else, so one bot must not be able to fill that with thousands.
 */
export const MAX_SETUP_LINES = 200;

/** Turns a bot's launch spec into a command (the sandbox's `buildLaunch` with detection bound). */
export type Launcher = (spec: LaunchSpec) => LaunchPlan | Promise<LaunchPlan>;

/** Options of {@link createHost}. */
export interface HostOptions {
  manifest: Manifest;
  /** Drives bot timers, waits, rate limits and restart backoff (virtual in the test kit). */
  clock?: Clock;
  logger: Logger;
  /** Writes a checked line toward MMDAgent-EX (the Link's `send`, a recorder, a test array). */
  sink: Sink;
  /** What the guard needs to know (mode, line limit, content facts); a function for live values. */
  guardContext: GuardContext | (() => GuardContext);
  launcher: Launcher;
  /**
   * Receives the combined, checked per-connection setup lines of all bots: the Link's `setSetup`,
   * which writes new ones at once when connected and replays the list first after every
   * reconnect. The host never writes a setup line itself: without this (host unit tests), setup
   * lines are checked and reported but go nowhere. `owners[i]` is the bot of `units[i]`.
   */
  setSetup?: (units: readonly WireUnit[], owners: readonly string[]) => void;
  /** Watch bot folders and reload a bot when its files change (default false). */
  watch?: boolean;
  /**
   * Each bot's persistent store behind `ctx.store` (`runtime/store/`); kept by the caller across
   * bot restarts and reloads. Without it, store requests fail with code `unavailable`.
   */
  stores?: Stores;
  /**
   * The test kit's scripted LLM stream, answering bots whose `ctx.llm.stream` uses the base URL
   * `mmdbot-scripted:`. Without it such requests fail with a 503 saying why.
   */
  llm?: ScriptedLlmHost;
  /**
   * Bots of the manifest that run elsewhere (broker workers): they keep their slot, so their
   * lines submitted with {@link Host.sendAsBot} pass their manifest entry's ACL and rate limit,
   * but they are never launched here.
   */
  remote?: readonly string[];
  /**
   * A connection's audio waits this long after it came up before its first SND packet (the real
   * binary's start-up, `SND_STARTUP_HOLD_MS` in audio/service.ts); default 0.
   */
  sndStartupHoldMs?: number;
}

/** What answers a bot's scripted LLM request (see `testing.ts`, option `llm`). */
export interface ScriptedLlmHost {
  /**
   * A completion request of bot `bot`; `emit` sends the bot its status, chunks and end. Returns a
   * function that cancels it (the bot stopped reading).
   */
  open(
    bot: string,
    body: string,
    emit: (data: { status?: number; chunk?: string; end?: boolean; error?: string }) => void,
  ): () => void;
}

/** Where a line came from. */
export interface DeliverMeta {
  /** Connection id for logs and bots (default: the current connection). */
  connection?: string;
  /** The line already parsed with `parseInbound` by the caller, so it is not parsed twice. */
  message?: Message;
}

/** What {@link Host.deliver} learnt about a line. */
export interface Delivered {
  /** The bot (or `setup`) whose sent line this is the echo of; undefined for other lines. */
  echoOf?: string;
}

/** One bot as `status` shows it. */
export interface BotStatus {
  name: string;
  state: BotState;
  pid?: number;
  level?: IsolationLevel;
  why?: string;
  restarts: number;
  failuresInWindow: number;
  lastError?: string;
  droppedMessages: number;
  handlerErrors: number;
  rateLimited: number;
  /** Printed lines and `ctx.log` records left out of the log by the output limit. */
  suppressedOutput: number;
  /** Lines the bot wrote shaped like IPC messages but too big to be one (never acted on). */
  oversizedIpc: number;
  /**
   * Times the host paused reading the bot's output because it was over a bound (rate limit,
   * output or error log limit, forged IPC, timer budget): a flood is slowed where it starts.
   */
  readPauses: number;
  /** Messages, timer firings and hooks written or queued and not yet acknowledged by the bot. */
  inFlight: number;
  /** Resident memory of the bot's process tree at the last sample, MiB (`budgets.rss_mb`). */
  rssMb?: number;
  /** Timers pending now (`budgets.timers` bounds it). */
  timers: number;
  /** Timers refused for `budgets.timers` (counted in the host; the bot API refuses most itself). */
  timersRefused: number;
  /** Periods of repeating timers folded into one later firing because the bot was behind. */
  timerFiringsCoalesced: number;
}

/** Result of reloading one bot. */
export interface ReloadResult {
  name: string;
  ok: boolean;
  /** The load error with file:line when the new version failed (the old one keeps running). */
  error?: string;
}

/** What {@link Host.applyManifest} changed, by bot name. */
export interface ManifestChange {
  added: string[];
  removed: string[];
  restarted: string[];
}

/** A running bot host. */
export interface Host {
  /**
   * Starts every bot; resolves when each is running or has failed to load, or at once with
   * `wait: false` (`start`: the connection and the healthy bots must not wait for a slow one;
   * messages for a bot still loading are kept for it, up to {@link PENDING_WHILE_LOADING}).
   */
  start(options?: { wait?: boolean }): Promise<void>;
  /** Resolves once every bot's first launch has settled (running, failed or retrying). */
  settled(): Promise<void>;
  /**
   * Applies a new manifest: added bots start, removed bots stop, changed entries restart only
   * that bot; unchanged bots keep running untouched. Resolves once the started ones settled.
   */
  applyManifest(next: Manifest): Promise<ManifestChange>;
  /** Dispatches one inbound line to the bots. */
  deliver(line: InboundLine | string, meta?: DeliverMeta): Delivered;
  /**
   * MMDAgent-EX connected: setup lines are re-checked against the new guard context (the Link
   * gets what passes), bots' `onConnected` hooks run.
   */
  connected(connection: string): void;
  /** The Link wrote these setup units (its `setup` event): remembered for echo marks. */
  setupWritten(units: readonly WireUnit[]): void;
  /** MMDAgent-EX went away: bots' `onDisconnected` hooks run. */
  disconnected(): void;
  /** Reloads one bot (or all); a version that fails to load leaves the old one running. */
  reload(name?: string): Promise<ReloadResult[]>;
  /**
   * Sends one line as the {@link OPERATOR} through the bots' outbound path (ACL, guard, echo mark,
   * sink); `allowDangerous` is the CLI's `--allow-dangerous` override.
   */
  sendAsOperator(line: string, options: { allowDangerous: boolean }): Promise<OperatorReply>;
  /**
   * Sends one line as manifest bot `name` when that bot runs elsewhere (the broker's worker):
   * its ACL, its rate limit (shared with a local instance, if any), the guard, an echo mark with
   * its name. Refused with `unknown-bot` when the manifest has no such bot.
   */
  sendAsBot(name: string, line: string): Promise<OperatorReply>;
  /**
   * Replaces the setup list of manifest bot `name` that runs elsewhere (the broker's worker sends
   * it): the same checks as a local bot's list (count bound, a rate-limit token per new line, the
   * ACL and guard at every (re)connect) and the same replay, once per connection, in order. Lines
   * refused are logged with the bot's name. `unknown-bot` for a bot that is not remote here.
   */
  setRemoteSetup(name: string, lines: readonly string[]): Refusal | undefined;
  /**
   * Writes one SND packet (`SND` + 4 digits + PCM) of manifest bot `name` that runs elsewhere:
   * the packet is checked as the binary reads it (a malformed one would shift every later byte)
   * and rebuilt by the SND encoder, refused in stdio mode (no avatar controller) and while
   * MMDAgent-EX is away (audio queued across a reconnect plays out of place).
   */
  sendSndAsBot(name: string, packet: Uint8Array): Promise<OperatorReply>;
  /**
   * Tells running bot `name` that something it sent was refused elsewhere (the broker's edge, for
   * a bot running on a worker): its `onError` hooks get the `RefusedError`. Nothing is logged
   * here (the refusing side logged it).
   */
  tellRefused(name: string, line: string, refusal: Refusal): void;
  /** Every bot's state. */
  status(): BotStatus[];
  /**
   * Calls `fn` for every line refused on the outbound path (a bot's or the operator's, setup lines
   * included), with the sender's name; returns the unsubscribe. Used by the dashboard.
   */
  onRefused(fn: (source: string, line: string, refusal: Refusal) => void): () => void;
  /**
   * Round-trips a ping through every running bot: resolves when each has read all it was given
   * before (the test kit's quiescence check; see testing.ts).
   */
  ping(): Promise<void>;
  /** Stops every bot (running their stop hooks within budget) and the watcher. */
  stop(): Promise<void>;
  /**
   * The conversation: the avatar's mirrored state, turns and their metrics, events to follow,
   * and the floor for audio clips (contracts.md, "conversation").
   */
  readonly conversation: ConversationView;
}

interface Slot {
  spec: BotSpec;
  allow: ReadonlySet<string>;
  limiter: RateLimiter;
  restarts: Restarts;
  restartCount: number;
  state: BotState;
  instance?: Instance;
  level?: IsolationLevel;
  why?: string;
  lastError?: string;
  setup: string[];
  /** Setup lines refused, with the code already logged and reported to the bot. */
  setupRefused: Map<string, string>;
  backoff?: number;
  /** Serializes start/reload/restart of this slot. */
  busy: Promise<unknown>;
  dropped: number;
  errors: number;
  /** Counters of instances gone, added to the live one's in `status`. */
  suppressed: number;
  oversizedIpc: number;
  readPauses: number;
  timersRefused: number;
  timerFiringsCoalesced: number;
  /** This bot's handler errors in the log: a few a second, the rest summarised. */
  errorLog: LogThrottle;
  /** Messages delivered while the bot was loading (serialized, with their ids), in order. */
  pending: { json: string; id: number }[];
}

/** Messages kept for a bot while it loads; more are dropped (and counted). */
export const PENDING_WHILE_LOADING = 1000;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Absolute path of the bot process entry. */
export const BOT_ENTRY: string = ROOT + "runtime/bot/entry.ts";

/** Files and folders a bot process reads to run the bot API (bound read-only by the sandbox). */
export const BOT_API_PATHS: readonly string[] = [
  ROOT + "mod.ts",
  ROOT + "runtime/bot/",
  ROOT + "runtime/wire/types.ts",
  ROOT + "runtime/errors/",
  ROOT + "runtime/catalog/messages.gen.ts",
  ROOT + "runtime/catalog/events.ts",
  // Sentence segmentation for `speakLlm` (pure, imports nothing).
  ROOT + "runtime/conversation/segment.ts",
  // The result type of `ctx.play` (a leaf of types only).
  ROOT + "runtime/audio/result.ts",
];

/** The launch spec of one bot. */
export function launchSpecOf(spec: BotSpec): LaunchSpec {
  return {
    name: spec.name,
    botDir: spec.dir,
    entry: BOT_ENTRY,
    apiPaths: BOT_API_PATHS,
    entryArgs: [],
    permissions: spec.permissions,
    heapMb: spec.budgets.heapMb,
    require: spec.isolation,
  };
}

function receives(spec: BotSpec, type: string): boolean {
  for (const r of spec.receive) {
    if (r === "*" || r === type) return true;
    if (r.endsWith("*") && type.startsWith(r.slice(0, -1))) return true;
  }
  return false;
}

/**
 * Creates a bot host.
 *
 * @example
 * ```ts
 * const host = createHost({ manifest, logger, sink: (unit) => link.send(unit), guardContext,
 *   launcher: (spec) => buildLaunch(spec, detected), setSetup: (u) => link.setSetup(u) });
 * await host.start();
 * // The session's runtime (session/runtime.ts) does this, and is what callers use.
 * for await (const ev of link.events()) if (ev.kind === "line") host.deliver(ev.line);
 * ```
 */
export function createHost(options: HostOptions): Host {
  const clock = options.clock ?? realClock;
  const clockMode = clock === realClock ? "real" : "virtual";
  const log = options.logger.child("host");
  const guardContext = typeof options.guardContext === "function"
    ? options.guardContext
    : () => options.guardContext as GuardContext;
  const echo = createEchoTracker();
  const refusedListeners = new Set<(source: string, line: string, refusal: Refusal) => void>();
  const onRefused = (source: string, line: string, refusal: Refusal) => {
    for (const fn of refusedListeners) {
      try {
        fn(source, line, refusal);
      } catch (e) {
        log.error(`a refusal listener threw: ${e instanceof Error ? e.message : e}`);
      }
    }
  };
  // One sampler process for every bot's budgets.rss_mb (see rss_watch.ts).
  const rss = createRssSampler();
  const outbound = createOutbound({
    clock,
    log,
    guardContext,
    sink: options.sink,
    echo,
    onRefused,
  });
  const noAllow: ReadonlySet<string> = new Set();
  const speech = createHostSpeech({
    clock,
    log,
    outbound,
    policy: options.manifest.conversation,
    speaker: (owner) => slots.get(owner)?.spec.speech,
    allowOf: (owner) => slots.get(owner)?.allow ?? noAllow,
    turnEnded(turn, by) {
      for (const slot of slots.values()) {
        if (slot.state === "running") slot.instance?.turnEnded(turn, by);
      }
    },
  });
  // ctx.play (#16): clips through the speech floor, one at a time per connection.
  const audio = createAudioService({
    clock,
    log: options.logger.child("audio"),
    writeSnd: async (unit, owner) => {
      const r = await options.sink(unit, owner);
      // Queued audio would play after a reconnect, out of place: treat it as the end.
      if (r.status !== "written") {
        throw new Error(r.status === "dropped" ? r.reason : "the connection is down");
      }
    },
    sendLine: async (line, owner) => {
      const r = await outbound.send(line, { name: owner, allow: new Set() });
      return r.ok ? undefined : r.refusal;
    },
    claimAudio: (c) => speech.conversation.claimAudio(c),
    maxLineBytes: () => resolveMaxLineBytes(guardContext().maxLineBytes),
    startupHoldMs: options.sndStartupHoldMs,
  });
  let nextId = 1;
  let connection: string | undefined;
  let stopping = false;
  let watcher: BotWatcher | undefined;

  const slots = new Map<string, Slot>();
  const makeSlot = (spec: BotSpec): Slot => ({
    spec,
    allow: new Set(spec.allow),
    limiter: createRateLimiter(
      spec.name,
      spec.budgets.messagesPerSecond,
      spec.budgets.burst,
      clock,
      log,
    ),
    restarts: createRestarts(spec.restart),
    restartCount: 0,
    state: "stopped",
    setup: [],
    setupRefused: new Map(),
    busy: Promise.resolve(),
    dropped: 0,
    errors: 0,
    suppressed: 0,
    oversizedIpc: 0,
    readPauses: 0,
    timersRefused: 0,
    timerFiringsCoalesced: 0,
    errorLog: createLogThrottle(options.logger.child(`bot:${spec.name}`), clock),
    pending: [],
  });
  for (const spec of options.manifest.bots) slots.set(spec.name, makeSlot(spec));
  let manifestFile = options.manifest.file;
  let firstLaunches: Promise<unknown> = Promise.resolve();

  const senderOf = (slot: Slot): Sender => ({
    name: slot.spec.name,
    allow: slot.allow,
    limiter: slot.limiter,
  });

  /**
   * Checks every bot's setup lines against the current guard context. A refusal is logged with
   * the bot's name and reported to the bot (its `onError` hooks get a `RefusedError`) once, when
   * the line first fails or fails anew for another reason; not again at every re-check.
   */
  const setupUnits = (): { unit: WireUnit; by: string }[] => {
    const out: { unit: WireUnit; by: string }[] = [];
    for (const slot of slots.values()) {
      if (slot.state !== "running" && !remote.has(slot.spec.name)) continue;
      for (const line of slot.setup) {
        const r = outbound.check(line, { name: slot.spec.name, allow: slot.allow });
        if (r.ok) {
          out.push({ unit: r.unit, by: slot.spec.name });
          slot.setupRefused.delete(line);
        } else if (slot.setupRefused.get(line) !== r.refusal.code) {
          slot.setupRefused.set(line, r.refusal.code);
          onRefused(slot.spec.name, line, r.refusal);
          const shown = line.length > 200 ? line.slice(0, 200) + "…" : line;
          log.error(`setup line refused: ${r.refusal.reason}`, {
            bot: slot.spec.name,
            code: r.refusal.code,
            line: shown,
          });
          reportSetup(slot, line, r.refusal);
        }
      }
    }
    return out;
  };
  /** Who set each setup line the Link has, for the echo marks of its writes. */
  let setupBy = new Map<string, string>();
  const publishSetup = () => {
    const units = setupUnits();
    setupBy = new Map(units.map((s) => [s.unit.text, s.by]));
    options.setSetup?.(units.map((s) => s.unit), units.map((s) => s.by));
  };

  /** Tells the bot (its `onError` hooks) that one of its setup lines was refused. */
  const reportSetup = (slot: Slot, line: string, refusal: Refusal) => {
    const shown = line.length > 200 ? line.slice(0, 200) + "…" : line;
    slot.instance?.setupRefused(line, {
      ...refusal,
      reason: `setup line ${JSON.stringify(shown)}: ${refusal.reason}`,
    });
  };

  /**
   * A bot replaced its setup list. Lines it had already keep their place; a new line is checked
   * like any send and costs one token of the bot's rate limit (refused and not kept when the bucket
   * is empty, so a bot setting lines in a loop is held to its rate), and at most
   * {@link MAX_SETUP_LINES} are kept. Lines that fail the guard stay listed (a later context may
   * let them pass) and are reported by the check in `setupUnits`.
   */
  const acceptSetup = (slot: Slot, lines: readonly string[]) => {
    const had = new Set(slot.setup);
    const kept = new Set<string>();
    for (const line of lines) {
      if (kept.has(line)) continue;
      if (kept.size >= MAX_SETUP_LINES) {
        const tooMany: Refusal = {
          code: "too-many-setup-lines",
          reason: `a bot may have at most ${MAX_SETUP_LINES} setup lines`,
          fix: "send lines that are not needed again after a reconnect with ctx.send instead",
        };
        onRefused(slot.spec.name, line, tooMany);
        reportSetup(slot, line, tooMany);
        break;
      }
      if (!had.has(line) && outbound.check(line, senderOf(slot)).ok) {
        const limited = slot.limiter.take();
        if (limited) {
          onRefused(slot.spec.name, line, limited);
          reportSetup(slot, line, limited);
          continue;
        }
      }
      kept.add(line);
    }
    const next = [...kept];
    const same = next.length === slot.setup.length && next.every((l, i) => l === slot.setup[i]);
    slot.setup = next;
    for (const l of slot.setupRefused.keys()) if (!kept.has(l)) slot.setupRefused.delete(l);
    // A flood of refused lists changes nothing: the Link's list is rebuilt only on a change.
    if (!same) publishSetup();
  };

  /** Cancels of scripted LLM requests in progress, by `bot:req`. */
  const llmCancels = new Map<string, () => void>();
  const storeReply = (spec: BotSpec, op: Parameters<Stores["handle"]>[1]): StoreReply =>
    options.stores?.handle(spec, op) ?? {
      ok: false,
      error: {
        code: "unavailable",
        message: "this runtime was started without a store",
        fix: "run the bot with `start` or the test kit, which open one",
      },
    };

  const botLog = (name: string) => options.logger.child(`bot:${name}`);

  /** Starts a new instance of the slot's bot; resolves with it once loaded, or with the error. */
  const spawn = async (
    slot: Slot,
  ): Promise<{ ok: true; instance: Instance } | { ok: false; error: string }> => {
    const { spec } = slot;
    let plan: LaunchPlan;
    try {
      plan = await options.launcher(launchSpecOf(spec));
    } catch (e) {
      return { ok: false, error: `${spec.name}: ${e instanceof Error ? e.message : e}` };
    }
    slot.level = plan.level;
    slot.why = plan.why;
    const bl = botLog(spec.name);
    const clips = botAudio(audio, spec.name, spec.dir, (m) => instance.post(m), bl);
    const instance: Instance = startInstance({
      spec,
      plan,
      clock,
      clockMode,
      log: bl,
      nextId: () => nextId++,
      rss,
      strain: () => slot.limiter.refused + slot.errorLog.suppressed,
      // The dashboard marks every refused line: with it listening, each takes the full path.
      refuseEarly: () => refusedListeners.size > 0 ? undefined : slot.limiter.refuseIfSpent(),
      errorLeftOut: () => {
        if (!slot.errorLog.skip("handler-error")) return false;
        slot.errors++;
        return true;
      },
      send: (line, turn, knownEnded) => speech.send(line, senderOf(slot), turn, knownEnded),
      setup: (lines) => {
        if (slot.instance === instance) acceptSetup(slot, lines);
      },
      onFeature: (msg) => {
        if (clips.handle(msg)) return;
        if (isSpeechRequest(msg)) {
          speech.request(spec.name, senderOf(slot), msg, (reply) => instance.post(reply));
        } else if (msg.t === "store") {
          instance.post({ t: "stored", req: msg.req, ...storeReply(spec, msg.op) });
        } else if (msg.t === "llm-open") {
          const emit = (data: { status?: number; chunk?: string; end?: boolean; error?: string }) =>
            instance.post({ t: "llm-data", req: msg.req, ...data });
          if (!options.llm) {
            emit({
              status: 503,
              chunk: "mmdbot-scripted: is the test kit's scripted stream; this runtime has none",
              end: true,
            });
          } else {llmCancels.set(
              `${spec.name}:${msg.req}`,
              options.llm.open(spec.name, msg.body, emit),
            );}
        } else if (msg.t === "llm-cancel") {
          llmCancels.get(`${spec.name}:${msg.req}`)?.();
          llmCancels.delete(`${spec.name}:${msg.req}`);
        }
      },
      onExit: (why) => onExit(slot, instance, why),
      onError: (text) => {
        slot.errors++;
        slot.lastError = text;
        slot.errorLog.log("handler-error", "error", text);
      },
    });
    instance.exited.then(() => clips.gone(), () => clips.gone());
    const r = await instance.loaded;
    if (!r.ok) {
      await instance.stop();
      const fix = npmImportFix(r.error, spec.name);
      return { ok: false, error: fix ? `${r.error}\n  fix: ${fix}` : r.error };
    }
    return { ok: true, instance };
  };

  /** Makes `instance` the slot's running version and runs its start (and connected) hooks. */
  const install = (slot: Slot, instance: Instance) => {
    slot.instance = instance;
    slot.state = "running";
    slot.setup = [];
    slot.setupRefused.clear();
    instance.lifecycle("start");
    if (connection !== undefined) instance.lifecycle("connected", connection);
    // What arrived while it loaded, in order, after its start hooks.
    for (const m of slot.pending.splice(0)) instance.deliver(m.json, m.id);
  };

  const remote = new Set(options.remote ?? []);
  const launch = async (slot: Slot): Promise<void> => {
    if (remote.has(slot.spec.name)) {
      slot.state = "stopped"; // served by broker workers; its slot only checks their lines
      return;
    }
    // A retry that was due while a reload already brought the bot up has nothing left to do.
    if (stopping || (slot.state === "running" && slot.instance)) return;
    slot.state = "starting";
    const r = await spawn(slot);
    if (stopping) {
      if (r.ok) await r.instance.stop();
      return;
    }
    if (r.ok) {
      install(slot, r.instance);
      // The one start-up line per bot.
      log.info(
        `bot ${slot.spec.name} running` +
          (slot.level ? `, isolation ${slot.level} (${slot.why ?? ""})` : ""),
        { pid: r.instance.pid },
      );
      return;
    }
    slot.lastError = r.error;
    if (slot.pending.length > 0) {
      slot.dropped += slot.pending.length;
      slot.pending = [];
    }
    // Retried with backoff like a crash, until the restart policy gives up on it.
    const decision = slot.restarts.failure(clock.now());
    if (decision.action === "disable") {
      slot.state = "failed-to-load";
      log.error(
        `bot ${slot.spec.name} failed to load ${decision.failures} times within ` +
          `${slot.spec.restart.windowMs} ms; disabled (last: ${r.error}); fix it and reload it`,
      );
      publishSetup();
      return;
    }
    slot.state = "backoff";
    log.error(
      `bot ${slot.spec.name} failed to load: ${r.error}; the other bots run on, retrying in ` +
        `${decision.delayMs} ms (failure ${decision.failures} of ${slot.spec.restart.maxFailures})`,
    );
    publishSetup();
    slot.backoff = clock.setTimeout(() => {
      slot.backoff = undefined;
      slot.restartCount++;
      slot.busy = slot.busy.then(() => launch(slot));
    }, decision.delayMs);
  };

  /** Adds the counters of an instance that is going away to its slot's. */
  const keepCounters = (slot: Slot, instance: Instance) => {
    const st = instance.stats();
    slot.dropped += st.dropped;
    slot.suppressed += st.suppressedOutput;
    slot.oversizedIpc += st.oversizedIpc;
    slot.readPauses += st.readPauses;
    slot.timersRefused += st.timersRefused;
    slot.timerFiringsCoalesced += st.timerFiringsCoalesced;
  };

  const onExit = (slot: Slot, instance: Instance, why: string) => {
    if (slot.instance !== instance || stopping) return;
    slot.instance = undefined;
    speech.ownerGone(slot.spec.name);
    slot.lastError = why;
    keepCounters(slot, instance);
    const decision = slot.restarts.failure(clock.now());
    if (decision.action === "disable") {
      slot.state = "disabled";
      log.error(
        `bot ${slot.spec.name} disabled after ${decision.failures} failures within ` +
          `${slot.spec.restart.windowMs} ms (last: ${why}); fix it and reload it`,
      );
      publishSetup();
      return;
    }
    slot.state = "backoff";
    log.warn(
      `bot ${slot.spec.name} stopped (${why}); restarting in ${decision.delayMs} ms ` +
        `(failure ${decision.failures} of ${slot.spec.restart.maxFailures})`,
    );
    publishSetup();
    slot.backoff = clock.setTimeout(() => {
      slot.backoff = undefined;
      slot.restartCount++;
      slot.busy = slot.busy.then(() => launch(slot));
    }, decision.delayMs);
  };

  /** Stops a slot's bot for good (removed or replaced by a changed manifest entry). */
  const retire = async (slot: Slot): Promise<void> => {
    if (slot.backoff !== undefined) clock.clearTimeout(slot.backoff);
    slot.backoff = undefined;
    slot.state = "stopped";
    await slot.busy.catch(() => {});
    const inst = slot.instance;
    slot.instance = undefined;
    slot.pending = [];
    speech.ownerGone(slot.spec.name);
    if (inst) await inst.stop();
    slot.errorLog.close();
  };

  /** (Re)watches the current bots' folders for hot reload. */
  const rewatch = () => {
    if (!options.watch || stopping) return;
    watcher?.close();
    watcher = watchBots(
      [...slots.values()].filter((s) => !remote.has(s.spec.name)).map((s) => ({
        name: s.spec.name,
        dir: s.spec.dir,
      })),
      (name) => void host.reload(name),
    );
  };

  const reloadSlot = async (slot: Slot): Promise<ReloadResult> => {
    const name = slot.spec.name;
    if (stopping) return { name, ok: false, error: "the host is stopping" };
    const r = await spawn(slot);
    if (!r.ok) {
      slot.lastError = r.error;
      if (slot.instance) {
        log.error(`reload of ${name} failed, previous version keeps running: ${r.error}`);
      } else {
        slot.state = "failed-to-load";
        log.error(`bot ${name} failed to load: ${r.error}`);
      }
      return { name, ok: false, error: r.error };
    }
    if (stopping) {
      await r.instance.stop();
      return { name, ok: false, error: "the host is stopping" };
    }
    if (slot.backoff !== undefined) clock.clearTimeout(slot.backoff);
    slot.backoff = undefined;
    slot.restarts.reset();
    const old = slot.instance;
    if (old) keepCounters(slot, old);
    install(slot, r.instance);
    slot.lastError = undefined;
    publishSetup();
    log.info(`bot ${name} reloaded`, { pid: r.instance.pid });
    await old?.stop();
    return { name, ok: true };
  };

  const host: Host = {
    async start(startOptions = {}) {
      firstLaunches = Promise.all([...slots.values()].map((slot) => {
        slot.state = "starting";
        slot.busy = slot.busy.then(() => launch(slot));
        return slot.busy;
      }));
      if (startOptions.wait !== false) await firstLaunches;
      rewatch();
    },

    async applyManifest(next) {
      const change: ManifestChange = { added: [], removed: [], restarted: [] };
      if (stopping) return change;
      manifestFile = next.file;
      const wanted = new Map(next.bots.map((b) => [b.name, b]));
      const launches: Promise<unknown>[] = [];
      for (const [name, slot] of [...slots]) {
        if (wanted.has(name)) continue;
        change.removed.push(name);
        await retire(slot);
        slots.delete(name);
      }
      for (const spec of next.bots) {
        const old = slots.get(spec.name);
        if (old && sameSpec(old.spec, spec)) {
          old.spec = spec; // positions may have moved
          continue;
        }
        if (old) {
          change.restarted.push(spec.name);
          await retire(old);
        } else change.added.push(spec.name);
        const slot = makeSlot(spec);
        slots.set(spec.name, slot);
        slot.state = "starting";
        slot.busy = slot.busy.then(() => launch(slot));
        launches.push(slot.busy);
      }
      if (change.removed.length + change.added.length + change.restarted.length > 0) {
        publishSetup();
        rewatch();
      }
      await Promise.all(launches);
      return change;
    },

    settled() {
      return firstLaunches.then(() => {});
    },

    deliver(line, meta = {}) {
      const text = typeof line === "string" ? line : line.text;
      const msg = meta.message ?? parseInbound(text);
      const now = clock.now();
      const by = echo.match(text, now);
      // The floor and the turns see the line first: a barge-in's stop goes out before any bot
      // runs, and the message carries the turn it starts.
      speech.conversation.inbound(msg.type, msg.fields, by !== undefined);
      // Only the user's speech belongs to a turn: a key press or a motion's end during the turn
      // is no part of it, so what its handlers send is not cut when the user speaks again.
      const turn = msg.type.startsWith("RECOG_EVENT_") ? speech.conversation.currentTurn() : 0;
      // Serialised once, and only when some bot receives this type.
      let json: string | undefined;
      let id = 0;
      for (const slot of slots.values()) {
        const loading = slot.state === "starting" && slot.restartCount === 0;
        if ((slot.state !== "running" || !slot.instance) && !loading) continue;
        if (!receives(slot.spec, msg.type)) continue;
        if (json === undefined) {
          id = nextId++;
          json = JSON.stringify({
            t: "message",
            id,
            now,
            line: text,
            type: msg.type,
            fields: msg.fields,
            args: eventArgs(msg.type, msg.fields),
            echo: by === undefined ? null : { by },
            connection: meta.connection ?? connection ?? "",
            turn,
          });
        }
        if (loading || !slot.instance) {
          if (slot.pending.length < PENDING_WHILE_LOADING) slot.pending.push({ json, id });
          else slot.dropped++;
        } else slot.instance.deliver(json, id);
      }
      return { echoOf: by };
    },

    connected(id) {
      connection = id;
      audio.connected();
      speech.conversation.connected(id);
      // Re-checked against the new connection's guard context; the Link keeps only what passes
      // (and writes what passes now but did not at the last disconnect).
      publishSetup();
      for (const slot of slots.values()) {
        if (slot.state === "running") slot.instance?.lifecycle("connected", id);
      }
    },

    disconnected() {
      connection = undefined;
      audio.disconnected();
      speech.conversation.disconnected();
      // The guard context may have changed (e.g. Plugin_Variables' list is no longer known): the
      // Link replays its setup units at the next connect, so it must get only lines that pass now.
      publishSetup();
      for (const slot of slots.values()) {
        if (slot.state === "running") slot.instance?.lifecycle("disconnected");
      }
    },

    async reload(name) {
      if (name !== undefined && remote.has(name)) {
        return [{ name, ok: false, error: `${name} runs on broker workers, not here` }];
      }
      const targets = name === undefined
        ? [...slots.values()].filter((s) => !remote.has(s.spec.name))
        : [slots.get(name)];
      if (targets.some((s) => s === undefined)) {
        return [{ name: name!, ok: false, error: `no bot named ${name} in the manifest` }];
      }
      return await Promise.all(targets.map((slot) => {
        const p = slot!.busy.then(() => reloadSlot(slot!));
        slot!.busy = p.catch(() => {});
        return p;
      }));
    },

    setupWritten(units) {
      for (const u of units) outbound.noteSent(u.text, setupBy.get(u.text) ?? "setup");
    },

    sendAsBot(name, line) {
      const slot = slots.get(name);
      if (!slot) {
        const refusal: Refusal = {
          code: "unknown-bot",
          reason: `the manifest has no bot named ${name}`,
          fix: `add ${name} to ${manifestFile}`,
        };
        onRefused(name, line, refusal);
        return Promise.resolve({ ok: false, refusal });
      }
      return outbound.submit(line, senderOf(slot));
    },

    setRemoteSetup(name, lines) {
      const slot = slots.get(name);
      if (!slot || !remote.has(name)) {
        return {
          code: "unknown-bot",
          reason: `${name} is not a bot this runtime lets workers run`,
          fix: `list ${name} in ${manifestFile} and in start --remote`,
        };
      }
      acceptSetup(slot, lines);
      return undefined;
    },

    async sendSndAsBot(name, packet) {
      const refused = (refusal: Refusal): OperatorReply => {
        onRefused(name, `SND(${packet.length} bytes)`, refusal);
        return { ok: false, refusal };
      };
      if (!slots.has(name) || !remote.has(name)) {
        return refused({
          code: "unknown-bot",
          reason: `${name} is not a bot this runtime lets workers run`,
          fix: `list ${name} in ${manifestFile} and in start --remote`,
        });
      }
      if (guardContext().mode === "stdio") {
        return refused({
          code: "no-avatar-controller",
          reason:
            "Plugin_AnyScript (stdio) has no avatar controller: SND audio would be read as text",
        });
      }
      const payload = sndPayload(packet);
      if (!(payload instanceof Uint8Array)) return refused(payload);
      if (connection === undefined) {
        return refused({
          code: "send-failed",
          reason: "MMDAgent-EX is not connected: audio is not kept for a later connection",
        });
      }
      const [unit] = encodeSnd(payload, { chunkBytes: Math.max(2, payload.length) });
      try {
        return { ok: true, outcome: await options.sink(unit, name) };
      } catch (e) {
        return refused({
          code: "send-failed",
          reason: `the connection could not take the audio: ${e instanceof Error ? e.message : e}`,
        });
      }
    },

    tellRefused(name, line, refusal) {
      const slot = slots.get(name);
      if (slot?.state === "running") slot.instance?.setupRefused(line, refusal);
    },

    sendAsOperator(line, options) {
      return outbound.sendAsOperator(line, options);
    },

    conversation: speech.view,

    status() {
      return [...slots.values()].map((s) => {
        const st = s.instance?.stats();
        return {
          name: s.spec.name,
          state: s.state,
          pid: s.instance?.pid,
          level: s.level,
          why: s.why,
          restarts: s.restartCount,
          failuresInWindow: s.restarts.recent(clock.now()),
          lastError: s.lastError,
          droppedMessages: s.dropped + (st?.dropped ?? 0),
          handlerErrors: s.errors,
          rateLimited: s.limiter.refused,
          suppressedOutput: s.suppressed + (st?.suppressedOutput ?? 0),
          oversizedIpc: s.oversizedIpc + (st?.oversizedIpc ?? 0),
          readPauses: s.readPauses + (st?.readPauses ?? 0),
          inFlight: st?.outstanding ?? 0,
          rssMb: st?.rssMb === undefined ? undefined : Math.round(st.rssMb),
          timers: st?.timers ?? 0,
          timersRefused: s.timersRefused + (st?.timersRefused ?? 0),
          timerFiringsCoalesced: s.timerFiringsCoalesced + (st?.timerFiringsCoalesced ?? 0),
        };
      });
    },

    onRefused(fn) {
      refusedListeners.add(fn);
      return () => refusedListeners.delete(fn);
    },

    async ping() {
      await Promise.all(
        [...slots.values()].map((s) =>
          s.state === "running" && s.instance ? s.instance.ping() : undefined
        ),
      );
    },

    async stop() {
      if (stopping) return;
      stopping = true;
      watcher?.close();
      speech.conversation.close();
      const all: Promise<unknown>[] = [];
      for (const slot of slots.values()) {
        if (slot.backoff !== undefined) clock.clearTimeout(slot.backoff);
        slot.backoff = undefined;
        all.push(slot.busy);
        if (slot.instance) all.push(slot.instance.stop());
        slot.state = "stopped";
      }
      await Promise.all(all);
      for (const slot of slots.values()) {
        const inst = slot.instance;
        slot.instance = undefined;
        if (inst) await inst.stop();
        slot.errorLog.close();
      }
      outbound.close();
      await rss?.close();
    },
  };
  return host;
}

/** Whether two specs run the same bot the same way (where the entry sits in the file aside). */
function sameSpec(a: BotSpec, b: BotSpec): boolean {
  const strip = ({ origin: _o, receiveAt: _r, ...rest }: BotSpec) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
