import {
  AVATAR_COMMANDS,
  DEFAULT_MAX_LINE_BYTES,
  type GuardContext,
  guardLine,
  guardOrThrow,
  resolveMaxLineBytes,
} from "../../runtime/wire/guard.ts";
import { type Refusal, RefusedError } from "../../runtime/wire/types.ts";
import { parseMessage } from "../../runtime/wire/parse.ts";
import { assert, assertEquals } from "../assert.ts";

const ctx: GuardContext = { commands: { hasStartupFst: false } };
const stdio: GuardContext = { ...ctx, mode: "stdio" };

function refusal(text: string, c: GuardContext = ctx): Refusal {
  const r = guardLine(text, c);
  if (r.ok) throw new Error(`expected ${JSON.stringify(text)} to be refused`);
  assert(r.refusal.reason.length > 0, "a refusal says why");
  return r.refusal;
}

function accepted(text: string, c: GuardContext = ctx): Uint8Array {
  const r = guardLine(text, c);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to pass: ${r.refusal.reason}`);
  assertEquals(r.unit.kind, "line");
  assertEquals(r.unit.text, text);
  return r.unit.bytes;
}

Deno.test("an accepted line becomes exactly its UTF-8 bytes plus a single LF, in one unit", () => {
  assertEquals(accepted("MESSAGE|ping"), new TextEncoder().encode("MESSAGE|ping\n"));
  const jp = "TEXTAREA_SET|ta1|こんにちは_世界😀";
  assertEquals(accepted(jp), new TextEncoder().encode(jp + "\n"));
});

Deno.test("normal lines pass: Japanese text, TAB, spaces, leading |, custom types", () => {
  for (
    const line of [
      "MESSAGE|ようこそ、MMDAgent-EXへ",
      "MESSAGE|a\tb",
      "MESSAGE| spaced  ",
      "|X|y",
      "MY_CUSTOM_EVENT",
      "SOUNDS", // starts with S but 7 bytes with its LF
      "STAGE|floor.png,back.png",
    ]
  ) accepted(line);
});

Deno.test("every __AV command of the catalog passes, with and without comma fields", () => {
  assert(AVATAR_COMMANDS.includes("__AV_START") && AVATAR_COMMANDS.includes("__AV_SETMODEL"));
  for (const name of AVATAR_COMMANDS.filter((n) => n !== "__AV_MESSAGE")) accepted(name);
  accepted("__AV_SETMODEL,mei");
  accepted("__AV_EXMORPH,a=0.5,b=1");
  accepted("__AV_ACTION,1");
  accepted("__AVCONF_DISABLEAUTOLIP,ALWAYS");
});

Deno.test("__AV_MESSAGE, lines pass and unwrap, so S and SND types can be sent wrapped", () => {
  accepted("__AV_MESSAGE,SE");
  accepted("__AV_MESSAGE,S|1");
  accepted("__AV_MESSAGE,SNDX_FOO|1");
  accepted("__AV_MESSAGE,__AVFOO|1");
});

Deno.test("SNDSTRM, SNDFILE and SNDBRKS pass as lines (header and LF in one unit)", () => {
  for (const h of ["SNDSTRM", "SNDFILE", "SNDBRKS"]) {
    assertEquals(accepted(h), new TextEncoder().encode(h + "\n"));
  }
});

Deno.test("an empty line is refused", () => {
  assertEquals(refusal("").code, "empty");
});

Deno.test("CR, LF and NUL anywhere are refused as control characters, with the bytes in hex", () => {
  const cr = refusal("MESSAGE|a\rb");
  assertEquals(cr.code, "control-char");
  assert(cr.reason.includes("CR") && cr.reason.includes("byte 9"), cr.reason);
  assert(cr.bytes?.includes("0d"), cr.bytes);
  const lf = refusal("MESSAGE|a\nMESSAGE|b");
  assertEquals(lf.code, "control-char");
  assert(lf.reason.includes("LF"), lf.reason);
  assert(lf.fix?.includes("\\n"), "suggests the two-character \\n");
  assertEquals(refusal("\nX|1").code, "control-char");
  assertEquals(refusal("X|1\n").code, "control-char");
  const nul = refusal("A|1\x00B|2");
  assertEquals(nul.code, "control-char");
  assert(nul.reason.includes("NUL") && nul.bytes?.includes("00"), nul.reason);
});

Deno.test("other C0 controls are refused; TAB is allowed", () => {
  assertEquals(refusal("MESSAGE|\x1b[31m").code, "control-char");
  assertEquals(refusal("MESSAGE|\x01").code, "control-char");
  accepted("MESSAGE|\t");
});

Deno.test("a lone surrogate (no valid UTF-8 form) is refused as invalid UTF-8", () => {
  for (
    const bad of ["MESSAGE|\uD800", "MESSAGE|\uDC00x", "MESSAGE|\uDE00\uD83D", "😀".slice(0, 1)]
  ) {
    const r = refusal(bad);
    assertEquals(r.code, "invalid-utf8", JSON.stringify(bad));
    assert(r.bytes?.startsWith("ed"), r.bytes);
  }
  accepted("MESSAGE|\uD83D\uDE00"); // a proper pair
});

Deno.test("the length limit counts UTF-8 bytes of TYPE, | and ARGS; default 1800", () => {
  assertEquals(DEFAULT_MAX_LINE_BYTES, 1800);
  accepted("M|" + "x".repeat(1798));
  assertEquals(refusal("M|" + "x".repeat(1799)).code, "too-long");
  // 3-byte characters: 2 + 3 * 599 = 1799 passes, 2 + 3 * 600 = 1802 does not.
  accepted("M|" + "あ".repeat(599));
  const r = refusal("M|" + "あ".repeat(600));
  assert(r.reason.includes("1802"), r.reason);
});

Deno.test("the limit is configurable up to 2000 and a higher configuration is rejected", () => {
  const wide = { ...ctx, maxLineBytes: 2000 };
  accepted("M|" + "x".repeat(1998), wide);
  assertEquals(refusal("M|" + "x".repeat(1999), wide).code, "too-long");
  assertEquals(refusal("MESSAGE|hello", { ...ctx, maxLineBytes: 5 }).code, "too-long");
  for (const bad of [2001, 4096, 0, 1.5]) {
    let threw = false;
    try {
      guardLine("A", { ...ctx, maxLineBytes: bad });
    } catch (e) {
      threw = e instanceof RangeError && e.message.includes("2000");
    }
    assert(threw, `maxLineBytes ${bad} rejected`);
  }
  assertEquals(resolveMaxLineBytes(undefined), 1800);
});

Deno.test("an unknown __AV line (__AVFOO) is refused with the __AV_MESSAGE, wrapping as the fix", () => {
  const r = refusal("__AVFOO|1");
  assertEquals(r.code, "unknown-avatar-command");
  assert(r.fix?.includes("`__AV_MESSAGE,__AVFOO|1`"), r.fix);
  assertEquals(refusal("__AV_UNKNOWNTHING,1,2").code, "unknown-avatar-command");
  assertEquals(refusal("__AV_STARTX").code, "unknown-avatar-command");
});

Deno.test("__AV_MESSAGE without its comma, or with nothing after it, is refused", () => {
  const r = refusal("__AV_MESSAGE");
  assertEquals(r.code, "unknown-avatar-command");
  assert(r.fix?.includes("__AV_MESSAGE,"), r.fix);
  assertEquals(refusal("__AV_MESSAGE,").code, "empty-type");
  assertEquals(refusal("__AV_MESSAGE,||").code, "empty-type");
});

Deno.test("a line starting with SND that is not exactly a header is refused (SNDX…)", () => {
  for (const bad of ["SNDX_FOO|1", "SNDSTRM|x", "SND0002ab", "SNDstrm", "SNDFILE "]) {
    const r = refusal(bad);
    assertEquals(r.code, "snd-prefix", bad);
    assert(r.fix?.includes(`__AV_MESSAGE,${bad}`), r.fix);
  }
});

Deno.test("a line starting with S shorter than 7 bytes with its LF (SE, S|1) is refused", () => {
  for (const bad of ["S", "SE", "S|1", "SOUND"]) {
    const r = refusal(bad);
    assertEquals(r.code, "short-s-line", bad);
    assert(r.fix?.includes(`\`__AV_MESSAGE,${bad}\``), r.fix);
  }
  accepted("SOUNDX"); // 6 bytes + LF = 7: not held back
});

