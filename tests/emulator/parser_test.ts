import { assert, assertEquals } from "../assert.ts";
import { type ParserEvent, RemoteParser, strtokCRLF } from "../../runtime/emulator/parser.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);
const msgs = (evs: ParserEvent[]) =>
  evs.flatMap((e) =>
    e.kind === "message" ? [e.args === null ? e.type : `${e.type}|${e.args}`] : []
  );
const faults = (evs: ParserEvent[]) => evs.flatMap((e) => e.kind === "fault" ? [e.fault.kind] : []);

function feed(mode: "recover" | "crash", ...reads: Uint8Array[]) {
  const p = new RemoteParser({ mode });
  const evs = reads.flatMap((r) => p.read(r, 0));
  return { p, evs };
}

Deno.test("two LF-terminated lines in one read give two messages", () => {
  assertEquals(msgs(feed("crash", enc("A|1\nB|2\n")).evs), ["A|1", "B|2"]);
});

Deno.test("CRLF-terminated lines give two messages (CR is a terminator too)", () => {
  assertEquals(msgs(feed("crash", enc("A|1\r\nB|2\r\n")).evs), ["A|1", "B|2"]);
});

Deno.test("a line without terminator waits and is issued when its LF arrives", () => {
  const { p, evs } = feed("crash", enc("MESSAGE|aaa|bbb"));
  assertEquals(msgs(evs), []);
  assertEquals(p.pending, 15);
  assertEquals(msgs(p.read(enc("\n"), 0)), ["MESSAGE|aaa|bbb"]);
});

Deno.test("a stale LF just past a partial line splits it into two messages (split fault)", () => {
  const q = new RemoteParser({ mode: "crash" });
  q.buf[5] = 0x0a; // stale LF right after a 5-byte partial line
  const evs2 = q.read(enc("MES|a"), 0);
  assertEquals(msgs(evs2), ["MES|a"]);
  assertEquals(faults(evs2), ["split"]);
  assertEquals(msgs(q.read(enc("bc\n"), 0)), ["bc"]);
});

Deno.test("a leading LF wedges the receiver for every peer (7.4 row 1)", () => {
  const { p, evs } = feed("crash", enc("\nX|1\n"));
  assertEquals(msgs(evs), []);
  assertEquals(faults(evs), ["wedge"]);
  assertEquals(msgs(p.read(enc("OTHER|peer\n"), 1)), []);
});

Deno.test("CR at the end of one read and LF at the start of the next wedge after the first line", () => {
  const { p, evs } = feed("crash", enc("MESSAGE|a\r"));
  assertEquals(msgs(evs), ["MESSAGE|a"]);
  const evs2 = p.read(enc("\nMESSAGE|b\n"), 0);
  assertEquals(msgs(evs2), []);
  assertEquals(faults(evs2), ["wedge"]);
});

Deno.test("a NUL inside a line wedges the receiver (7.4 row 3)", () => {
  const { evs } = feed("crash", enc("A|1\x00B|2\n"));
  assertEquals(msgs(evs), []);
  assertEquals(faults(evs), ["wedge"]);
});

Deno.test("byte 0x80 where a character starts hangs the tokenizer (7.4 row 4)", () => {
  const { p, evs } = feed("crash", bytes(0x80, 0x0a));
  assertEquals(faults(evs), ["hang"]);
  assertEquals(p.state, "hung");
  assertEquals(p.read(enc("A|1\n"), 0), []);
});

Deno.test("0xFF 0xFE inside a line hang the tokenizer", () => {
  const { p, evs } = feed("crash", new Uint8Array([...enc("BAD|"), 0xff, 0xfe, ...enc("ok\n")]));
  assertEquals(faults(evs), ["hang"]);
  assertEquals(p.state, "hung");
});

Deno.test("a lone LF as the whole read crashes MMDAgent-EX (7.4 row 5)", () => {
  const { p, evs } = feed("crash", enc("\n"));
  assertEquals(faults(evs), ["crash"]);
  assertEquals(p.state, "crashed");
  assertEquals(faults(feed("crash", enc("\r\n")).evs), ["crash"]);
});

Deno.test("a Latin-1 lead byte before LF swallows it and merges two lines", () => {
  const { evs } = feed("crash", new Uint8Array([...enc("A|caf"), 0xe9, 0x0a, ...enc("B|2\n")]));
  assertEquals(faults(evs), ["merge"]);
  assertEquals(msgs(evs).length, 1);
  assert(msgs(evs)[0].startsWith("A|caf"));
});

