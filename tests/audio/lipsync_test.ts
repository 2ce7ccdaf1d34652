import {
  createEnvelope,
  createTimeline,
  LIP_PHONES,
  lipPhonesProblem,
  lipsyncArgs,
  morasToPhones,
} from "../../runtime/audio/lipsync.ts";
import { assert, assertEquals } from "../assert.ts";

Deno.test("the phone table is MMDAgent-EX's lip.txt: 69 names, A first (the fallback)", () => {
  assertEquals(LIP_PHONES.length, 69);
  assertEquals(LIP_PHONES[0], "A");
  for (const p of ["a", "i", "u", "e", "o", "N", "cl", "pau", "sil", "hh", "ax"]) {
    assert(LIP_PHONES.includes(p), p);
  }
});

Deno.test("moras become consonant and vowel phones; bad phones and durations are named", () => {
  assertEquals(
    morasToPhones([{ consonant: "k", consonantMs: 60, vowel: "o", vowelMs: 90 }, {
      vowel: "N",
      vowelMs: 50,
    }]),
    [{ phone: "k", ms: 60 }, { phone: "o", ms: 90 }, { phone: "N", ms: 50 }],
  );
  assert(lipPhonesProblem([{ phone: "a", ms: 0 }])!.includes("durations are ms > 0"));
  assertEquals(lipPhonesProblem([{ phone: "sh", ms: 10 }]), undefined);
});

Deno.test("the envelope closes the mouth in silence and opens it with loudness, window by window", () => {
  const env = createEnvelope();
  const pcm = new Uint8Array(640 * 2 * 3); // three 40 ms windows: loud, quiet, silent
  const v = new DataView(pcm.buffer);
  for (let i = 0; i < 640; i++) v.setInt16(2 * i, i % 2 ? 20000 : -20000, true);
  for (let i = 640; i < 1280; i++) v.setInt16(2 * i, i % 2 ? 4000 : -4000, true);
  // Fed in odd-sized pieces: a sample split across chunks still counts once.
  const out = [...env.push(pcm.subarray(0, 1001)), ...env.push(pcm.subarray(1001)), ...env.end()];
  assertEquals(out.map((p) => p.phone), ["a", "A", "N"]);
  assertEquals(out.map((p) => p.ms), [40, 40, 40]);
});

Deno.test("a timeline slice starts mid-phone and merges; lipsyncArgs stays within the byte limit", () => {
  const tl = createTimeline();
  tl.add([{ phone: "a", ms: 100 }, { phone: "a", ms: 100 }, { phone: "i", ms: 100 }]);
  assertEquals(tl.slice(50, 200), [{ phone: "a", ms: 150 }, { phone: "i", ms: 50 }]);
  assertEquals(tl.slice(300, 100), []);
  const many = Array.from({ length: 500 }, () => ({ phone: "a", ms: 10 }));
  const r = lipsyncArgs("mei", many, 200)!;
  assert(new TextEncoder().encode(`LIPSYNC_START|${r.args}`).length <= 200);
  assertEquals(r.coveredMs, (r.args.split(",").length / 2) * 10);
  assertEquals(lipsyncArgs("m".repeat(300), many, 200), undefined);
});
