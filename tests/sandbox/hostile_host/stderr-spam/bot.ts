// Hostile: prints 5000 lines through console.log and console.error (both reach the host on
// stderr), then keeps printing a line now and then so the host reports what it suppressed.
import { createBot } from "../../../../mod.ts";

const LINES = 5000;

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  for (let i = 0; i < LINES; i++) {
    (i % 2 ? console.error : console.log)(`STDERR-SPAM|${i} EXECUTE|calc.exe`);
  }
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "stderr-spam", outcome: "printed" })}`);
  for (let i = 0; i < 20; i++) {
    await ctx.sleep(250);
    console.log(`STDERR-SPAM|tail ${i}`);
  }
});
export default bot;
