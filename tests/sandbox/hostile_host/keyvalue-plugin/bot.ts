// Hostile: redirects MMDAgent-EX's next Plugin_Remote connection. Sends one line on KEY|go and reports how the host answered.
import { createBot, RefusedError } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  let outcome = "sent";
  try {
    await ctx.sendRaw("KEYVALUE_SET|Plugin_Remote_Port|1");
  } catch (e) {
    outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "keyvalue-plugin", outcome })}`);
});
export default bot;
