/**
 * Turn records and their summary: how long from the end of the user's speech to the first answer
 * command, to that command on the wire, and to the first audio (`SYNTH_EVENT_START`), over the
 * most recent turns, plus interruptions and dropped utterances.
 *
 * @module
 */
import type { TurnMetricsSummary, TurnRecord } from "./types.ts";

/** Turns kept for `status` and the dashboard. */
export const RECENT_TURNS = 100;

/** The value at quantile `q` (0..1) of `values` (nearest rank), or undefined for none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Summarises turn records. */
export function summarise(turns: readonly TurnRecord[]): TurnMetricsSummary {
  const spans = (pick: (t: TurnRecord) => number | undefined) => {
    const v: number[] = [];
    for (const t of turns) {
      const at = pick(t);
      if (at !== undefined && t.userEndAt !== undefined && at >= t.userEndAt) {
        v.push(at - t.userEndAt);
      }
    }
    return { p50: quantile(v, 0.5), p95: quantile(v, 0.95) };
  };
  return {
    turns: turns.length,
    interruptions: turns.filter((t) => t.interrupted).length,
    falseInterruptions: turns.filter((t) => t.falseInterruption).length,
    dropped: turns.reduce((n, t) => n + t.dropped, 0),
    toFirstCommandMs: spans((t) => t.firstCommandAt),
    toWireMs: spans((t) => t.firstWireAt),
    toAudioMs: spans((t) => t.firstAudioAt),
  };
}
