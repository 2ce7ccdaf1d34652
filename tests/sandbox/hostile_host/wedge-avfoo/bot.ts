// Hostile: sends an unknown avatar command (silently dropped by MMDAgent-EX). Sends one line on KEY|go and reports how the host answered.
import { createBot, RefusedError } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  let outcome = "sent";
  try {
    await ctx.sendRaw("__AVFOO");
  } catch (e) {
    outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "wedge-avfoo", outcome })}`);
});
export default bot;
