/**
 * A running mmdbot session: the one place where the rooms meet. It reads the `.mdf`, takes the
 * opposite role on one session-long {@link Link} (or an in-process emulator in console mode), starts
 * the bot host, pumps every inbound line to the bots, taps all traffic for `listen`/`--record`, and
 * serves the local control channel so `send`/`listen` never open a second connection.
 *
 * Nothing here writes to the link except through the host's outbound path (ACL, rate limit, guard)
 * or the operator guard: the guard is the only door to the wire.
 */
import { type Clock, realClock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { analyseMdf } from "../mdf/analyse.ts";
import type { ConnectionPlan } from "../mdf/plan_types.ts";
import { type Finding, formatFinding } from "../mdf/finding.ts";
import { loadManifest } from "../manifest/load.ts";
import { createHost, type Host } from "../host/host.ts";
import { type DetectedSandbox, detectSandbox, weakerWarning } from "../sandbox/detect.ts";
import { createLauncher } from "../sandbox/launcher.ts";
import { openLink } from "../transport/open.ts";
import type { Link, LinkStats } from "../transport/types.ts";
import { Emulator, type EmulatorOptions } from "../emulator/core.ts";
import { operatorGuard } from "../control/operator_guard.ts";
import { serveControl } from "../control/server.ts";
import type { GuardContext } from "../wire/guard.ts";
import { parseInbound } from "../wire/parse.ts";
import { openRecordWriter, type RecordWriter } from "../record/writer.ts";
import type { ControlSendResult, ControlTarget, SessionStatus } from "./control_target.ts";
import { startupFst } from "./content.ts";
import { emulatorLink } from "./emulator_link.ts";
import { createTrafficTap, type TrafficTap } from "./traffic.ts";
import { createVariableTracker } from "./variables.ts";

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
  /** Serve the control channel (default true). */
  control?: boolean;
  /** Runtime directory override for the control channel (tests). */
  controlDir?: string;
  /** Console mode's emulator settings (voice, content folder). */
  emulator?: EmulatorOptions;
  logger: Logger;
  clock?: Clock;
}

/** Why a session could not start: every problem with file:line, as `check` prints them. */
export class SessionError extends Error {
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
  /** The in-process emulator in console mode. */
  readonly emulator?: Emulator;
  readonly tap: TrafficTap;
  readonly sandbox: DetectedSandbox;
  /** Resolves when the session has ended (stop, signal, or stdin EOF in stdio mode). */
  readonly ended: Promise<void>;
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

  // 2. Bots and their sandbox.
  const manifest = await loadManifest(options.manifest);
  const sandbox = await detectSandbox({
    force: Deno.env.get("MMDBOT_SANDBOX") === "deno" ? "deno" : undefined,
  });
  if (sandbox.level === "deno") log.warn(weakerWarning(sandbox));

