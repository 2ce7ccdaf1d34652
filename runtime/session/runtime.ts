/**
 * The one composition of a running mmdbot: one {@link Link} (a socket, stdio, or an in-process
 * memory connection to the emulator), the bot host behind it, the traffic tap, the Plugin_Variables
 * tracker that feeds the guard, and the pump that carries every Link event to them. `start`,
 * console mode, the CLI's own connection, the test kit and replay all build this, and differ only
 * in what they pass: the link, the clock, the launcher and the manifest.
 *
 * Nothing here writes to the link except through the host: bots' lines, setup lines (the Link
 * writes those itself, from the list the host hands it) and the operator's lines all pass the same
 * ACL, rate limit (bots) and guard, in that order.
 *
 * @module
 */
import type { Stores } from "../store/stores.ts";
import type { ScriptedLlmHost } from "../host/host.ts";
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Manifest } from "../manifest/types.ts";
import { createHost, type Host, type Launcher, OPERATOR } from "../host/host.ts";
import type { Link, LinkEvent, SendOutcome } from "../transport/types.ts";

/** A link's state change, as {@link Runtime.onLinkState} reports it. */
export type LinkStateEvent = Extract<LinkEvent, { kind: "state" }>;
import type { GuardContext, GuardMode } from "../wire/guard.ts";
import { parseInbound } from "../wire/parse.ts";
import type { Refusal } from "../wire/types.ts";
import { openRecordWriter, type RecordWriter } from "../record/writer.ts";
import { createTrafficTap, type TrafficTap } from "./traffic.ts";
import { createVariableTracker } from "./variables.ts";

/** What the content tells the guard (from the `.mdf`; defaults for the test kit). */
export interface ContentFacts {
  /** `socket` (default) or `stdio` (Plugin_AnyScript: no avatar controller). */
  mode?: GuardMode;
  /** Outbound line limit (default 1800, at most 2000). */
  maxLineBytes?: number;
  /** MMDAgent-EX loaded a start-up FST (without one, `FST_LOAD` and friends crash it). */
  hasStartupFst?: boolean;
}

/**
 * A part of a running runtime that is not the host: the conversation floor, a store, a dashboard.
 * It is started once the host, tap and link exist (before the bots start) and stopped after the
 * bots and before the link closes, in reverse order.
 */
export interface RuntimeService {
  /** For logs. */
  readonly name: string;
  /** Wires the service to the runtime (subscribe to `rt.tap`, send with `rt.sendAsOperator`…). */
  start(rt: Runtime): void | Promise<void>;
  /** Releases what it holds. */
  stop?(): void | Promise<void>;
}

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /** The bots to run. */
  manifest: Manifest;
  /** The one connection for the whole runtime (created by the caller, closed by the runtime). */
  link: Link;
  /** Drives bot timers, rate limits, restarts and traffic times (virtual in the test kit). */
  clock: Clock;
  logger: Logger;
  /** Turns a bot's launch spec into a sandboxed command. */
  launcher: Launcher;
  /** What the guard must know about the content. */
  content?: ContentFacts;
  /** Reload a bot when its files change (default false). */
  watch?: boolean;
  /** Write every line in and out to this JSON-lines file (`start --record`). */
  record?: string;
  /** Services started with the runtime (see {@link RuntimeService}). */
  services?: readonly RuntimeService[];
  /** The connection id traffic records carry before the first connection (default empty). */
  initialConnection?: string;
  /**
   * The bots' stores behind `ctx.store` (`createStores`); closed by {@link Runtime.stop} after the
   * bots. Without it, store requests fail with code `unavailable`.
   */
  stores?: Stores;
  /** The test kit's scripted LLM stream (see `scripted_llm.ts`). */
  llm?: ScriptedLlmHost;
  /**
   * Whether `start()` waits for every bot to load (default true: the test kit and replay want
   * them all up). `start` passes false, so no slow bot holds up the connection or the others;
   * lines for a bot still loading are kept for it.
   */
  awaitBots?: boolean;
  /**
   * Manifest bots that broker workers run (`start --broker`): not launched here; their lines come
   * through {@link Runtime.submit} and pass their entry's ACL and rate limit.
   */
  remoteBots?: readonly string[];
  /** How long a connection's audio waits for MMDAgent-EX's audio start-up (see host.ts). */
  sndStartupHoldMs?: number;
}

