// The normal bot beside the hostile ones: answers every utterance with PONG|<what was said>.
import { createBot } from "../../../../mod.ts";

const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  await ctx.sendRaw(`PONG|${ctx.args.result}`);
});
export default bot;
