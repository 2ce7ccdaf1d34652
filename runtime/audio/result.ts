/**
 * How a clip played, as `ctx.play` resolves: made by the host's audio service, carried to the bot
 * in the `played` IPC message. A leaf (no imports) so the bot side can name it without loading
 * any of the audio room's code.
 */

/** How a clip played (see `ctx.play`). */
export interface PlayResult {
  /** `finished`; `interrupted` (see `by`); `refused`: never played; `failed`: broke while playing. */
  status: "finished" | "interrupted" | "refused" | "failed";
  /** Audio that played, ms (after a stop, the tail already sent included). */
  playedMs: number;
  /** Playback position when the stop came, ms. */
  stoppedAtMs?: number;
  /** Length of the file, ms (files only). */
  durationMs?: number;
  /** What ended it: `barge-in`, `stop`, `turn-ended`, `floor-taken`, `disconnect`, `audio`… */
  by?: string;
  /** The other bot involved (who took the floor), when there is one. */
  bot?: string;
  /** Words for a person: why it was refused or failed. */
  reason?: string;
}
