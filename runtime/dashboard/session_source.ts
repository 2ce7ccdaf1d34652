/**
 * The running session as a {@link DashboardSource}: traffic from the session's tap, refusals from
 * the host's outbound path, bot rows from the host, and sends through the session's operator path
 * (the host's outbound path, as `mmdbot send`). The dashboard's own refused sends reach the refusal
 * feed from the host like every other, under the operator's one name, `operator`.
 */
import type { AvatarState, TurnMetricsSummary, TurnRecord } from "../conversation/types.ts";
import type { Session } from "../session/session.ts";
import type { ConversationFeed, DashboardSource } from "./source.ts";

/** What the host offers of its conversation (contracts.md, "Dashboard (#17) reads"). */
export interface ConversationSnapshots {
  snapshot(): { avatar: AvatarState; turns: TurnRecord[]; metrics: TurnMetricsSummary };
  subscribe(fn: (ev: unknown) => void): () => void;
}

/** The host's conversation (turns, avatar mirror, metrics) as the page reads it. */
export function conversationFeed(c: ConversationSnapshots): ConversationFeed {
  // One snapshot serves the three reads the server makes in a row.
  let cached: ReturnType<ConversationSnapshots["snapshot"]> | undefined;
  const snap = () => {
    if (!cached) {
      cached = c.snapshot();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  return {
    avatar: () => snap().avatar,
    turns: () => snap().turns,
    metrics: () => snap().metrics,
    subscribe: (fn) => c.subscribe(() => fn()),
  };
}

/** The session seen by the dashboard. */
export function sessionSource(session: Session): DashboardSource {
  // The host owns the conversation once it tracks one (conversation room); until then none.
  const conversation = (session.host as { conversation?: ConversationSnapshots }).conversation;
  return {
    conversation: conversation ? conversationFeed(conversation) : undefined,
    onTraffic: (fn) => session.tap.onRecord(fn),
    onRefused: (fn) =>
      session.host.onRefused((source, line, refusal) => fn({ source, line, refusal })),
    bots: () =>
      session.host.status().map((b) => ({
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
    link() {
      const s = session.status();
      return { plan: s.plan, mdf: s.mdf, startedAt: s.startedAt, stats: s.link };
    },
    send: (line, options) => session.send(line, options),
    reload: (name) => session.host.reload(name),
  };
}
