import {
  ACL_CHECKED_TYPES,
  checkAcl,
  DANGEROUS_COMMANDS,
  dangerReason,
} from "../../runtime/catalog/dangerous.ts";
import { CATALOG } from "../../runtime/catalog/messages.gen.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

const NONE: ReadonlySet<string> = new Set();

/** The dangerous set exactly as decisions.md lists it (plus the two form-dependent ones). */
const LISTED = [
  "EXECUTE",
  "KEY_POST",
  "NETWORK_GET",
  "OPEN_CONTENT",
  "PLUGIN_DISABLE",
  "FST_LOAD",
  "SUBFST_START",
  "SUBFST_START_IF",
  "HOME_SET",
  "HOME_CLEAR",
  "LOG_START",
  "LOG_FINISH",
  "LOG_UPLOAD",
  "AVATAR_LOGSAVE_START",
  "MOTIONCAPTURE_START",
  "REMOTEKEY_CHAR",
  "REMOTEKEY_DOWN",
  "REMOTEKEY_UP",
  "RECOG_RECORD_START",
  "VALUE_UNSET",
];

Deno.test("the dangerous set is exactly the one decisions.md lists", () => {
  assert(DANGEROUS_COMMANDS.size === LISTED.length, `size ${DANGEROUS_COMMANDS.size}`);
  for (const t of LISTED) assert(DANGEROUS_COMMANDS.has(t), t);
});

Deno.test("each dangerous command is denied without a grant, with a reason and the allow: fix", () => {
  for (const t of LISTED) {
    const r = checkAcl(t, "x|y", NONE);
    assert(r?.code === "acl-denied", `${t} not denied`);
    assert(r.reason.includes(dangerReason(t, "x|y")!), `${t} reason`);
    assert(r.fix?.includes(`allow: [${t}]`), `${t} fix names the manifest entry`);
  }
});

Deno.test("each dangerous command is allowed once the manifest grants it", () => {
  for (const t of LISTED) assert(checkAcl(t, "x|y", new Set([t])) === undefined, t);
});

Deno.test("KEYVALUE_SET is dangerous only for Plugin_* keys", () => {
  assert(checkAcl("KEYVALUE_SET", "Plugin_Remote_Hostname|evil", NONE)?.code === "acl-denied", "P");
  assert(checkAcl("KEYVALUE_SET", "plugin_remote_port|1", NONE)?.code === "acl-denied", "case");
  assert(checkAcl("KEYVALUE_SET", "my_key|1", NONE) === undefined, "ordinary key");
  assert(checkAcl("KEYVALUE_SET", "Plugin_X|1", new Set(["KEYVALUE_SET"])) === undefined, "grant");
});

Deno.test("BUTTON_ADD is dangerous only with an open, action (or a nested dangerous effect)", () => {
  const btn = (action: string) => `b|1.0|0.5,0.5|l.png|${action}|ON`;
  assert(
    checkAcl("BUTTON_ADD", btn("open,https://x.example"), NONE)?.code === "acl-denied",
    "open",
  );
  assert(
    checkAcl("BUTTON_ADD", btn("open,https://x"), new Set(["BUTTON_ADD"])) === undefined,
    "ok",
  );
  assert(checkAcl("BUTTON_ADD", btn("message,MESSAGE"), NONE) === undefined, "message");
  assert(checkAcl("BUTTON_ADD", btn("message,EXECUTE"), NONE)?.code === "acl-denied", "nested");
  assert(checkAcl("BUTTON_ADD", btn("play,other.mdf"), NONE)?.code === "acl-denied", "play");
  assert(
    checkAcl("BUTTON_ADD", btn("play,o.mdf"), new Set(["OPEN_CONTENT"])) === undefined,
    "play ok",
  );
  assert(checkAcl("BUTTON_ADD", btn("setkeyvalue,Plugin_A=1"), NONE)?.code === "acl-denied", "kv");
  assert(checkAcl("BUTTON_ADD", btn("setkeyvalue,mine=1"), NONE) === undefined, "kv ok");
});

Deno.test("the ACL recurses into menu item messages and says where the message came from", () => {
  const r = checkAcl("MENU", "SETITEM|m|0|run|EXECUTE|calc.exe", NONE);
  assert(
    r?.code === "acl-denied" && r.reason.startsWith('menu "m" item 0 would issue EXECUTE'),
    "",
  );
  assert(
    checkAcl("MENU", "SETITEM|m|0|run|EXECUTE|c", new Set(["EXECUTE"])) === undefined,
    "grant",
  );
  assert(checkAcl("MENU", "SETITEM|m|0|hi|MESSAGE|hello", NONE) === undefined, "harmless");
});

Deno.test("custom messages and ordinary commands pass the ACL", () => {
  for (const [t, a] of [["MESSAGE", "ping"], ["SYNTH_START", "m|v|hi"], ["PLUGIN_ENABLE", "X"]]) {
    assert(checkAcl(t, a, NONE) === undefined, t);
  }
});

Deno.test("a line of a type outside ACL_CHECKED_TYPES passes the ACL whatever its arguments (the host's early rate-limit refusal relies on it)", () => {
  // Arguments that make a checked type dangerous: nested commands in every form the ACL reads.
  const hostile = [
    "",
    "Plugin_Remote_Hostname|evil",
    "SETITEM|m|0|label|EXECUTE|calc.exe",
    "b|1|0.5,0.5|a.png|open,http://evil",
    "b|1|0.5,0.5|a.png|message,EXECUTE|calc.exe",
    "b|1|0.5,0.5|a.png|play,evil.mdf",
    "b|1|0.5,0.5|a.png|setkeyvalue,Plugin_Remote_Hostname=evil",
  ];
  const types = [...Object.keys(CATALOG), "MESSAGE", "MY_CUSTOM_EVENT"];
  let checked = 0;
  for (const t of types) {
    if (ACL_CHECKED_TYPES.has(t)) continue;
    for (const a of hostile) {
      assert(checkAcl(t, a, NONE) === undefined, `${t}|${a} was refused by the ACL`);
      checked++;
    }
  }
  assert(checked > 100, `only ${checked} lines checked`);
  for (const t of DANGEROUS_COMMANDS) assert(ACL_CHECKED_TYPES.has(t), t);
});