Deno.test("9000 bytes without LF drop the connection, and every later connection at once", () => {
  const { p, evs } = feed("crash", new Uint8Array(9000).fill(0x41));
  assertEquals(faults(evs), ["drop"]);
  assertEquals(p.readSize(), 0);
  assertEquals(faults(p.read(enc("A|1\n"), 1)), ["drop"]);
});

Deno.test("a leading-LF wedge fills the buffer and then drops (wedge then drop)", () => {
  const p = new RemoteParser({ mode: "crash" });
  const all: string[] = [];
  all.push(...faults(p.read(enc("\nX|1\n"), 0)));
  for (let i = 0; i < 10; i++) all.push(...faults(p.read(enc("A".repeat(999) + "\n"), 0)));
  assertEquals(all[0], "wedge");
  assert(all.includes("drop"));
});

Deno.test("SND packets: atoi length, payload consumed, nothing required after it", () => {
  const pcm = new Uint8Array([1, 2, 3, 4]);
  const { evs } = feed("crash", new Uint8Array([...enc("SND0004"), ...pcm, ...enc("A|1\n")]));
  assertEquals(evs[0].kind, "snd");
  assertEquals(msgs(evs), ["A|1"]);
});

Deno.test("SNDSTRM/SNDFILE/SNDBRKS headers consume one LF when present", () => {
  const { evs } = feed("crash", enc("SNDFILE\nSNDBRKS\nA|1\n"));
  assertEquals(evs.filter((e) => e.kind === "sndHeader").length, 2);
  assertEquals(msgs(evs), ["A|1"]);
});

Deno.test("SNDX_FOO|1 is a 0-byte audio packet followed by the text line O|1", () => {
  const { evs } = feed("crash", enc("SNDX_FOO|1\n"));
  assertEquals(faults(evs), ["mangle"]);
  assertEquals(msgs(evs), ["O|1"]);
});

Deno.test("a line starting with S shorter than 7 bytes is held back (held fault)", () => {
  const { p, evs } = feed("crash", enc("SE\n"));
  assertEquals(msgs(evs), []);
  assertEquals(faults(evs), ["held"]);
  assertEquals(msgs(p.read(enc("MORE|x\n"), 0)), ["SE", "MORE|x"]);
});

Deno.test("__AV_MESSAGE, is unwrapped; other __AV lines go to the avatar controller", () => {
  const { evs } = feed("crash", enc("__AV_MESSAGE,MESSAGE|via\n__AV_START\n__AVFOO|1\n"));
  assertEquals(msgs(evs), ["MESSAGE|via"]);
  assertEquals(evs.filter((e) => e.kind === "avatar").length, 2);
});

Deno.test("TYPE split skips leading pipes and keeps ARGS raw", () => {
  const { evs } = feed("crash", enc("|leadingpipe\nMESSAGE|\nA||b\n"));
  assertEquals(msgs(evs), ["leadingpipe", "MESSAGE", "A||b"]);
});

Deno.test("the buffer is shared: half a line from one peer joins the next peer's bytes", () => {
  const p = new RemoteParser({ mode: "crash" });
  p.read(enc("MESSAGE|fr"), 0);
  assertEquals(msgs(p.read(enc("om_b\n"), 1)), ["MESSAGE|from_b"]);
});

Deno.test("WebSocket CLOSE status bytes are glued in front of the next line", () => {
  const p = new RemoteParser({ mode: "crash" });
  assertEquals(msgs(p.read(bytes(0x03, 0xe8), 0)), []);
  const evs = p.read(enc("MESSAGE|next\n"), 1);
  assertEquals(evs.length, 1);
  assert(msgs(evs)[0].endsWith("MESSAGE|next"));
});

Deno.test("recover mode reports a wedge and then keeps parsing", () => {
  const { evs } = feed("recover", enc("\nX|1\n"), enc("Y|2\n"));
  assertEquals(faults(evs), ["wedge"]);
  assertEquals(msgs(evs), ["X|1", "Y|2"]);
});

Deno.test("strtok skips leading separators and reports a zero-size byte", () => {
  assertEquals(strtokCRLF(enc("\n\nAB\n"), 5).start, 2);
  assertEquals(strtokCRLF(bytes(0x41, 0xc0), 2).hangAt, 1);
});
