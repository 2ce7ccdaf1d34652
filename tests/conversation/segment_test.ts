import { createSegmenter, splitSentences } from "../../runtime/conversation/segment.ts";
import {
  estimateLipBytes,
  LIP_BUDGET,
  splitForWire,
  wireSafeText,
} from "../../runtime/conversation/wire_text.ts";
import { assert, assertEquals } from "../assert.ts";

Deno.test("English sentences end at . ! ? followed by a space, and at line breaks", () => {
  assertEquals(splitSentences("Hello there. How are you? Fine!\nNext line"), [
    "Hello there.",
    "How are you?",
    "Fine!",
    "Next line",
  ]);
});

Deno.test("Japanese sentences end at 。！？ without spaces", () => {
  assertEquals(splitSentences("こんにちは。元気ですか？はい！"), [
    "こんにちは。",
    "元気ですか？",
    "はい！",
  ]);
});

Deno.test("no split inside numbers, after abbreviations, or inside brackets and quotes", () => {
  assertEquals(splitSentences("It costs 3.5 dollars. Mr. Smith agrees."), [
    "It costs 3.5 dollars.",
    "Mr. Smith agrees.",
  ]);
  assertEquals(splitSentences("彼は「元気？大丈夫。」と聞いた。そうだ。"), [
    "彼は「元気？大丈夫。」と聞いた。",
    "そうだ。",
  ]);
  assertEquals(splitSentences("See (it is big. really!) there. Done."), [
    "See (it is big. really!) there.",
    "Done.",
  ]);
});

Deno.test("streamed chunks: a trailing dot waits for the next chunk, which may be a digit", () => {
  const s = createSegmenter();
  assertEquals(s.push("Pi is 3"), []);
  assertEquals(s.push("."), []);
  assertEquals(s.push("14 roughly. And"), ["Pi is 3.14 roughly."]);
  assertEquals(s.push(" more"), []);
  assertEquals(s.flush(), ["And more"]);
});

Deno.test("streamed tokens give each sentence as soon as it is complete", () => {
  const s = createSegmenter();
  const got: string[][] = [];
  for (const t of ["One", ".", " Two", "!", " Thr", "ee?", " 四。", "五"]) got.push(s.push(t));
  assertEquals(got, [[], [], ["One."], [], ["Two!"], [], ["Three?", "四。"], []]);
  assertEquals(s.flush(), ["五"]);
});

Deno.test("optional early first chunk at a comma, never inside 1,000, only for the first segment", () => {
  const s = createSegmenter({ firstChunkAtComma: 5 });
  assertEquals(s.push("Well now, it costs 1,000 yen, sadly. Next, "), [
    "Well now,",
    "it costs 1,000 yen, sadly.",
  ]);
  assertEquals(s.flush(), ["Next,"]);
  assertEquals(splitSentences("ええと、これは。", { firstChunkAtComma: 2 }), [
    "ええと、",
    "これは。",
  ]);
});

Deno.test("punctuation alone is not a sentence; an unbalanced bracket cannot hold speech back", () => {
  assertEquals(splitSentences("Yes. ... ok"), ["Yes....", "ok"]);
  const long = "(" + "word ".repeat(80);
  const parts = splitSentences(long, { maxChars: 100 });
  assert(parts.length >= 4, `split into ${parts.length}`);
  assert(parts.every((p) => p.length <= 100));
});

Deno.test("wire-safe text: no separator, line break, NUL or control character survives", () => {
  assertEquals(wireSafeText("a|b\r\nc\0d\te\u0085f"), "a b cd ef");
  assertEquals(wireSafeText("  spaced   out  "), "spaced out");
  assertEquals(wireSafeText("x\ud800y"), "xy");
});

Deno.test("a 150-word text is split under the lip-sync budget at sentence boundaries", () => {
  const sentence = "The quick brown fox jumps over the lazy dog near the river bank today.";
  const text = Array.from({ length: 11 }, () => sentence).join(" "); // 143 words
  const words = text.split(" ").length + 7;
  const parts = splitForWire(text + " And then it ran far away home.");
  assert(words >= 150);
  assert(parts.length >= 3, `parts: ${parts.length}`);
  for (const p of parts) {
    assert(estimateLipBytes(p) <= LIP_BUDGET, `${estimateLipBytes(p)} bytes: ${p}`);
    assert(/[.!?]$/.test(p), `not at a sentence end: ${p}`);
  }
  assertEquals(parts.join(" "), text + " And then it ran far away home.");
});

Deno.test("an over-long sentence is cut at clauses, then spaces; Japanese without spaces too", () => {
  const clauses = Array.from({ length: 12 }, (_, i) => `clause number ${i} goes on for a while`)
    .join(", ") + ".";
  const parts = splitForWire(clauses);
  assert(parts.length >= 2);
  assert(parts.slice(0, -1).every((p) => p.endsWith(",")), parts.join(" / "));
  const ja = "あ".repeat(300);
  const jaParts = splitForWire(ja);
  assert(jaParts.every((p) => estimateLipBytes(p) <= LIP_BUDGET));
  assertEquals(jaParts.join(""), ja);
  assertEquals(splitForWire("Short."), ["Short."]);
});
