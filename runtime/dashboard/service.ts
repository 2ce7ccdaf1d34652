/**
 * The dashboard as one of the runtime's services (`RuntimeService`): it starts once the host, the
 * tap and the link exist and before the bots start, so the page also shows what the bots did while
 * they started (their setup lines, a refusal at load), and it stops after the bots and before the
 * link closes. Lines sent from the page take the runtime's operator path (`sendAsOperator`: the
 * bots' ACL with no grants, the guard, the echo mark `operator`), exactly as `mmdbot send` does.
 */
import type { Logger } from "../log/logger.ts";
import type { Runtime, RuntimeService } from "../session/runtime.ts";
import type { ControlSendResult } from "../control/target.ts";
import { type Dashboard, serveDashboard } from "./server.ts";
import { conversationFeed } from "./conversation_feed.ts";
import type { DashboardSource } from "./source.ts";

/** What the runtime itself does not know about the run, for the page's header. */
export interface RunInfo {
  /** The content's `.mdf`, if any. */
  mdf?: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
}

/** The runtime as the dashboard sees it. */
export function runtimeSource(rt: Runtime, info: RunInfo): DashboardSource {
  return {
    // Turns, the avatar mirror and their metrics, tracked by the host (runtime/host/speech.ts).
    conversation: conversationFeed(rt.host.conversation),
    onTraffic: (fn) => rt.tap.onRecord(fn),
    onRefused: (fn) => rt.host.onRefused((source, line, refusal) => fn({ source, line, refusal })),
    onLinkState: (fn) =>
      rt.onLinkState((ev) => fn({ state: ev.state, connection: ev.connection, detail: ev.detail })),
    bots: () =>
      rt.host.status().map((b) => ({
        name: b.name,
        state: b.state,
        level: b.level,
        why: b.why,
        pid: b.pid,
        restarts: b.restarts,
        lastError: b.lastError,
        rateLimited: b.rateLimited,
        handlerErrors: b.handlerErrors,
      })),
    link: () => ({
      plan: rt.link.describe,
      mdf: info.mdf,
      startedAt: info.startedAt,
      stats: { ...rt.link.stats() },
    }),
    async send(line, options): Promise<ControlSendResult> {
      const r = await rt.sendAsOperator(line, options);
      if (r.status === "written") return { status: "written", conn: r.connection };
      return r;
    },
    reload: (name) => rt.host.reload(name),
  };
}

/** Options of {@link dashboardService}. */
export interface DashboardServiceOptions extends RunInfo {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  logger: Logger;
  /** Called once the page is served (print `dashboard.url` for the user). */
  onReady?(dashboard: Dashboard): void;
}

/** The dashboard service; `dashboard` is set once it has started. */
export interface DashboardService extends RuntimeService {
  readonly dashboard: Dashboard | undefined;
}

/**
 * Creates the dashboard service for `createRuntime({ services })` / `startSession({ services })`.
 *
 * @example
 * ```ts ignore
 * const svc = dashboardService({ port: 0, logger, startedAt: new Date().toISOString(),
 *   onReady: (d) => logger.info(`dashboard: ${d.url}`) });
 * const session = await startSession({ manifest, logger, services: [svc] });
 * ```
 */
export function dashboardService(options: DashboardServiceOptions): DashboardService {
  let dashboard: Dashboard | undefined;
  return {
    name: "dashboard",
    get dashboard() {
      return dashboard;
    },
    async start(rt) {
      dashboard = await serveDashboard(runtimeSource(rt, options), {
        port: options.port,
        logger: options.logger,
      });
      options.onReady?.(dashboard);
    },
    async stop() {
      await dashboard?.close();
    },
  };
}
