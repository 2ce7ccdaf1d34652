import { createLineDecoder, type DecodeResult } from "../../runtime/wire/decode.ts";
import type { InboundLine } from "../../runtime/wire/types.ts";
import { assert, assertEquals } from "../assert.ts";

const enc = new TextEncoder();

function bytes(...parts: (string | number[])[]): Uint8Array {
  const arrays = parts.map((p) => typeof p === "string" ? enc.encode(p) : Uint8Array.from(p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Feeds `chunks` then ends the stream; collects everything. */
function decodeAll(chunks: Uint8Array[], max?: number): DecodeResult {
  const dec = createLineDecoder(max === undefined ? {} : { maxLineBytes: max });
  const out: DecodeResult = { lines: [], dropped: [] };
  for (const c of [...chunks.map((c) => dec.push(c)), dec.end()]) {
    out.lines.push(...c.lines);
    out.dropped.push(...c.dropped);
  }
  return out;
}

function line(text: string, extra: Partial<InboundLine> = {}): InboundLine {
  return {
    text,
    byteLength: enc.encode(text).length,
    invalidUtf8: false,
    unterminated: false,
    ...extra,
  };
}

// A stream with every shape the decoder must survive.
const MIXED = bytes(
  "REMOTE_EVENT_CONNECTED|127.0.0.1\n",
  "CAPTION_START|c|こんにちは😀é\r\n", // CRLF, 3-, 4- and 2-byte characters
  "\n", // an empty line
  "[2026/01/01 00:00:00.000] [1] Remote: Sent: A|1\n\n", // AllLog record: two LFs
  "BAD|",
  [0xe9], // Latin-1 é: invalid UTF-8
  "\n",
  "LAST|ok\n",
);
const MIXED_LINES: InboundLine[] = [
  line("REMOTE_EVENT_CONNECTED|127.0.0.1"),
  line("CAPTION_START|c|こんにちは😀é"),
  line("[2026/01/01 00:00:00.000] [1] Remote: Sent: A|1"),
  { text: "BAD|\uFFFD", byteLength: 5, invalidUtf8: true, unterminated: false },
  line("LAST|ok"),
];

Deno.test("several lines in one chunk come out in order, terminators removed", () => {
  const out = decodeAll([bytes("A|1\nB|2\nC\n")]);
  assertEquals(out.lines, [line("A|1"), line("B|2"), line("C")]);
  assertEquals(out.dropped, []);
});

Deno.test("exactly one trailing CR is stripped; other CRs stay in the text", () => {
  const out = decodeAll([bytes("A|1\r\nB|x\ry\n\rC\r\r\n")]);
  assertEquals(out.lines.map((l) => l.text), ["A|1", "B|x\ry", "\rC\r"]);
});

Deno.test("empty lines (AllLog's \\n\\n, bare CRLF) are skipped and counted, never emitted", () => {
  const dec = createLineDecoder();
  const out = dec.push(bytes("\nA\n\n\r\n\nB\n"));
  assertEquals(out.lines.map((l) => l.text), ["A", "B"]);
  assertEquals(dec.stats().emptyLines, 4);
  assertEquals(dec.stats().lines, 2);
});

Deno.test("the mixed stream decodes to the same lines when split at every single boundary", () => {
  assertEquals(decodeAll([MIXED]).lines, MIXED_LINES, "one chunk");
  for (let i = 0; i <= MIXED.length; i++) {
    const out = decodeAll([MIXED.subarray(0, i), MIXED.subarray(i)]);
    assertEquals(out.lines, MIXED_LINES, `split at ${i}`);
    assertEquals(out.dropped, [], `split at ${i}`);
  }
});

Deno.test("the mixed stream decodes the same for every pair of split points (three chunks)", () => {
  for (let i = 0; i <= MIXED.length; i++) {
    for (let j = i; j <= MIXED.length; j++) {
      const out = decodeAll([MIXED.subarray(0, i), MIXED.subarray(i, j), MIXED.subarray(j)]);
      assertEquals(out.lines, MIXED_LINES, `split at ${i},${j}`);
    }
  }
});

Deno.test("the mixed stream fed one byte per read gives the same lines", () => {
  const chunks = Array.from(MIXED, (b) => Uint8Array.of(b));
  assertEquals(decodeAll(chunks).lines, MIXED_LINES);
});

Deno.test("a character of 2, 3 or 4 bytes split at each inner offset is rebuilt intact", () => {
  for (const ch of ["é", "あ", "😀"]) {
    const b = bytes(`X|${ch}\n`);
    for (let cut = 3; cut < 2 + enc.encode(ch).length; cut++) {
      const out = decodeAll([b.subarray(0, cut), b.subarray(cut)]);
      assertEquals(out.lines, [line(`X|${ch}`)], `${ch} cut at ${cut}`);
    }
  }
});

Deno.test("the decoder copies pending bytes, so a reused read buffer does not corrupt lines", () => {
  const dec = createLineDecoder();
  const buf = new Uint8Array(8);
  buf.set(enc.encode("ABCD"));
  dec.push(buf.subarray(0, 4));
  buf.set(enc.encode("EF\nZZZZ"));
  assertEquals(dec.push(buf.subarray(0, 3)).lines, [line("ABCDEF")]);
});

Deno.test("a 1 MB line with no LF is dropped and reported, never buffered, and the next line survives", () => {
  const max = 256 * 1024;
  const dec = createLineDecoder({ maxLineBytes: max });
  const big = new Uint8Array(64 * 1024).fill(0x41); // 'A'
  big.set(enc.encode("HUGE|"));
  let seen: DecodeResult = { lines: [], dropped: [] };
  for (let i = 0; i < 16; i++) {
    const r = dec.push(i === 0 ? big : big.fill(0x42));
    seen = { lines: [...seen.lines, ...r.lines], dropped: [...seen.dropped, ...r.dropped] };
    assert(dec.pendingBytes <= max, `pending ${dec.pendingBytes} after chunk ${i}`);
  }
  assertEquals(seen, { lines: [], dropped: [] }, "nothing reported before the LF");
  const r = dec.push(bytes("\nNEXT|1\n"));
  assertEquals(r.lines, [line("NEXT|1")]);
  assertEquals(r.dropped.length, 1);
  assertEquals(r.dropped[0].byteLength, 1024 * 1024);
  assert(r.dropped[0].head.startsWith("HUGE|AAAA"), r.dropped[0].head);
  assert(r.dropped[0].head.length <= 200, "the head is short");
  assertEquals(dec.pendingBytes, 0);
  assertEquals(dec.stats().dropped, 1);
});

Deno.test("a line over the limit inside a single chunk is dropped; neighbours survive", () => {
  const out = decodeAll([bytes("A\n", "x".repeat(11), "\nB\n")], 10);
  assertEquals(out.lines, [line("A"), line("B")]);
  assertEquals(out.dropped, [{ byteLength: 11, head: "x".repeat(11) }]);
});

Deno.test("a line of exactly the limit is kept; one byte more is dropped", () => {
  assertEquals(decodeAll([bytes("x".repeat(10), "\n")], 10).lines, [line("x".repeat(10))]);
  assertEquals(decodeAll([bytes("x".repeat(11), "\n")], 10).dropped.length, 1);
});

Deno.test("an over-long tail at stream end is reported as dropped, not emitted", () => {
  const out = decodeAll([bytes("A\n", "y".repeat(50))], 10);
  assertEquals(out.lines, [line("A")]);
  assertEquals(out.dropped, [{ byteLength: 50, head: "y".repeat(50) }]);
});

Deno.test("invalid UTF-8 is decoded leniently with U+FFFD and flagged; a literal U+FFFD is not", () => {
  const dec = createLineDecoder();
  const out = dec.push(bytes("BAD|", [0xff, 0xfe], "ok\n", "FINE|\uFFFD\n"));
  assertEquals(out.lines, [
    { text: "BAD|\uFFFD\uFFFDok", byteLength: 8, invalidUtf8: true, unterminated: false },
    line("FINE|\uFFFD"),
  ]);
  assertEquals(dec.stats().invalidUtf8, 1);
});

Deno.test("a truncated multi-byte character at a truncated line's end is flagged invalid", () => {
  const dec = createLineDecoder();
  assertEquals(dec.push(bytes("T|", [0xe3, 0x81])).lines, []);
  assertEquals(dec.endFrame().lines, [
    { text: "T|\uFFFD", byteLength: 4, invalidUtf8: true, unterminated: true },
  ]);
});

Deno.test("a byte-order mark is kept in the text, not silently removed", () => {
  assertEquals(decodeAll([bytes("\uFEFFA|1\n")]).lines[0].text, "\uFEFFA|1");
});

Deno.test("several lines in one WebSocket frame all come out; the frame end adds nothing", () => {
  const dec = createLineDecoder();
  const a = dec.push(bytes("A|1\nB|2\n"));
  const b = dec.endFrame();
  assertEquals(a.lines, [line("A|1"), line("B|2")]);
  assertEquals(b, { lines: [], dropped: [] });
});

Deno.test("a WebSocket frame without LF is a truncated line, emitted unterminated at frame end", () => {
  const dec = createLineDecoder();
  assertEquals(dec.push(bytes("LONG|truncated")).lines, []);
  assertEquals(dec.endFrame().lines, [line("LONG|truncated", { unterminated: true })]);
  // The next frame starts a fresh line instead of being glued to the truncated one.
  assertEquals(dec.push(bytes("NEXT|1\n")).lines, [line("NEXT|1")]);
});

Deno.test("end of stream flushes an unterminated tail once", () => {
  const dec = createLineDecoder();
  dec.push(bytes("A\nTAIL"));
  assertEquals(dec.end().lines, [line("TAIL", { unterminated: true })]);
  assertEquals(dec.end(), { lines: [], dropped: [] });
});

Deno.test("a maxLineBytes that is not a positive integer is refused at creation", () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    let threw = false;
    try {
      createLineDecoder({ maxLineBytes: bad });
    } catch (e) {
      threw = e instanceof RangeError;
    }
    assert(threw, `maxLineBytes ${bad}`);
  }
});

/** Small seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("property: random splits of random valid streams decode to the same lines as one chunk", () => {
  const alphabet = ["A", "z", "|", "_", " ", "é", "あ", "😀", "\r", "0"];
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = prng(seed);
    const pick = (n: number) => Math.floor(rnd() * n);
    let text = "";
    const nLines = 1 + pick(8);
    for (let l = 0; l < nLines; l++) {
      const len = pick(20);
      for (let c = 0; c < len; c++) text += alphabet[pick(alphabet.length)];
      text += rnd() < 0.2 ? "\r\n" : "\n";
      if (rnd() < 0.15) text += "\n";
    }
    const all = enc.encode(text);
    const whole = decodeAll([all]);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < all.length;) {
      const n = 1 + pick(6);
      chunks.push(all.subarray(at, at + n));
      at += n;
    }
    assertEquals(decodeAll(chunks), whole, `seed ${seed}`);
    // And the lines are what splitting the text itself gives.
    const expected = text.split("\n").map((t) => t.endsWith("\r") ? t.slice(0, -1) : t)
      .filter((t) => t !== "");
    assertEquals(whole.lines.map((l) => l.text), expected, `seed ${seed}`);
  }
});
