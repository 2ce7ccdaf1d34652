// Hostile: writes 5000 raw lines straight to stdout (the IPC pipe to the host), bypassing the
// console, then keeps writing one now and then so the host reports what it suppressed.
import { createBot } from "../../../../mod.ts";

const LINES = 5000;
const encoder = new TextEncoder();
const write = (text: string) => {
  const bytes = encoder.encode(text + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
};

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  for (let i = 0; i < LINES; i++) write(`STDOUT-SPAM|${i} EXECUTE|calc.exe`);
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "stdout-spam", outcome: "printed" })}`);
  for (let i = 0; i < 20; i++) {
    await ctx.sleep(250);
    write(`STDOUT-SPAM|tail ${i}`);
  }
});
export default bot;
