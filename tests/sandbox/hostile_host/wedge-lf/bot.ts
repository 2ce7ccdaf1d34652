// Hostile: sends two lines in one (LF inside a line wedges the receiver). Sends one line on KEY|go and reports how the host answered.
import { createBot, RefusedError } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  let outcome = "sent";
  try {
    await ctx.sendRaw("A|1\nB|2");
  } catch (e) {
    outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "wedge-lf", outcome })}`);
});
export default bot;
