// Imports the npm package its manifest entry grants and uses it; then tries one it does not grant
// and the cache folder's other files, and says what happened.
// deno-lint-ignore no-import-prefix
import { stringify } from "npm:yaml@2.9.1";
import { createBot } from "../../../../mod.ts";

const bot = createBot();

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const yaml = stringify({ said: ctx.args.result ?? "" }).trim();
  let other = "denied";
  try {
    const name = "npm:left-pad@1.3.0";
    await import(name);
    other = "LOADED";
  } catch (e) {
    other = String(e).includes("not found in cache") ? "denied" : `denied (${String(e)})`;
  }
  await ctx.sendRaw(`MESSAGE|${yaml}|left-pad ${other.replace(/\s+/g, " ").slice(0, 200)}`);
});

export default bot;
