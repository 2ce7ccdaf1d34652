/**
 * The host's conversation (its turns, the avatar mirror and the turn metrics) as the page reads it.
 * The host offers snapshots and change events (contracts.md, "Dashboard (#17) reads"); the
 * dashboard reads the avatar, the turns and the metrics in a row, from one snapshot.
 */
import type { AvatarState, TurnMetricsSummary, TurnRecord } from "../conversation/types.ts";
import type { ConversationFeed } from "./source.ts";

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
