// Hostile: feeds a hotkey to MMDAgent-EX's key handler (quit, full screen, dialogs). Sends one line on KEY|go and reports how the host answered.
import { createBot, RefusedError } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  let outcome = "sent";
  try {
    await ctx.sendRaw("REMOTEKEY_CHAR|q");
  } catch (e) {
    outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "remotekey-char", outcome })}`);
});
export default bot;