/** Who a {@link Runtime.submit} line is from. */
export type SubmitAs =
  | { as: "operator"; allowDangerous?: boolean }
  | { as: "bot"; name: string };

/** What an operator's line ended in. */
export type OperatorResult = SendOutcome | { status: "refused"; refusal: Refusal };

/** A composed runtime. */
export interface Runtime {
  readonly link: Link;
  readonly host: Host;
  /** Every line in and out, as traffic records (setup lines as bot `setup`). */
  readonly tap: TrafficTap;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The current connection id, or undefined while disconnected. */
  readonly connection: string | undefined;
  /** Inbound lines (and dropped lines) the pump has handed on so far. */
  readonly handled: number;
  /** Operator lines refused so far. */
  readonly refusedOperatorLines: number;
  /**
   * Calls `fn` with every state change of the link (connected, disconnected, listening, closed)
   * after the runtime has acted on it; returns a function that removes it.
   */
  onLinkState(fn: (ev: LinkStateEvent) => void): () => void;
  /** Starts the services, then the bots, then carries Link events to them. */
  start(): Promise<void>;
  /**
   * Sends one line as the operator through the bots' outbound path (ACL, guard, echo mark as
   * `operator`, tap); `allowDangerous` is the CLI's `--allow-dangerous` override.
   */
  sendAsOperator(line: string, options?: { allowDangerous?: boolean }): Promise<OperatorResult>;
  /**
   * Submits one line from a service inside the runtime: as the operator, or as a manifest bot that
   * runs elsewhere (the broker's worker; that bot's ACL and rate limit apply, echo-marked with
   * its name). The same outbound path as every other line.
   */
  submit(line: string, as: SubmitAs): Promise<OperatorResult>;
  /** Resolves once the runtime has stopped (through {@link Runtime.stop} or the link ending). */
  readonly ended: Promise<void>;
  /** Stops the bots (their stop hooks run), the services, then closes the link once. Idempotent. */
  stop(): Promise<void>;
  /** What a stop in progress waits for (undefined otherwise), for the error when it overruns. */
  readonly stopPhase: string | undefined;
}

