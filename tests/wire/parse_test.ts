import {
  echoForm,
  echoFormOf,
  formatMessage,
  parseInbound,
  parseMessage,
} from "../../runtime/wire/parse.ts";
import { assert, assertEquals } from "../assert.ts";

function typeArgsFields(line: string) {
  const m = parseMessage(line);
  return [m.type, m.args, m.fields];
}

Deno.test("TYPE is the text before the first |, ARGS the rest (reference 1.6)", () => {
  assertEquals(typeArgsFields("MOTION_ADD|mei|greet|wave.vmd"), [
    "MOTION_ADD",
    "mei|greet|wave.vmd",
    ["mei", "greet", "wave.vmd"],
  ]);
});

Deno.test("TYPE| and TYPE both give empty ARGS and no fields", () => {
  assertEquals(typeArgsFields("MESSAGE|"), ["MESSAGE", "", []]);
  assertEquals(typeArgsFields("MESSAGE"), ["MESSAGE", "", []]);
});

Deno.test("leading | characters are skipped before TYPE: |X|y is TYPE X, ARGS y", () => {
  assertEquals(typeArgsFields("|X|y"), ["X", "y", ["y"]]);
  assertEquals(typeArgsFields("||X"), ["X", "", []]);
});

Deno.test("A||b gives ARGS |b, and the empty field vanishes for handlers", () => {
  assertEquals(typeArgsFields("A||b"), ["A", "|b", ["b"]]);
  assertEquals(typeArgsFields("MESSAGE|a||b"), ["MESSAGE", "a||b", ["a", "b"]]);
});

Deno.test("a line of only | characters has an empty type", () => {
  assertEquals(typeArgsFields("|||"), ["", "", []]);
});

Deno.test("spaces are not trimmed: they stay part of type and fields", () => {
  assertEquals(typeArgsFields(" T |a b | "), [" T ", "a b | ", ["a b ", " "]]);
});

Deno.test("at most 10 fields are used; the extra ones are counted", () => {
  const args = Array.from({ length: 26 }, (_, i) => `f${i}`);
  const m = parseMessage(`MESSAGE|${args.join("|")}`);
  assertEquals(m.fields, args.slice(0, 10));
  assertEquals(m.extraFields, 16);
  assertEquals(parseMessage("M|1|2|3|4|5|6|7|8|9|10").extraFields, 0);
});

Deno.test("__AV_MESSAGE, payloads are unwrapped and parsed as an ordinary message", () => {
  const m = parseMessage("__AV_MESSAGE,TIMER_START|avt|0.5");
  assertEquals([m.type, m.args, m.fields, m.wrapped, m.avatar], [
    "TIMER_START",
    "avt|0.5",
    ["avt", "0.5"],
    true,
    undefined,
  ]);
  assertEquals(typeArgsFields("__AV_MESSAGE,NOPIPE"), ["NOPIPE", "", []]);
  assertEquals(typeArgsFields("__AV_MESSAGE,SE|1"), ["SE", "1", ["1"]]);
});

Deno.test("other __AV lines are avatar lines: name before the first comma, comma fields, empties vanish", () => {
  const m = parseMessage("__AV_EXMORPH,a=0.5,,b=1");
  assertEquals([m.type, m.args, m.fields, m.avatar], [
    "__AV_EXMORPH",
    "a=0.5,,b=1",
    ["a=0.5", "b=1"],
    true,
  ]);
  assertEquals(typeArgsFields("__AV_START"), ["__AV_START", "", []]);
  assertEquals(typeArgsFields("__AV_SETMODEL,mei"), ["__AV_SETMODEL", "mei", ["mei"]]);
  // `|` has no meaning on an avatar line.
  assertEquals(typeArgsFields("__AVFOO|1"), ["__AVFOO|1", "", []]);
  // The exact prefix is needed for unwrapping: without the comma it is an avatar line.
  assertEquals(parseMessage("__AV_MESSAGE").avatar, true);
});

Deno.test("parseInbound keeps every field as the wire carries it, (null) and empties included", () => {
  assertEquals(parseInbound("VALUE_EVENT_EVAL|x|EQ|(null)|FALSE").fields, [
    "x",
    "EQ",
    "(null)",
    "FALSE",
  ]);
  assertEquals(parseInbound("A|1||2").fields, ["1", "", "2"]);
  assertEquals(parseInbound("INFOTEXT_EVENT_SHOW").fields, []);
  assertEquals(parseInbound("AVATAR|START").type, "AVATAR");
  const many = Array.from({ length: 12 }, (_, i) => String(i)).join("|");
  assertEquals(parseInbound(`X|${many}`).fields.length, 12);
  // Inbound lines are never unwrapped.
  assertEquals(parseInbound("__AV_MESSAGE,A|1").type, "__AV_MESSAGE,A");
});

Deno.test("formatMessage joins type and fields with |, and a bare type when there are none", () => {
  assertEquals(formatMessage("TEXTAREA_SET", ["ta1", "こんにちは"]), "TEXTAREA_SET|ta1|こんにちは");
  assertEquals(formatMessage("NOOP"), "NOOP");
  assertEquals(parseMessage(formatMessage("A", ["x", "y"])).fields, ["x", "y"]);
});

Deno.test("formatMessage refuses what MMDAgent-EX would reshape: empty type/field, |, CR, LF", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["A|B", []],
    ["A", ["x", ""]],
    ["A", ["x|y"]],
    ["A", ["x\ny"]],
    ["A\r", []],
  ];
  for (const [t, f] of cases) {
    let threw = false;
    try {
      formatMessage(t, f);
    } catch (e) {
      threw = e instanceof RangeError;
    }
    assert(threw, `formatMessage(${JSON.stringify(t)}, ${JSON.stringify(f)}) should throw`);
  }
});

Deno.test("echoForm matches answers.md §1's echo table", () => {
  const m26 = "MESSAGE|" + Array.from({ length: 26 }, (_, i) => i).join("|");
  const table: [string, string | undefined][] = [
    ["MESSAGE|", "MESSAGE"],
    ["|leadingpipe", "leadingpipe"],
    ["MESSAGE|a||b", "MESSAGE|a||b"],
    [m26, m26],
    ["TEXTAREA_SET|ta|日本語 trailing  ", "TEXTAREA_SET|ta|日本語 trailing  "],
    ["FOO_BAR", "FOO_BAR"],
    ["lowercase_type|a|b", "lowercase_type|a|b"],
    ["__AV_MESSAGE,MESSAGE|via_av_message", "MESSAGE|via_av_message"],
    ["__AV_MESSAGE,T|a", "T|a"],
    ["__AV_MESSAGE,NOPIPE", "NOPIPE"],
    ["__AV_START", undefined],
    ["__AV_SETMODEL,av", undefined],
    ["__AVCONF_DISABLEAUTOLIP,ALWAYS", undefined],
    ["SNDSTRM", undefined],
    ["SNDFILE", undefined],
    ["|||", undefined],
  ];
  for (const [sent, back] of table) {
    assertEquals(echoForm(sent), back, sent);
    // The outbound path derives it from the line it parsed once: always the same answer.
    assertEquals(echoFormOf(parseMessage(sent)), back, `echoFormOf ${sent}`);
  }
  for (
    const odd of ["__AV_MESSAGE,SNDSTRM", "__AV_MESSAGE,", "__AV_MESSAGE", "SND", "", "a\r\nb"]
  ) {
    assertEquals(echoFormOf(parseMessage(odd)), echoForm(odd), JSON.stringify(odd));
  }
});