Deno.test("a line made only of | has no type and is refused", () => {
  assertEquals(refusal("|").code, "empty-type");
  assertEquals(refusal("|||").code, "empty-type");
});

Deno.test("stdio mode (Plugin_AnyScript) refuses __AV and SND lines: it has no avatar controller", () => {
  for (const bad of ["__AV_START", "__AV_SETMODEL,mei", "SNDSTRM", "SND0002ab"]) {
    const r = refusal(bad, stdio);
    assertEquals(r.code, "no-avatar-controller", bad);
    assert(r.reason.includes("AnyScript"), r.reason);
  }
  const wrapped = refusal("__AV_MESSAGE,SE|1", stdio);
  assert(wrapped.fix?.includes("`SE|1`"), wrapped.fix);
  // No S hold-back on AnyScript's byte-wise reader.
  accepted("SE", stdio);
  accepted("MESSAGE|ok", stdio);
});

Deno.test("crash triggers are refused by the command-level check, also inside __AV_MESSAGE,", () => {
  for (const bad of ["TEXTAREA_SET|ta1|", "__AV_MESSAGE,TEXTAREA_SET|ta1|", "FST_LOAD|x.fst"]) {
    const r = refusal(bad);
    assertEquals(r.code, "crash-trigger", bad);
    assert(r.fix, "names the safe alternative");
  }
  // Parsed as MMDAgent-EX parses it, so leading or doubled | cannot slip a trigger past.
  assertEquals(refusal("|TEXTAREA_SET|ta1|").code, "crash-trigger");
  assertEquals(refusal("TEXTAREA_SET||ta1").code, "crash-trigger");
  accepted("TEXTAREA_SET|ta1| ");
  accepted("FST_LOAD|x.fst", { commands: { hasStartupFst: true } });
});

