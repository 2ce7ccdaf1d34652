/** Typed lines as console mode and `emulate` read them: speech, raw messages, the `//` escape. */
import { assertEquals } from "../assert.ts";
import { issueTyped, parseTyped } from "../../runtime/emulator/typed.ts";
import { Emulator } from "../../runtime/emulator/core.ts";

Deno.test("a typed line is speech, /TYPE|ARGS a raw message, // escapes a leading slash, blanks are nothing", () => {
  assertEquals(parseTyped("hello there\r"), { kind: "speech", text: "hello there" });
  assertEquals(parseTyped("/KEY|a"), { kind: "raw", type: "KEY", args: "a" });
  assertEquals(parseTyped("/RECOG_EVENT_START"), {
    kind: "raw",
    type: "RECOG_EVENT_START",
    args: null,
  });
  assertEquals(parseTyped("//etc/hosts"), { kind: "speech", text: "/etc/hosts" });
  assertEquals(parseTyped("   "), { kind: "blank" });
});

Deno.test("typed speech is issued as RECOG_EVENT_START then RECOG_EVENT_STOP|text on MMDAgent-EX's side", () => {
  const emu = new Emulator({ currentTime: false });
  const out: string[] = [];
  emu.onOutput((line) => out.push(line));
  emu.connect(1, "127.0.0.1");
  issueTyped(emu, parseTyped("hello"));
  issueTyped(emu, parseTyped("/KEY|a"));
  emu.close();
  assertEquals(out, ["RECOG_EVENT_START", "RECOG_EVENT_STOP|hello", "KEY|a"]);
});
