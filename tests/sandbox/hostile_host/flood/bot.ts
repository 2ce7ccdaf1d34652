// Hostile: floods MMDAgent-EX with 5000 valid lines sent as fast as the API allows, and reports
// how many the host let through and how many it refused (by refusal code).
import { createBot, RefusedError } from "../../../../mod.ts";

const LINES = 5000;

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  const pending = [];
  for (let i = 0; i < LINES; i++) pending.push(ctx.sendRaw(`FLOOD|${i}`));
  const outcomes: Record<string, number> = {};
  for (const r of await Promise.allSettled(pending)) {
    const key = r.status === "fulfilled"
      ? "sent"
      : r.reason instanceof RefusedError
      ? r.reason.refusal.code
      : `error: ${r.reason}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "flood", outcome: outcomes })}`);
});
export default bot;
