import { nestedMessages } from "../../runtime/catalog/nested.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

Deno.test("a MENU SETITEM line carries its item message as TYPE|args in the remaining fields", () => {
  const n = nestedMessages("MENU", "SETITEM|Gene|0|頬なし|MODEL_BINDFACE|0|頬全消し|1");
  assert(n.length === 1, "one");
  assert(n[0].type === "MODEL_BINDFACE" && n[0].args === "0|頬全消し|1", JSON.stringify(n));
  assert(n[0].via === 'menu "Gene" item 0', n[0].via);
});

Deno.test("MENU lines other than SETITEM carry no message", () => {
  for (const a of ["ADD|m", "DELETE|m", "DELETEITEM|m|0", "SETITEM|m|0|label"]) {
    assert(nestedMessages("MENU", a).length === 0, a);
  }
});

Deno.test("a button message, action is split at its first | like Button::Set::execute", () => {
  const n = nestedMessages("BUTTON_ADD", "b|1|0.5,0.5|l.png|message,MESSAGE|ON");
  assert(n.length === 1 && n[0].type === "MESSAGE" && n[0].args === "", JSON.stringify(n));
  // A caller passing the field with a | inside (e.g. from a file) gets the args too.
  const m = nestedMessages("BUTTON_ADD", "b|1|0.5,0.5|l.png|message,X|ON")[0];
  assert(m.via === 'button "b" message action', m.via);
});

Deno.test("button setkeyvalue, and play, actions appear as KEYVALUE_SET and OPEN_CONTENT for the ACL only", () => {
  const kv = nestedMessages("BUTTON_ADD", "b|1|0.5,0.5|l.png|setkeyvalue,Plugin_A=1|ON");
  assert(
    kv[0].type === "KEYVALUE_SET" && kv[0].args === "Plugin_A|1" && kv[0].validate === false,
    "",
  );
  const play = nestedMessages("BUTTON_ADD", "b|1|0.5,0.5|l.png|play,other.mdf|ON");
  assert(play[0].type === "OPEN_CONTENT" && play[0].args === "other.mdf", JSON.stringify(play));
  assert(nestedMessages("BUTTON_ADD", "b|1|0.5,0.5|l.png|open,https://x|ON").length === 0, "open");
});

Deno.test("__AV_MESSAGE, is left to the wire parser: no nested message is reported for it", () => {
  assert(nestedMessages("__AV_MESSAGE,TEXTAREA_SET", "ta1|").length === 0, "wire handles it");
});
