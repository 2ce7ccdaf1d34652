import {
  DEFAULT_SND_CHUNK_BYTES,
  encodeSnd,
  MAX_SND_PAYLOAD,
  pcmDurationMs,
  sndHeader,
  sndPayload,
} from "../../runtime/wire/snd.ts";
import { RefusedError, type WireUnit } from "../../runtime/wire/types.ts";
import { assert, assertEquals } from "../assert.ts";

const dec = new TextDecoder();

function pcm(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

/**
 * Reads a byte stream with Plugin_Remote's audio rule (reference 1.2 rule 1): headers consume
 * their optional LF, `SNDdddd` takes atoi(dddd) bytes. Returns payloads and header names seen.
 */
function mmdagentAudioParse(stream: Uint8Array): { pcm: number[]; headers: string[] } {
  const out: number[] = [];
  const headers: string[] = [];
  let at = 0;
  while (at < stream.length) {
    assert(stream.length - at >= 7, `a unit shorter than 7 bytes at ${at} would be held back`);
    const head = dec.decode(stream.subarray(at, at + 7));
    assert(head.startsWith("SND"), `not an SND unit at ${at}: ${head}`);
    const kind = head.slice(3);
    if (["STRM", "FILE", "BRKS"].includes(kind)) {
      headers.push(head);
      at += 7;
      if (stream[at] === 10) at++;
      continue;
    }
    const n = parseInt(kind, 10);
    assert(/^\d{4}$/.test(kind) && n === Number(kind), `length field ${kind}`);
    out.push(...stream.subarray(at + 7, at + 7 + n));
    at += 7 + n;
  }
  return { pcm: out, headers };
}

function concat(units: WireUnit[]): Uint8Array {
  const all = new Uint8Array(units.reduce((n, u) => n + u.bytes.length, 0));
  let at = 0;
  for (const u of units) {
    all.set(u.bytes, at);
    at += u.bytes.length;
  }
  return all;
}

Deno.test("SND packets are SND + 4 zero-padded digits + payload, default 1280 bytes, last one shorter", () => {
  const data = pcm(3000);
  const units = encodeSnd(data);
  assertEquals(DEFAULT_SND_CHUNK_BYTES, 1280);
  assertEquals(units.map((u) => u.text), ["SND1280", "SND1280", "SND0440"]);
  assertEquals(units.map((u) => u.bytes.length), [1287, 1287, 447]);
  for (const u of units) assertEquals(u.kind, "snd");
  assertEquals(dec.decode(units[2].bytes.subarray(0, 7)), "SND0440");
  assertEquals(units[2].bytes.subarray(7), data.subarray(2560));
  // No terminator after the payload.
  assertEquals(units[0].bytes[1286], data[1279]);
});

Deno.test("the packets read back, as MMDAgent-EX parses them, to exactly the PCM sent", () => {
  for (const [n, chunk] of [[2, 1280], [1280, 1280], [1282, 1280], [20000, 960], [16384, 8184]]) {
    const data = pcm(n);
    const stream = concat([
      sndHeader("SNDFILE"),
      ...encodeSnd(data, { chunkBytes: chunk }),
      sndHeader("SNDBRKS"),
    ]);
    const parsed = mmdagentAudioParse(stream);
    assertEquals(parsed.headers, ["SNDFILE", "SNDBRKS"]);
    assertEquals(parsed.pcm, Array.from(data), `${n} bytes in ${chunk}`);
  }
});

Deno.test("small payloads still get four digits (SND0002), and empty PCM gives no packet", () => {
  assertEquals(encodeSnd(pcm(2)).map((u) => u.text), ["SND0002"]);
  assertEquals(encodeSnd(new Uint8Array(0)), []);
});

Deno.test("the largest chunk is 8184 bytes; odd, zero or larger chunk sizes are rejected", () => {
  assertEquals(encodeSnd(pcm(8184), { chunkBytes: MAX_SND_PAYLOAD }).map((u) => u.text), [
    "SND8184",
  ]);
  for (const bad of [8186, 1281, 0, -2, 1.5]) {
    let threw = false;
    try {
      encodeSnd(pcm(10), { chunkBytes: bad });
    } catch (e) {
      threw = e instanceof RangeError;
    }
    assert(threw, `chunkBytes ${bad}`);
  }
});

Deno.test("PCM of odd length is refused (16-bit samples), not padded", () => {
  try {
    encodeSnd(pcm(1281));
    throw new Error("not thrown");
  } catch (e) {
    assert(e instanceof RefusedError, String(e));
    assertEquals(e.refusal.code, "snd-odd-length");
    assert(e.message.includes("1281"), e.message);
  }
});

Deno.test("SND headers carry their LF in the same unit", () => {
  for (const h of ["SNDSTRM", "SNDFILE", "SNDBRKS"] as const) {
    const u = sndHeader(h);
    assertEquals(dec.decode(u.bytes), h + "\n");
    assertEquals(u.text, h);
  }
  let threw = false;
  try {
    sndHeader("SNDXXXX" as "SNDSTRM");
  } catch (e) {
    threw = e instanceof RangeError;
  }
  assert(threw, "unknown header rejected");
});

Deno.test("PCM duration: 32 bytes per millisecond at 16 kHz 16-bit mono", () => {
  assertEquals(pcmDurationMs(32000), 1000);
  assertEquals(pcmDurationMs(1280), 40);
});

Deno.test("sndPayload gives the PCM of a whole packet the encoder made, and names what is wrong with any other", () => {
  const pcm = Uint8Array.from({ length: 640 }, (_, i) => i % 251);
  const [unit] = encodeSnd(pcm, { chunkBytes: 640 });
  assertEquals(sndPayload(unit.bytes), pcm);
  const enc = new TextEncoder();
  const bad: [Uint8Array, RegExp][] = [
    [enc.encode("SND0004abc"), /header says 4 bytes but 3 follow/],
    [enc.encode("SND0002abc"), /header says 2 bytes but 3 follow/],
    [enc.encode("SND0003abc"), /payload of 3 bytes/],
    [enc.encode("SND0000ab"), /payload of 0 bytes/],
    [enc.encode("SNDx002ab"), /not digits/],
    [enc.encode("MSG0002ab"), /does not start with SND/],
    [enc.encode("SND02"), /shorter than the shortest packet/],
    [enc.encode("SND9000" + "a".repeat(9000)), /payload of 9000 bytes/],
  ];
  for (const [packet, why] of bad) {
    const r = sndPayload(packet);
    assert(!(r instanceof Uint8Array), new TextDecoder().decode(packet.slice(0, 12)));
    assertEquals(r.code, "snd-packet");
    assert(why.test(r.reason), r.reason);
  }
});
