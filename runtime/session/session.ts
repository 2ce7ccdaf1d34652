/**
 * A running mmdbot session: the one place where the rooms meet. It reads the `.mdf`, takes the
 * opposite role on one session-long {@link Link} (or an in-process emulator in console mode), starts
 * the bot host, pumps every inbound line to the bots, taps all traffic for `listen`/`--record`, and
 * serves the local control channel so `send`/`listen` never open a second connection.
 *
 * The parts are composed once, by `createRuntime` (runtime.ts); this file only decides what to pass
 * (which link, which content facts) and serves the result on the control channel. Nothing writes
 * to the link except through the host's outbound path: the guard is the only door to the wire.
 */
import { type Clock, realClock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { analyseMdf } from "../mdf/analyse.ts";
import type { ConnectionPlan } from "../mdf/plan_types.ts";
import { type Finding, formatFinding } from "../mdf/finding.ts";
import { loadManifest } from "../manifest/load.ts";
import type { Host } from "../host/host.ts";
import { lintBots } from "../manifest/lint_bots.ts";
import { withStartLoadTimeout } from "../manifest/types.ts";
import { within } from "../clock/deadline.ts";
import { liveManifest } from "./live_manifest.ts";
import { trafficViewService } from "./traffic_view.ts";
import { writeAll } from "../control/lines.ts";
import { formatDiagnostic } from "../text/diagnostic.ts";
import { type DetectedSandbox, detectSandbox, weakerWarning } from "../sandbox/detect.ts";
import { createLauncher } from "../sandbox/launcher.ts";
import { createStores, defaultStoreDir } from "../store/stores.ts";
import { openLink } from "./open_link.ts";
import { SND_STARTUP_HOLD_MS } from "../audio/service.ts";
import { createLink } from "../transport/link.ts";
import { memoryListener } from "../transport/memory.ts";
import { DEFAULT_QUEUE_LIMIT, MAX_QUEUE_LINES } from "../transport/queue.ts";
import type { Link, LinkStats } from "../transport/types.ts";
import { Emulator, type EmulatorOptions } from "../emulator/core.ts";
import { type EmulatorMemorySide, emulatorMemorySide } from "../emulator/memory_side.ts";
import { serveControl } from "../control/server.ts";
import type { ControlSendResult, ControlTarget, SessionStatus } from "../control/target.ts";
import { startupFst } from "./content.ts";
import { type DeliverResult, operatorDeliveries } from "./delivery.ts";
import { createRuntime, type Runtime, type RuntimeService } from "./runtime.ts";
import type { TrafficTap } from "./traffic.ts";
import { MmdbotError } from "../errors/error.ts";

/** Longest wait, after stdin EOF in stdio mode, for the bots' answers once they run. */
export const DRAIN_MAX_MS = 2000;
/** The answers are out once the traffic has been quiet this long. */
export const DRAIN_QUIET_MS = 400;
/** Longest wait at stdin EOF for the bots to start (a bot that never loads cannot hold it up). */
export const STDIO_START_WAIT_MS = 30_000;

/** The connection id console mode reports. */
export const EMULATOR_CONNECTION = "console";

/** Options of {@link startSession}. */
export interface SessionOptions {
  /** The content `.mdf`; none means console mode. */
  mdf?: string;
  systemMdf?: string;
  /** Where MMDAgent-EX runs when it is the TCP server (default 127.0.0.1). */
  host?: string;
  /** Listen address override when mmdbot is the server. */
  bind?: string;
  /** Run as a Plugin_AnyScript child (stdin/stdout). */
  stdio?: boolean;
  /** Console mode even when the `.mdf` has a transport. */
  console?: boolean;
  /** The bot manifest (`bots/bots.yaml`). */
  manifest: string;
  /** Start even when `check` would report errors (e.g. TCP and WebSocket together). */
  force?: boolean;
  /** Write every line in and out to this JSON-lines file. */
  record?: string;
  /** Reload a bot when its files change (default true). */
  watch?: boolean;
  /** PEM text for a wss plan. */
  cert?: string;
  key?: string;
  /** Outbound line limit (default 1800, at most 2000). */
  maxLineBytes?: number;
  /**
   * Lines the outbound queue holds while MMDAgent-EX is away or slow (`start --queue-lines`;
   * default 1000, at most {@link MAX_QUEUE_LINES}); a full queue drops the biggest sender's oldest.
   */
  queueLines?: number;
  /** Serve the control channel (default true). */
  control?: boolean;
  /** Runtime directory override for the control channel (tests). */
  controlDir?: string;
  /** Replace stdin/stdout in stdio mode (tests). */
  stdioStreams?: {
    input: ReadableStream<Uint8Array>;
    output: { write(p: Uint8Array): Promise<number> };
  };
  /** Console mode's emulator settings (voice, content folder). */
  emulator?: EmulatorOptions;
  /** Services started with the runtime (conversation floor, store, dashboard…). */
  services?: readonly RuntimeService[];
  /**
   * `start -v` outside console mode: a readable view of the traffic (both directions, which bot
   * sent each line) on stdout, or on stderr in stdio mode (stdout carries MMDAgent-EX's messages).
   * Console mode shows its own view and ignores this.
   */
  trafficView?: boolean;
  /** Manifest bots that broker workers run: not launched here (see `RuntimeOptions.remoteBots`). */
  remoteBots?: readonly string[];
  /** Folder of the bots' stores (default `.mmdbot-store` beside the manifest). */
  storeDir?: string;
  logger: Logger;
  clock?: Clock;
}

/** Why a session could not start: every problem with file:line, as `check` prints them. */
export class SessionError extends MmdbotError {
  /** The findings that stopped the start. */
  readonly findings: readonly Finding[];
  /** Builds the error from the findings that are errors. */
  constructor(message: string, findings: readonly Finding[] = []) {
    super(message);
    this.name = "SessionError";
    this.findings = findings;
  }
}

/** A running session. */
export interface Session extends ControlTarget {
  readonly plan: ConnectionPlan;
  readonly link: Link;
  readonly host: Host;
  /** The composed runtime (host, tap, operator sends) the session serves. */
  readonly runtime: Runtime;
  /** The in-process emulator in console mode. */
  readonly emulator?: Emulator;
  /**
   * Console mode: the emulator's side of the memory connection (tests make MMDAgent-EX leave and
   * come back with it, as a restarted binary would).
   */
  readonly emulatorSide?: EmulatorMemorySide;
  readonly tap: TrafficTap;
  readonly sandbox: DetectedSandbox;
  /** Resolves when the session has ended (stop, signal, or stdin EOF in stdio mode). */
  readonly ended: Promise<void>;
  /**
   * What a stop in progress is waiting for (undefined before a stop and after it): named in the
   * error when a stop overruns its bound, so a hang says where it is.
   */
  readonly stopPhase: string | undefined;
}

/** Link counters for `status`, with the connection time as a date when the clock is the wall's. */
function readableStats(stats: LinkStats, clock: Clock): Record<string, unknown> {
  const { connectedSince, ...rest } = stats;
  if (connectedSince === undefined) return rest;
  return {
    ...rest,
    connectedSince: clock === realClock ? new Date(connectedSince).toISOString() : connectedSince,
  };
}

/** The session's stop phase while the runtime stops (the runtime names its own finer phase). */
const RUNTIME_PHASE = "stopping the runtime";

/** Starts a session; rejects with a {@link SessionError} a person can act on. */
export async function startSession(options: SessionOptions): Promise<Session> {
  const log = options.logger;
  const clock = options.clock ?? realClock;
  const startedAt = new Date().toISOString();

  // 1. The connection plan, exactly as MMDAgent-EX reads its .mdf.
  let plan: ConnectionPlan = { mode: "none", reason: "no .mdf given" };
  let hasStartupFst = false;
  let contentDir: string | undefined;
  let fstFile: string | undefined;
  if (options.mdf) {
    const analysis = await analyseMdf(options.mdf, {
      systemMdf: options.systemMdf,
      host: options.host,
      bind: options.bind,
      stdio: options.stdio,
    });
    const findings = analysis.findings;
    for (const f of findings) {
      if (f.severity === "warning") log.warn(formatFinding(f));
      else if (f.severity === "info") log.debug(formatFinding(f));
    }
    const errors = findings.filter((f) => f.severity === "error");
    if (!analysis.doc) {
      // Unreadable: nothing to force.
      throw new SessionError(errors.map(formatFinding).join("\n"), errors);
    }
    if (errors.length > 0 && !options.force) {
      throw new SessionError(
        `${options.mdf} has ${errors.length} error(s); fix them, or start with --force:\n` +
          errors.map(formatFinding).join("\n"),
        errors,
      );
    }
    plan = analysis.plan;
    if (analysis.doc) {
      contentDir = analysis.doc.dir;
      fstFile = startupFst(analysis.doc, options.mdf);
    }
    hasStartupFst = fstFile !== undefined;
  }
  // `--stdio` always means stdio: without an .mdf too (MMDAgent-EX reads our stdout as messages).
  if (options.stdio && !options.mdf) plan = { mode: "stdio" };
  if (options.console) plan = { mode: "none", reason: "--console" };

  if (
    options.queueLines !== undefined &&
    (!Number.isSafeInteger(options.queueLines) || options.queueLines < 1 ||
      options.queueLines > MAX_QUEUE_LINES)
  ) {
    throw new SessionError(
      `--queue-lines must be a whole number from 1 to ${MAX_QUEUE_LINES}, got ` +
        `${options.queueLines} (the default, ${DEFAULT_QUEUE_LIMIT}, holds about a minute of a ` +
        "busy content's lines while MMDAgent-EX is away)",
    );
  }

  // 2. Bots and their sandbox.
  const manifest = withStartLoadTimeout(await loadManifest(options.manifest));
  // Mistakes that would be silent (a misspelt type, a handler its receive list filters out).
  for (const d of await lintBots(manifest)) log.warn(formatDiagnostic(d));
  const unknownRemote = (options.remoteBots ?? []).filter((n) =>
    !manifest.bots.some((b) => b.name === n)
  );
  if (unknownRemote.length > 0) {
    throw new SessionError(
      `${manifest.file} has no enabled bot named ${unknownRemote.join(", ")} (given as served by ` +
        `broker workers); it lists ${manifest.bots.map((b) => b.name).join(", ") || "none"}`,
    );
  }
  const sandbox = await detectSandbox({
    force: Deno.env.get("MMDBOT_SANDBOX") === "deno" ? "deno" : undefined,
  });
  if (sandbox.level === "deno") log.warn(weakerWarning(sandbox));

  // Stdin EOF in stdio mode: once the bots run, wait until the traffic has been quiet for
  // DRAIN_QUIET_MS (their answers are out), at most DRAIN_MAX_MS, then let the link end.
  // Set once the runtime starts (a holder: the drain below is created before the runtime).
  const boot: { ready?: Promise<void> } = {};
  const drainAtEof = async () => {
    const waitStart = performance.now();
    while (!boot.ready && performance.now() - waitStart < STDIO_START_WAIT_MS) {
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!boot.ready) return;
    await boot.ready.catch(() => {});
    // Lines read before the bots ran are kept for them: wait until each bot's first load settled.
    await within(runtime.host.settled(), STDIO_START_WAIT_MS);
    const start = performance.now();
    // Traffic is seen in the counters (a tap listener would build a record for every line).
    const traffic = () => runtime.handled + runtime.link.stats().linesOut;
    let lastTraffic = start;
    let seen = traffic();
    while (
      performance.now() - start < DRAIN_MAX_MS && performance.now() - lastTraffic < DRAIN_QUIET_MS
    ) {
      await new Promise((r) => setTimeout(r, 25));
      const now = traffic();
      if (now !== seen) {
        seen = now;
        lastTraffic = performance.now();
      }
    }
    log.debug("stdin ended: drained the bots' answers", {
      ms: Math.round(performance.now() - start),
    });
  };

  // 3. The one connection: a socket/stdio link, or the emulator behind a memory connection.
  let emulator: Emulator | undefined;
  let emulatorSide: EmulatorMemorySide | undefined;
  let link: Link;
  if (plan.mode === "none") {
    emulator = new Emulator({
      clock,
      log: log.child("emulator"),
      contentDir,
      fstFile,
      ...options.emulator,
    });
    emulator.startup();
    const listener = memoryListener("in-process MMDAgent-EX emulator");
    link = createLink({ kind: "listen", listener }, {
      describe: listener.address,
      queueLimit: options.queueLines,
      clock,
      logger: log.child("link"),
    });
    emulatorSide = emulatorMemorySide(emulator, listener, EMULATOR_CONNECTION);
  } else {
    link = await openLink(plan, {
      clock,
      logger: log,
      queueLimit: options.queueLines,
      cert: options.cert,
      key: options.key,
      // At stdin EOF, MMDAgent-EX's lines already read still get their answers (stdout is open).
      stdio: { ...options.stdioStreams, beforeEnd: () => drainAtEof() },
    });
  }
  log.info(`connection: ${link.describe}`);

  // 4. The runtime: host, tap, guard facts and the pump, composed once (runtime.ts).
  const runtime = createRuntime({
    manifest,
    link,
    clock,
    logger: log,
    launcher: createLauncher(sandbox),
    stores: createStores(options.storeDir ?? defaultStoreDir(manifest.file)),
    content: {
      mode: plan.mode === "stdio" ? "stdio" : "socket",
      maxLineBytes: options.maxLineBytes,
      hasStartupFst,
    },
    // A socket to MMDAgent-EX (maybe the real binary) holds a new connection's first audio until
    // the binary plays it; the in-process emulator (console) and stdio need no hold.
    sndStartupHoldMs: plan.mode === "none" || plan.mode === "stdio" ? 0 : SND_STARTUP_HOLD_MS,
    watch: options.watch ?? true,
    record: options.record,
    services: plan.mode !== "none" && options.trafficView
      ? [
        trafficViewOn(plan.mode === "stdio" ? Deno.stderr : Deno.stdout),
        ...options.services ?? [],
      ]
      : options.services,
    remoteBots: options.remoteBots,
    initialConnection: emulator ? EMULATOR_CONNECTION : undefined,
    // The connection opens and healthy bots answer while a slow bot still loads.
    awaitBots: false,
  });
  const host = runtime.host;
  // `send` through the control channel waits for MMDAgent-EX's echo (it sees every inbound line).
  const deliveries = operatorDeliveries(runtime);
  boot.ready = runtime.start();
  try {
    await boot.ready;
  } catch (err) {
    // A service that cannot start (e.g. the dashboard's port is taken): close what was opened,
    // or the link and the emulator keep the process alive after the error.
    await runtime.stop();
    emulatorSide?.close();
    emulator?.close();
    throw err;
  }
  // Saving the manifest applies it; `reload` re-reads it too.
  const live = liveManifest({
    file: manifest.file,
    host,
    logger: log,
    watch: options.watch ?? true,
    prepare: withStartLoadTimeout,
  });
  // MMDAgent-EX (emulated) connects once the bots run, as a real one would after its start-up.
  emulatorSide?.connect();

  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  let stopping: Promise<void> | undefined;
  let stopPhase: string | undefined;

  const session: Session = {
    plan,
    link,
    get stopPhase() {
      return stopPhase === RUNTIME_PHASE ? runtime.stopPhase ?? stopPhase : stopPhase;
    },
    host,
    runtime,
    emulator,
    emulatorSide,
    tap: runtime.tap,
    sandbox,
    ended,
    async send(line, { allowDangerous }): Promise<ControlSendResult> {
      return controlResult(await runtime.sendAsOperator(line, { allowDangerous }));
    },
    deliver(line, { allowDangerous, echoTimeoutMs }) {
      const d = deliveries.deliver(line, { allowDangerous, echoTimeoutMs });
      return { sent: d.sent, outcome: d.outcome.then(controlResult) };
    },
    tail: (signal) => runtime.tap.subscribe(signal),
    status(): SessionStatus {
      return {
        pid: Deno.pid,
        mdf: options.mdf,
        plan: link.describe,
        startedAt,
        link: readableStats(link.stats(), clock),
        bots: host.status().map((b) => ({
          name: b.name,
          isolation: b.level ? `${b.level} (${b.why ?? ""})` : "not started",
          state: b.state,
          restarts: b.restarts,
          lastError: b.lastError,
        })),
        refusedLines: runtime.refusedOperatorLines,
        conversation: conversationStatus(host.conversation.snapshot()),
      };
    },
    async reload(name) {
      const reread = await live.reread();
      if (!reread.ok) {
        throw new Error(`${reread.error.message}\nthe running bots are kept; nothing was reloaded`);
      }
      const results = await host.reload(name);
      for (const r of results) {
        if (!r.ok) log.error(`reload of ${r.name} failed; the previous version keeps running`);
      }
      return results.filter((r) => r.ok).map((r) => r.name);
    },
    stop() {
      stopping ??= (async () => {
        log.info("stopping: bots first, then the connection (closed once, after flushing)");
        live.close();
        stopPhase = RUNTIME_PHASE;
        await runtime.stop();
        // The control channel may still be opening (a link that ended during start-up).
        stopPhase = "closing the control channel";
        await controlOpening?.catch(() => {});
        await control?.close().catch((err) =>
          log.error(`control channel failed to close: ${err instanceof Error ? err.message : err}`)
        );
        stopPhase = "closing the emulator";
        emulatorSide?.close();
        emulator?.close();
        stopPhase = undefined;
        resolveEnded();
      })();
      return stopping;
    },
  };

  // The link may end by itself (stdin EOF in stdio mode): the whole session ends with it.
  void runtime.ended.then(() => session.stop());
  let control: Awaited<ReturnType<typeof serveControl>> | undefined;
  let controlOpening: Promise<unknown> | undefined;
  if (options.control !== false && Deno.build.os !== "windows") {
    try {
      const opening = serveControl(session, {
        mdfPath: options.mdf,
        logger: log,
        dir: options.controlDir,
      });
      controlOpening = opening;
      control = await opening;
      log.debug(`control channel at ${control.endpoint}`);
    } catch (err) {
      await session.stop();
      throw err;
    }
  }
  return session;
}

/** A delivery outcome in the control channel's terms (`conn` for `connection`). */
function controlResult(r: DeliverResult): ControlSendResult {
  switch (r.status) {
    case "written":
      return { status: "written", conn: r.connection };
    case "delivered":
      return { status: "delivered", conn: r.connection, echoMs: r.echoMs };
    case "not-delivered":
      return { status: "not-delivered", conn: r.connection, reason: r.reason };
    default:
      return r;
  }
}

/** The traffic view writing to `out` (coloured on a terminal unless NO_COLOR is set). */
function trafficViewOn(out: typeof Deno.stdout | typeof Deno.stderr): RuntimeService {
  const encoder = new TextEncoder();
  let color = false;
  try {
    color = out.isTerminal() && !Deno.env.get("NO_COLOR");
  } catch { /* no env permission: plain */ }
  return trafficViewService({ write: (text) => writeAll(out, encoder.encode(text)), color });
}

/** The conversation's part of `status`, from the host's snapshot. */
export function conversationStatus(
  snap: ReturnType<Host["conversation"]["snapshot"]>,
): NonNullable<SessionStatus["conversation"]> {
  const m = snap.metrics;
  return {
    turn: snap.avatar.turn,
    userSpeaking: snap.avatar.userSpeaking,
    speaking: snap.avatar.models.flatMap((x) =>
      x.speaking ? [{ model: x.alias, owner: x.speaking.owner, text: x.speaking.text }] : []
    ),
    metrics: {
      turns: m.turns,
      interruptions: m.interruptions,
      falseInterruptions: m.falseInterruptions,
      dropped: m.dropped,
      toFirstCommandMs: m.toFirstCommandMs,
      toWireMs: m.toWireMs,
      toAudioMs: m.toAudioMs,
    },
  };
}
