/**
 * Chime: plays a WAV shipped in its own folder (`chime.wav`) on the avatar when the user asks
 * for the chime, through `ctx.play`.
 *
 * The host reads the file (the bot names it; it must be inside the bot's folder), converts it to
 * the 16 kHz mono audio MMDAgent-EX takes, and sends it as `SND` packets paced in real time, with
 * lip sync from the loudness. Like speech, the clip is an utterance on the avatar's floor: when the
 * user starts speaking (barge-in) the host stops sending at once and what was sent (at most 120 ms)
 * plays out; the result says so.
 */
import { createBot } from "../../mod.ts";

/** The model of MMDAgent-EX's example content. */
export const MODEL = "mei";

const ASK = /\b(chime|ring( the)? bell|ding)\b|チャイム/i;

const bot = createBot();

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if (!ASK.test(ctx.args.result ?? "")) return;
  const r = await ctx.play(MODEL, "chime.wav");
  if (r.status === "finished") ctx.log.info(`chime played (${r.playedMs} ms)`);
  else if (r.status === "interrupted") {
    ctx.log.info(`chime cut by ${r.by} at ${r.stoppedAtMs} ms (${r.playedMs} ms played)`);
  } else ctx.log.warn(`chime ${r.status}: ${r.reason}`);
});

export default bot;
