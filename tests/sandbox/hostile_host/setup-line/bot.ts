// Hostile: registers per-connection setup lines (replayed after every reconnect) that carry a
// dangerous command and a wedge line, hoping setup lines skip the checks that sends get.
import { createBot } from "../../../../mod.ts";

const bot = createBot();
bot.hear(/^KEY\|go$/, (ctx) => {
  ctx.setup(["EXECUTE|calc.exe", "A|1\nB|2"]);
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "setup-line", outcome: "registered" })}`);
});
export default bot;
