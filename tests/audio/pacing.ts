/**
 * How paced audio looked at the receiving end, from the packets' arrival times alone: a device
 * that starts playing at the first packet, plays at real time and pauses when it runs dry (the
 * binary's constant output latency left out, as the sender's own model leaves it out). Shared by
 * the tests and the bench; written independently of `runtime/audio/playback.ts` on purpose.
 */

/** One packet as it arrived: clock time and audio length, ms. */
export interface Arrival {
  at: number;
  ms: number;
}

/** What the arrivals show. */
export interface Pacing {
  /** Most audio received and not yet played, just after a packet arrived, ms. */
  maxAheadMs: number;
  /** From the first arrival to the last, ms. */
  spanMs: number;
  /**
   * Per packet after the start-up burst (the packets that fill the lookahead): arrival time
   * minus when the packet was due (a steady sender keeps `lookaheadMs` ahead), ms.
   */
  lateness: number[];
  /**
   * Per packet after the start-up burst: the gap since the previous arrival minus that packet's
   * length, ms (0 for a steady sender; a stall shows as one long gap and then short ones).
   */
  gapJitter: number[];
  /** Audio received, ms. */
  totalMs: number;
}

/** Reads {@link Pacing} out of arrivals (oldest first) for a sender keeping `lookaheadMs` ahead. */
export function pacingOf(arrivals: readonly Arrival[], lookaheadMs: number): Pacing {
  if (arrivals.length === 0) {
    return { maxAheadMs: 0, spanMs: 0, lateness: [], gapJitter: [], totalMs: 0 };
  }
  const t0 = arrivals[0].at;
  let queue = 0;
  let last = t0;
  let maxAhead = 0;
  let received = 0;
  const lateness: number[] = [];
  const gapJitter: number[] = [];
  let prev: Arrival | undefined;
  for (const a of arrivals) {
    queue = Math.max(0, queue - (a.at - last)) + a.ms;
    last = a.at;
    // Due when the audio before it has played down to the lookahead minus its own length.
    const due = t0 + received + a.ms - lookaheadMs;
    if (due > t0) {
      lateness.push(a.at - due);
      if (prev) gapJitter.push(a.at - prev.at - prev.ms);
    }
    prev = a;
    received += a.ms;
    maxAhead = Math.max(maxAhead, queue);
  }
  return {
    maxAheadMs: maxAhead,
    spanMs: arrivals[arrivals.length - 1].at - t0,
    lateness,
    gapJitter,
    totalMs: received,
  };
}

/** The q-quantile (0..1) of `values` (nearest rank); undefined when empty. */
export function quantileOf(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
