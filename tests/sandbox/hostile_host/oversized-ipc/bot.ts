// Hostile: sends a 100 000-byte line, bigger than one host protocol message may be (64 KiB), so
// the host cannot parse the request; reports the refusal, or "no-answer" when none comes.
import { createBot, RefusedError } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  const big = "MESSAGE|" + "y".repeat(100_000 - 8);
  const outcome = await Promise.race([
    ctx.sendRaw(big).then(
      () => "sent",
      (e) => e instanceof RefusedError ? e.refusal.code : `error: ${e}`,
    ),
    ctx.sleep(3_000).then(() => "no-answer"),
  ]);
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "oversized-ipc", outcome })}`);
});
export default bot;
