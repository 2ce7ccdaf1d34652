// Imports an npm package while its manifest entry grants none: must fail to load.
// deno-lint-ignore no-import-prefix
import { parse } from "npm:yaml@2.9.1";
import { createBot } from "../../../../mod.ts";

const bot = createBot();
bot.onStart((ctx) => ctx.log.info(typeof parse));
export default bot;
