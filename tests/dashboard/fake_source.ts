/**
 * A {@link DashboardSource} double for the server and page tests: a real traffic tap, a refusal
 * feed, the real operator path (host/outbound.ts) for sends, fixed bot rows, and a conversation feed the test sets.
 * The real session behind the dashboard is exercised by browser_test.ts.
 */
import { realClock } from "../../runtime/clock/clock.ts";
import { createEchoTracker } from "../../runtime/host/echo.ts";
import { createOutbound } from "../../runtime/host/outbound.ts";
import { silentLogger } from "../../runtime/log/logger.ts";
import { createTrafficTap } from "../../runtime/session/traffic.ts";
import type {
  AvatarView,
  DashboardSource,
  RefusedLine,
  TurnMetricsView,
  TurnView,
} from "../../runtime/dashboard/source.ts";

/** What a test sets for the conversation feed; `changed()` (set by fakeSource) tells the dashboard. */
export interface FakeConversation {
  avatar: AvatarView;
  turns: TurnView[];
  metrics: TurnMetricsView;
  changed(): void;
}

/** The source double; pass `conversation` to give it a conversation feed. */
export function fakeSource(conversation?: FakeConversation) {
  const tap = createTrafficTap(() => performance.now());
  const refusedFns = new Set<(r: RefusedLine) => void>();
  const sent: string[] = [];
  const reloads: (string | undefined)[] = [];
  const convFns = new Set<() => void>();
  const conv = conversation;
  if (conv) conv.changed = () => convFns.forEach((f) => f());
  const outbound = createOutbound({
    clock: realClock,
    log: silentLogger,
    guardContext: () => ({ commands: { hasStartupFst: false } }),
    echo: createEchoTracker(),
    onRefused: (src, line, refusal) =>
      refusedFns.forEach((fn) => fn({ source: src, line, refusal })),
    sink: (unit, src) => {
      sent.push(unit.text);
      tap.emit("out", "test", unit.text, { bot: src });
      return Promise.resolve({ status: "written", connection: "test" });
    },
  });
  const source: DashboardSource = {
    onTraffic: (fn) => tap.onRecord(fn),
    onRefused(fn) {
      refusedFns.add(fn);
      return () => refusedFns.delete(fn);
    },
    bots: () => [{ name: "greeter", state: "running", level: "os", restarts: 0 }],
    link: () => ({ plan: "test", startedAt: "2026-01-01T00:00:00.000Z", stats: { state: "up" } }),
    async send(line, { allowDangerous }) {
      const r = await outbound.sendAsOperator(line, { allowDangerous });
      if (!r.ok) return { status: "refused", refusal: r.refusal };
      return r.outcome.status === "written" ? { status: "written", conn: "test" } : r.outcome;
    },
    reload(name) {
      reloads.push(name);
      return Promise.resolve([{ name: name ?? "greeter", ok: true }]);
    },
  };
  if (conv) {
    source.conversation = {
      avatar: () => conv.avatar,
      turns: () => conv.turns,
      metrics: () => conv.metrics,
      subscribe(fn) {
        convFns.add(fn);
        return () => convFns.delete(fn);
      },
    };
  }
  return {
    source,
    tap,
    sent,
    reloads,
    refuse: (r: RefusedLine) => refusedFns.forEach((f) => f(r)),
  };
}