/**
 * Composes a runtime over `options.link`. Nothing runs until {@link Runtime.start}.
 *
 * @example
 * ```ts ignore
 * const link = await openLink(plan, { logger });
 * const rt = createRuntime({ manifest, link, clock: realClock, logger, launcher });
 * await rt.start();
 * await rt.sendAsOperator("MOTION_ADD|mei|wave|motion/wave.vmd");
 * await rt.stop();
 * ```
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const { link, clock, logger: log } = options;
  const services = options.services ?? [];
  const variables = createVariableTracker();
  const content = options.content ?? {};
  const guardContext = (): GuardContext => ({
    mode: content.mode ?? "socket",
    maxLineBytes: content.maxLineBytes,
    commands: { hasStartupFst: content.hasStartupFst ?? false, variables: variables.known() },
  });
  const tap = createTrafficTap(() => clock.now());
  let recorder: RecordWriter | undefined;
  if (options.record) {
    recorder = openRecordWriter(options.record);
    tap.onRecord((r) => recorder!.write(r));
    log.info(`recording every line to ${options.record}`);
  }
  let connection: string | undefined;
  let lastConnection = options.initialConnection ?? "";
  let handled = 0;
  let refusedOperatorLines = 0;

  const host = createHost({
    manifest: options.manifest,
    clock,
    logger: log,
    guardContext,
    watch: options.watch ?? false,
    launcher: options.launcher,
    stores: options.stores,
    llm: options.llm,
    remote: options.remoteBots,
    setSetup: (units, owners) => link.setSetup(units, owners),
    sndStartupHoldMs: options.sndStartupHoldMs,
    sink: (unit, source) => {
      // Tapped when handed to the link, not when written: the link's own promise goes back to the
      // sender, so a send costs no extra promise hop. A failing recorder still reaches the sender.
      const sent = link.send(unit, { source });
      try {
        tap.emit("out", connection ?? lastConnection, unit.text, { bot: source });
      } catch (err) {
        return Promise.reject(err);
      }
      return sent;
    },
  });

  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  let pump: Promise<void> = Promise.resolve();
  let started: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let stopPhase: string | undefined;
  const servicesStarted: RuntimeService[] = [];
  const stateListeners = new Set<(ev: LinkStateEvent) => void>();

  /** Handles one Link event; true once the link has closed. */
  const handle = (ev: LinkEvent): boolean => {
    if (ev.kind === "line") {
      const msg = parseInbound(ev.line.text);
      variables.observe(msg.type, msg.fields);
      const { echoOf } = host.deliver(ev.line, { connection: ev.connection, message: msg });
      handled++;
      tap.emit("in", ev.connection, ev.line.text, { bot: echoOf, echo: echoOf !== undefined });
    } else if (ev.kind === "dropped") {
      handled++;
      log.warn(
        `dropped an inbound line of ${ev.dropped.byteLength} bytes (over the inbound limit)`,
        { head: ev.dropped.head.slice(0, 60) },
      );
    } else if (ev.kind === "setup") {
      host.setupWritten(ev.units);
      for (const u of ev.units) tap.emit("out", ev.connection, u.text, { bot: "setup" });
    } else {
      if (ev.state === "connected" && ev.connection) {
        connection = lastConnection = ev.connection;
        log.info(`MMDAgent-EX connected (${ev.connection})`);
        host.connected(ev.connection);
      } else if (ev.state === "disconnected") {
        connection = undefined;
        if (options.content?.mode === "stdio") {
          // Plugin_AnyScript: MMDAgent-EX closed our stdin (it exits); no socket was involved.
          log.info("MMDAgent-EX closed stdin: the AnyScript session ends");
        } else {
          log.warn(
            `MMDAgent-EX disconnected${ev.detail ? ` (${ev.detail})` : ""}; on Linux its ` +
              "Plugin_Remote service may be gone until it is restarted",
          );
        }
        variables.disconnected();
        host.disconnected();
      }
      for (const fn of stateListeners) fn(ev);
      if (ev.state === "closed") return true;
    }
    return false;
  };

  const runPump = async () => {
    // A batch (every event waiting: a socket read's lines) is handled in one turn, so each bot gets
    // its lines of that read in one pipe write (process.ts flushes at the end of the turn), not
    // the first alone and the rest trickling after it.
    const batches = link.eventBatches?.() ?? singles(link.events());
    outer: for await (const batch of batches) {
      for (const ev of batch) if (handle(ev)) break outer;
    }
    // The link ended by itself (stdin EOF in stdio mode, the far end of a memory link) or by stop().
    void rt.stop();
  };

  const rt: Runtime = {
    link,
    host,
    tap,
    clock,
    logger: log,
    get connection() {
      return connection;
    },
    get handled() {
      return handled;
    },
    get refusedOperatorLines() {
      return refusedOperatorLines;
    },
    get stopPhase() {
      return stopPhase;
    },
    ended,
    onLinkState(fn) {
      stateListeners.add(fn);
      return () => stateListeners.delete(fn);
    },
    start() {
      started ??= (async () => {
        for (const s of services) {
          await s.start(rt);
          servicesStarted.push(s);
        }
        await host.start({ wait: options.awaitBots ?? true });
        pump = runPump();
      })();
      return started;
    },
    async submit(line, as) {
      if (as.as === "operator") return await rt.sendAsOperator(line, as);
      const r = await host.sendAsBot(as.name, line);
      return r.ok ? r.outcome : { status: "refused", refusal: r.refusal };
    },
    async sendAsOperator(line, { allowDangerous = false } = {}) {
      const r = await host.sendAsOperator(line, { allowDangerous });
      if (r.ok) return r.outcome;
      refusedOperatorLines++;
      return { status: "refused", refusal: r.refusal };
    },
    stop() {
      stopping ??= (async () => {
        stopPhase = "waiting for the start to finish";
        await started?.catch(() => {});
        stopPhase = "stopping the bots";
        await host.stop();
        options.stores?.close();
        for (const s of servicesStarted.reverse()) {
          stopPhase = `stopping the service ${s.name}`;
          try {
            await s.stop?.();
          } catch (err) {
            log.error(
              `service ${s.name} failed to stop: ${err instanceof Error ? err.message : err}`,
            );
          }
        }
        stopPhase = "closing the connection";
        await link.close();
        stopPhase = "handling the last inbound lines";
        await pump.catch(() => {});
        recorder?.close();
        stopPhase = undefined;
        resolveEnded();
      })();
      return stopping;
    },
  };
  return rt;
}

/** Events one at a time as batches of one (a Link without `eventBatches`). */
async function* singles(events: AsyncIterable<LinkEvent>): AsyncGenerator<LinkEvent[]> {
  for await (const ev of events) yield [ev];
}

export { OPERATOR };
