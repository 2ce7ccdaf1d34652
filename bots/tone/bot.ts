/**
 * Tone: streams audio it makes itself (a short tune of sine tones) to the avatar through
 * `ctx.play`, the way a bot streams its own TTS: PCM chunks in any common format (here 24 kHz
 * mono 16-bit), converted and paced by the host.
 *
 * A stream is read only as fast as it plays (plus a little read-ahead): the generator below runs
 * a few chunks ahead of the avatar, never the whole tune at once. When the user starts speaking
 * the host stops the clip (barge-in), ends the generator (its `finally` runs), and the result says
 * how much played.
 */
import { createBot } from "../../mod.ts";

/** The model of MMDAgent-EX's example content. */
export const MODEL = "mei";
/** Sample rate of the generated audio (the host resamples it to 16 kHz). */
export const RATE = 24000;
/** The tune: Hz and ms of each note (about 4 s). */
export const TUNE: readonly [number, number][] = [
  [523, 400],
  [659, 400],
  [784, 400],
  [1047, 800],
  [784, 400],
  [659, 400],
  [523, 1200],
];

const ASK = /\b(tone|tune|beep|play (a|some) (tone|music))\b/i;

/** The tune as 100 ms chunks of 24 kHz mono s16le, made as they are asked for. */
export async function* tune(onEnd?: () => void): AsyncGenerator<Uint8Array> {
  try {
    let phase = 0;
    for (const [hz, ms] of TUNE) {
      const n = Math.round((RATE * ms) / 1000);
      for (let at = 0; at < n; at += RATE / 10) {
        const len = Math.min(RATE / 10, n - at);
        const s = new Int16Array(len);
        for (let i = 0; i < len; i++) {
          // A short fade at each note's ends: no clicks between notes.
          const k = at + i;
          const fade = Math.min(1, k / 240, (n - k) / 240);
          s[i] = Math.round(9000 * fade * Math.sin(phase));
          phase += (2 * Math.PI * hz) / RATE;
        }
        yield new Uint8Array(s.buffer);
      }
    }
  } finally {
    onEnd?.();
  }
}

const bot = createBot();

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if (!ASK.test(ctx.args.result ?? "")) return;
  const r = await ctx.play(MODEL, tune(), {
    format: { sampleRate: RATE, channels: 1, format: "s16" },
  });
  if (r.status === "finished") ctx.log.info(`tune played (${r.playedMs} ms)`);
  else if (r.status === "interrupted") {
    ctx.log.info(`tune cut by ${r.by} at ${r.stoppedAtMs} ms (${r.playedMs} ms played)`);
  } else ctx.log.warn(`tune ${r.status}: ${r.reason}`);
});

export default bot;
