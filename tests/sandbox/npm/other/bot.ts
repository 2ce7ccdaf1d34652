// Its manifest entry grants yaml, but it imports left-pad: must fail to load.
// deno-lint-ignore no-import-prefix
import pad from "npm:left-pad@1.3.0";
import { createBot } from "../../../../mod.ts";

const bot = createBot();
bot.onStart((ctx) => ctx.log.info(typeof pad));
export default bot;