Deno.test("the operator override skips the command check but never the byte rules", () => {
  const op = { ...ctx, allowDangerous: true };
  accepted("FST_LOAD|x.fst", op);
  assertEquals(refusal("FST_LOAD|x\n", op).code, "control-char");
  assertEquals(refusal("SE", op).code, "short-s-line");
});

Deno.test("guardOrThrow returns the unit or throws a RefusedError carrying the refusal", () => {
  assertEquals(guardOrThrow("A|1", ctx).text, "A|1");
  try {
    guardOrThrow("SE", ctx);
    throw new Error("not thrown");
  } catch (e) {
    assert(e instanceof RefusedError, String(e));
    assertEquals(e.refusal.code, "short-s-line");
    assert(e.message.includes("__AV_MESSAGE,SE"), e.message);
  }
});

Deno.test("a line passed with its parse gets the same verdict as the line alone", () => {
  const lines = [
    "MESSAGE|hello",
    "SE",
    "__AV_MESSAGE,SE|1",
    "__AV_MESSAGE,",
    "__AV_MESSAGE",
    "__AV_START",
    "__AV_NOPE,1",
    "SNDSTRM",
    "SNDX_FOO|1",
    "|||",
    "EXECUTE|calc.exe",
    "MOTION_ADD|mei|greet|wave.vmd",
  ];
  for (const c of [ctx, stdio]) {
    for (const line of lines) {
      assertEquals(guardLine(line, c, parseMessage(line)), guardLine(line, c), line);
    }
  }
});
