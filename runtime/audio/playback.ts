/**
 * Where playback is, for audio streamed as `SND` packets. MMDAgent-EX reports nothing for streamed
 * audio (reference speech.md section 6), so the sender keeps this model of the sound device: audio
 * plays in the order sent, at real time, from the moment it arrives; when the queue runs dry the
 * device is silent, and audio that arrives later plays at once (an underrun leaves a gap, it does not
 * speed up what follows).
 *
 * Positions are milliseconds of audio; times are the host clock's milliseconds. The binary adds
 * its own output latency on top (observed: the first packet is heard 90-99 ms after it arrives),
 * a constant delay that this model leaves out.
 */

/** The playback model of one utterance (see the module documentation). */
export interface Playback {
  /** Records `durationMs` of audio sent at clock time `now`; returns when it starts playing. */
  sent(durationMs: number, now: number): number;
  /** Audio sent but not yet played at `now`, in ms: what a stop can no longer recall. */
  ahead(now: number): number;
  /** Audio played by `now`, in ms. */
  played(now: number): number;
  /** Audio sent so far, in ms. */
  readonly sentMs: number;
  /** Clock time at which everything sent so far has played (0 before the first send). */
  readonly endsAt: number;
}

/**
 * A fresh playback model.
 *
 * @example
 * const pb = createPlayback();
 * pb.sent(40, 1000); // starts at 1000
 * pb.ahead(1010); // 30
 */
export function createPlayback(): Playback {
  let endsAt = 0;
  let sentMs = 0;
  return {
    sent(durationMs, now) {
      const start = Math.max(endsAt, now);
      endsAt = start + durationMs;
      sentMs += durationMs;
      return start;
    },
    ahead(now) {
      return Math.max(0, endsAt - now);
    },
    played(now) {
      return sentMs - Math.max(0, endsAt - now);
    },
    get sentMs() {
      return sentMs;
    },
    get endsAt() {
      return endsAt;
    },
  };
}
