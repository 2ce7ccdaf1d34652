/**
 * Keyword Q&A driven by `qa.yaml` in this folder (the FST-style use case, without an FST): when
 * what the user said contains a keyword, the avatar speaks the answer. The bot reads only its own
 * folder, which every bot may; editing `qa.yaml` reloads it.
 */
import { createBot } from "../../mod.ts";
import { findAnswer, parseQa, type QaEntry } from "./qa_yaml.ts";

const MODEL = "mei";
const VOICE = "mei_voice_normal";

const bot = createBot<{ entries: QaEntry[] }>({ state: () => ({ entries: [] }) });

bot.onStart(async (ctx) => {
  const text = await Deno.readTextFile(new URL("./qa.yaml", import.meta.url));
  ctx.state.entries = parseQa(text);
  ctx.log.info(`${ctx.state.entries.length} answers loaded`);
});

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const answer = findAnswer(ctx.state.entries, ctx.args.result ?? "");
  if (answer) await ctx.speak(MODEL, VOICE, answer);
});

export default bot;
