/**
 * Storyteller: tells a story sentence by sentence as it is "written" (a stand-in for an LLM's
 * token stream), and stops the moment the user starts speaking.
 *
 * - `ctx.speakStream` speaks each sentence as soon as it is complete, one after another on the
 *   avatar's speech floor (each after the previous one's `SYNTH_EVENT_STOP`).
 * - The story is written in `ctx.turn`: when the user speaks again (barge-in), the host stops the
 *   speech with `SYNTH_STOP`, drops the sentences not yet spoken, and the turn's signal aborts, which
 *   ends `ctx.turn.sleep` and with it the writing (an LLM request given the signal is cancelled too).
 * - The result says what happened: `finished`, or `interrupted` by `barge-in` after `utterances`.
 */
import { createBot, type Turn } from "../../mod.ts";

/** The model and voice of MMDAgent-EX's example content. */
export const MODEL = "mei";
export const VOICE = "mei_voice_normal";

/** The story, written a few words at a time. */
export const STORY = [
  "Once upon a time, a small robot lived by the sea.",
  "Every morning it counted the waves, one by one.",
  "One day a wave answered back, and asked its name.",
  "The robot had never needed a name before.",
  "So it chose one, and the sea has used it ever since.",
];

/** Yields the story in pieces of three words, 40 ms apart (as tokens arrive), within the turn. */
async function* write(turn: Turn): AsyncGenerator<string> {
  for (const sentence of STORY) {
    const words = sentence.split(" ");
    for (let i = 0; i < words.length; i += 3) {
      await turn.sleep(40); // rejects when the turn ends: the writing stops
      yield words.slice(i, i + 3).join(" ") + " ";
    }
  }
}

const bot = createBot();

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if (!/\bstory\b/i.test(ctx.args.result ?? "") || !ctx.turn) return;
  const r = await ctx.speakStream(MODEL, VOICE, write(ctx.turn));
  if (r.status === "interrupted") {
    ctx.log.info(`stopped by ${r.by} after ${r.utterances} sentences`);
  } else if (r.status !== "finished") ctx.log.warn(`story ${r.status}: ${r.reason}`);
});

export default bot;
