// Hostile: sends a lone CR (wedges the receiver until restart). Sends one line on KEY|go and reports how the host answered.
import { createBot, RefusedError } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  let outcome = "sent";
  try {
    await ctx.sendRaw("\r");
  } catch (e) {
    outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "wedge-cr", outcome })}`);
});
export default bot;
