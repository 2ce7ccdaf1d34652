/**
 * Greeter: answers the user's greetings by voice and waits for the speech to end.
 *
 * MMDAgent-EX sends `RECOG_EVENT_STOP|<words>` when it recognised speech (console mode sends the
 * same for each typed line); the bot answers on the avatar's speech floor with `ctx.speak`, which
 * resolves with what became of that very utterance: finished, interrupted (the user spoke again),
 * refused (another bot already answers this turn) or timed out (a content without a voice).
 */
import { createBot } from "../../mod.ts";

/** The model and voice of MMDAgent-EX's example content. */
export const MODEL = "mei";
export const VOICE = "mei_voice_normal";

const GREETING =
  /\b(hello|hi|hey|good (morning|afternoon|evening))\b|こんにちは|こんばんは|おはよう/i;
const FAREWELL = /\b(bye|goodbye|good night|see you)\b|さようなら|おやすみ/i;

const bot = createBot({ state: () => ({ greeted: 0 }) });

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = (ctx.args.result ?? "").trim();
  let reply: string | undefined;
  if (GREETING.test(said)) {
    ctx.state.greeted++;
    reply = ctx.state.greeted === 1 ? "Hello! Nice to meet you." : "Hello again!";
  } else if (FAREWELL.test(said)) {
    reply = "Goodbye! Talk to you soon.";
  }
  if (!reply) return;
  const r = await ctx.speak(MODEL, VOICE, reply);
  if (r.status === "timed-out") ctx.log.warn(`no SYNTH_EVENT_STOP came: ${r.reason}`);
});

export default bot;