  // 3. The one connection.
  let emulator: Emulator | undefined;
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
    link = emulatorLink(emulator);
  } else {
    link = await openLink(plan, {
      clock,
      logger: log,
      cert: options.cert,
      key: options.key,
    });
  }
  log.info(`connection: ${link.describe}`);

  const variables = createVariableTracker();
  const guardContext = (): GuardContext => ({
    mode: plan.mode === "stdio" ? "stdio" : "socket",
    maxLineBytes: options.maxLineBytes,
    commands: { hasStartupFst, variables: variables.known() },
  });

  const tap = createTrafficTap(() => clock.now());
  let recorder: RecordWriter | undefined;
  if (options.record) {
    recorder = openRecordWriter(options.record);
    tap.onRecord((r) => recorder!.write(r));
    log.info(`recording every line to ${options.record}`);
  }
  let currentConn = plan.mode === "none" ? "console" : "";
  let refused = 0;

  const host = createHost({
    manifest,
    clock,
    logger: log,
    guardContext,
    watch: options.watch ?? true,
    launcher: createLauncher(sandbox),
    setSetup: (units) => {
      link.setSetup(units);
    },
    sink: (unit, source) => {
      // Tapped when handed to the link, not when written: the link's own promise goes back to the
      // sender, so a bot's send costs no extra promise hop (every unit was tapped whatever its
      // outcome before too). A failing recorder still reaches the sender as a rejection.
      const sent = link.send(unit);
      try {
        tap.emit("out", currentConn, unit.text, { bot: source });
      } catch (err) {
        return Promise.reject(err);
      }
      return sent;
    },
  });
  await host.start();
  for (const b of host.status()) {
    log.info(`bot ${b.name}: ${b.state}${b.level ? `, isolation ${b.level} (${b.why})` : ""}`);
  }

  // 4. Pump: every inbound line to the bots, state changes to the host.
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  let stopping: Promise<void> | undefined;
  // The pump may end before `session` is built (a link that closes at once); it stops through this.
  const self = { stop: (): Promise<void> => Promise.resolve() };
  const pump = (async () => {
    for await (const ev of link.events()) {
      if (ev.kind === "line") {
        const msg = parseInbound(ev.line.text);
        variables.observe(msg.type, msg.fields);
        const { echoOf } = host.deliver(ev.line, { connection: ev.connection, message: msg });
        tap.emit("in", ev.connection, ev.line.text, { bot: echoOf, echo: echoOf !== undefined });
      } else if (ev.kind === "dropped") {
        log.warn(
          `dropped an inbound line of ${ev.dropped.byteLength} bytes (over the inbound limit)`,
          { head: ev.dropped.head.slice(0, 60) },
        );
      } else if (ev.state === "connected" && ev.connection) {
        currentConn = ev.connection;
        log.info(`MMDAgent-EX connected (${ev.connection})`);
        host.connected(ev.connection);
      } else if (ev.state === "disconnected") {
        log.warn(
          `MMDAgent-EX disconnected${ev.detail ? ` (${ev.detail})` : ""}; on Linux its ` +
            "Plugin_Remote service may be gone until it is restarted",
        );
        variables.disconnected();
        host.disconnected();
      } else if (ev.state === "closed") {
        break;
      }
    }
    // The link ended by itself (stdin EOF in stdio mode) or through stop().
    void self.stop();
  })();

  const session: Session = {
    plan,
    link,
    host,
    emulator,
    tap,
    sandbox,
    ended,
    async send(line, { allowDangerous }): Promise<ControlSendResult> {
      const verdict = operatorGuard(line, { ...guardContext(), allowDangerous });
      if (!verdict.ok) {
        refused++;
        return { status: "refused", refusal: verdict.refusal };
      }
      const outcome = await link.send(verdict.unit);
      tap.emit("out", currentConn, verdict.unit.text, { bot: "control" });
      if (outcome.status === "written") return { status: "written", conn: outcome.connection };
      return outcome;
    },
    tail: (signal) => tap.subscribe(signal),
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
        refusedLines: refused,
      };
    },
    async reload(name) {
      const results = await host.reload(name);
      for (const r of results) {
        if (!r.ok) log.error(`reload of ${r.name} failed; the previous version keeps running`);
      }
      return results.filter((r) => r.ok).map((r) => r.name);
    },
    stop() {
      stopping ??= (async () => {
        log.info("stopping: bots first, then the connection (closed once, after flushing)");
        await host.stop();
        await link.close();
        await control?.close();
        await pump.catch(() => {});
        recorder?.close();
        emulator?.close();
        resolveEnded();
      })();
      return stopping;
    },
  };

  self.stop = () => session.stop();
  let control: Awaited<ReturnType<typeof serveControl>> | undefined;
  if (options.control !== false && Deno.build.os !== "windows") {
    try {
      control = await serveControl(session, {
        mdfPath: options.mdf,
        logger: log,
        dir: options.controlDir,
      });
      log.debug(`control channel at ${control.endpoint}`);
    } catch (err) {
      await session.stop();
      throw err;
    }
  }
  return session;
}
