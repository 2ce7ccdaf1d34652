/**
 * The emulator's speech where it goes wrong on the real binary (speech.md §4): a long text's
 * LIPSYNC_START line passes MMDAgent-EX's 2048-byte limit and reaches the peer cut, without LF, glued
 * to the next message; the emulator does the same and reports the fault.
 */
import { assert, assertEquals } from "../assert.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { makeContent } from "./content.ts";

const enc = new TextEncoder();
const dir = await makeContent();

/** An emulator with a voice and model `mei`, and what it sends (bytes as written, and when). */
async function speaking(mode: "recover" | "crash" = "recover") {
  const clock = new VirtualClock(1_000_000);
  const emu = new Emulator({ clock, contentDir: dir, voice: true, currentTime: false, mode });
  const out: { line: string; bytes: Uint8Array; at: number }[] = [];
  emu.onOutput((line, bytes) => out.push({ line, bytes, at: clock.now() }));
  emu.connect(0, "127.0.0.1");
  emu.receive(enc.encode("MODEL_ADD|mei|Gene_light.pmd\n"), 0);
  await clock.advance(1000);
  out.length = 0;
  return { clock, emu, out };
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i + 1}`).join(" ");

Deno.test("a 150-word SYNTH_START makes a LIPSYNC_START over 2048 bytes: cut without LF, glued to the next line, reported as a cut fault", async () => {
  const { clock, emu, out } = await speaking();
  try {
    emu.receive(enc.encode(`SYNTH_START|mei|normal|${words(150)}.\n`), 0);
    await clock.advance(2000);
    const lip = out.find((o) => o.line.startsWith("LIPSYNC_START|"))!;
    assertEquals(lip.bytes.length, 2047);
    assert(lip.bytes[lip.bytes.length - 1] !== 0x0a, "the cut line has no LF");
    const cut = emu.faults.filter((f) => f.kind === "cut");
    assertEquals(cut.length, 1);
    assert(cut[0].explanation.includes("LIPSYNC_START"), cut[0].explanation);
  } finally {
    emu.close();
  }
});

Deno.test("a 40-word SYNTH_START stays under the limit: its LIPSYNC_START ends in LF and no fault is reported", async () => {
  const { clock, emu, out } = await speaking();
  try {
    emu.receive(enc.encode(`SYNTH_START|mei|normal|${words(40)}.\n`), 0);
    await clock.advance(2000);
    const lip = out.find((o) => o.line.startsWith("LIPSYNC_START|"))!;
    assertEquals(lip.bytes[lip.bytes.length - 1], 0x0a);
    assertEquals(emu.faults, []);
  } finally {
    emu.close();
  }
});

Deno.test("two SYNTH_STARTs for one model in one write are reported as a race; one per write, or two models, are not", async () => {
  const { clock, emu } = await speaking();
  try {
    emu.receive(enc.encode("SYNTH_START|mei|normal|First.\nSYNTH_START|mei|normal|Second.\n"), 0);
    await clock.advance(2000);
    assertEquals(emu.faults.map((f) => f.kind), ["race"]);
    assert(emu.faults[0].explanation.includes("SYNTH_EVENT_STOP"), emu.faults[0].explanation);
    emu.faults.length = 0;
    emu.receive(enc.encode("SYNTH_START|mei|normal|Third.\n"), 0);
    emu.receive(enc.encode("SYNTH_START|mei|normal|Fourth.\nSYNTH_START|g2|normal|Other.\n"), 0);
    await clock.advance(2000);
    assertEquals(emu.faults, []);
  } finally {
    emu.close();
  }
});

/** The lines after `from` as `TYPE|model +ms` (lip lists left out), times from `t0`. */
function timeline(out: { line: string; at: number }[], t0: number, from = 0): string[] {
  return out.slice(from).filter((o) => !o.line.startsWith("AVATAR_EVENT_IDLE|")).map((o) => {
    const short = o.line.startsWith("LIPSYNC_START|")
      ? o.line.split("|").slice(0, 2).join("|")
      : o.line;
    return `${short} +${o.at - t0}`;
  });
}

/** Milliseconds from the echo of the SYNTH_START to its SYNTH_EVENT_STOP, on a fresh emulator. */
async function speechLength(text: string): Promise<number> {
  const { clock, emu, out } = await speaking();
  try {
    const t0 = clock.now();
    emu.receive(enc.encode(`SYNTH_START|mei|normal|${text}\n`), 0);
    await clock.advance(60_000);
    const stop = out.find((o) => o.line === "SYNTH_EVENT_STOP|mei");
    assert(stop, `no SYNTH_EVENT_STOP for ${text}`);
    return stop.at - t0;
  } finally {
    emu.close();
  }
}

Deno.test("speech lasts as speech.md measured the English voice: about 60 ms per character, within 15 % from 25 to 674 characters", async () => {
  const sentence = "The quick brown fox jumps over the lazy dog near the old river bank."; // 68
  const paragraph = Array(3).fill(sentence + " ").join("").padEnd(224, "x");
  // speech.md §2: characters → SYNTH_START echo to SYNTH_EVENT_STOP, in ms.
  const recorded: [string, number][] = [
    ["Hello world, how are you?", 1443 - 114],
    [sentence.padEnd(71, "!"), 4096 - 159],
    [paragraph, 13815 - 132],
    [Array(3).fill(paragraph).join(" ").slice(0, 674), 41500 - 79],
  ];
  for (const [text, ms] of recorded) {
    const got = await speechLength(text);
    assert(
      Math.abs(got - ms) <= ms * 0.15,
      `${[...text].length} characters: ${got} ms, recorded ${ms} ms`,
    );
  }
  // The one recorded Japanese utterance: こんにちは。 SYNTH_START echo +194 → SYNTH_EVENT_STOP +946.
  const ja = await speechLength("こんにちは。");
  assert(Math.abs(ja - (946 - 194)) <= 120, `こんにちは。: ${ja} ms, recorded 752 ms`);
});

Deno.test("one SYNTH_START runs in the recorded order: echo, SYNTH_EVENT_START, LIPSYNC_START, LIPSYNC_EVENT_START, SYNTH_EVENT_STOP, and LIPSYNC_EVENT_STOP 0.3-0.5 s after it", async () => {
  const { clock, emu, out } = await speaking();
  try {
    const t0 = clock.now();
    emu.receive(enc.encode("SYNTH_START|mei|normal|Hello world, how are you?\n"), 0);
    await clock.advance(5000);
    const types = out.map((o) => o.line.split("|")[0]);
    assertEquals(types, [
      "SYNTH_START",
      "SYNTH_EVENT_START",
      "LIPSYNC_START",
      "LIPSYNC_EVENT_START",
      "SYNTH_EVENT_STOP",
      "LIPSYNC_EVENT_STOP",
    ], timeline(out, t0).join("\n"));
    const at = (t: string) => out.find((o) => o.line.startsWith(t))!.at;
    const tail = at("LIPSYNC_EVENT_STOP") - at("SYNTH_EVENT_STOP");
    assert(tail >= 315 && tail <= 460, `LIPSYNC_EVENT_STOP ${tail} ms after SYNTH_EVENT_STOP`);
    // A long text's LIPSYNC_START comes after its analysis (recorded +119 ms for 224 characters).
    out.length = 0;
    const t1 = clock.now();
    emu.receive(enc.encode(`SYNTH_START|mei|normal|${"word ".repeat(45).trim()}\n`), 0);
    await clock.advance(1000);
    const lag = at("LIPSYNC_START") - at("SYNTH_EVENT_START");
    assert(lag >= 100 && lag <= 190, `LIPSYNC_START ${lag} ms after SYNTH_EVENT_START`);
    assert(at("SYNTH_EVENT_START") - t1 >= 50, "SYNTH_EVENT_START comes after the echo");
  } finally {
    emu.close();
  }
});

Deno.test("SYNTH_STOP while speaking gives the recorded stop sequence: LIPSYNC_STOP +70, then LIPSYNC_EVENT_STOP and SYNTH_EVENT_STOP +116; with nothing playing only LIPSYNC_STOP", async () => {
  const { clock, emu, out } = await speaking();
  try {
    emu.receive(enc.encode(`SYNTH_START|mei|normal|${"word ".repeat(41).trim()}\n`), 0);
    await clock.advance(500);
    const from = out.length;
    const t0 = clock.now();
    emu.receive(enc.encode("SYNTH_STOP|mei\n"), 0);
    await clock.advance(3000);
    assertEquals(timeline(out, t0, from), [
      "SYNTH_STOP|mei +0",
      "LIPSYNC_STOP|mei +70",
      "LIPSYNC_EVENT_STOP|mei +116",
      "SYNTH_EVENT_STOP|mei +116",
    ]);
    await clock.advance(20_000);
    assertEquals(out.filter((o) => o.line === "SYNTH_EVENT_STOP|mei").length, 1, "one end only");
    const idle = out.length;
    const t1 = clock.now();
    emu.receive(enc.encode("SYNTH_STOP|mei\nSYNTH_STOP|nosuch\n"), 0);
    await clock.advance(3000);
    assertEquals(timeline(out, t1, idle), [
      "SYNTH_STOP|mei +0",
      "SYNTH_STOP|nosuch +0",
      "LIPSYNC_STOP|mei +54",
    ]);
  } finally {
    emu.close();
  }
});

Deno.test("a SYNTH_STOP that lands while the thread prepares the text is undone, as on the real binary; one after LIPSYNC_START stops it", async () => {
  const { clock, emu, out } = await speaking();
  try {
    emu.receive(enc.encode(`SYNTH_START|mei|normal|${"word ".repeat(60).trim()}\n`), 0);
    await clock.advance(150); // SYNTH_EVENT_START came; LIPSYNC_START waits for the analysis
    assert(out.some((o) => o.line === "SYNTH_EVENT_START|mei"));
    assert(!out.some((o) => o.line.startsWith("LIPSYNC_START|")));
    emu.receive(enc.encode("SYNTH_STOP|mei\n"), 0);
    await clock.advance(1000);
    assert(out.some((o) => o.line.startsWith("LIPSYNC_START|")), "it went on speaking");
    assert(!out.some((o) => o.line === "SYNTH_EVENT_STOP|mei"), "the stop was undone");
    emu.receive(enc.encode("SYNTH_STOP|mei\n"), 0);
    await clock.advance(200);
    assertEquals(out.filter((o) => o.line === "SYNTH_EVENT_STOP|mei").length, 1);
  } finally {
    emu.close();
  }
});

Deno.test("a second SYNTH_START while one speaks interrupts it 275 ms later, in the recorded one-tick order", async () => {
  const { clock, emu, out } = await speaking();
  try {
    emu.receive(enc.encode(`SYNTH_START|mei|normal|${"word ".repeat(20).trim()}\n`), 0);
    await clock.advance(1000);
    const from = out.length;
    const t0 = clock.now();
    emu.receive(enc.encode("SYNTH_START|mei|normal|Second one.\n"), 0);
    await clock.advance(3000);
    assertEquals(timeline(out, t0, from), [
      "SYNTH_START|mei|normal|Second one. +0",
      "LIPSYNC_STOP|mei +275",
      "SYNTH_EVENT_STOP|mei +275",
      "SYNTH_EVENT_START|mei +275",
      "LIPSYNC_START|mei +275",
      "LIPSYNC_EVENT_STOP|mei +275",
      "LIPSYNC_EVENT_START|mei +275",
      "SYNTH_EVENT_STOP|mei +657",
      "LIPSYNC_EVENT_STOP|mei +1047",
    ]);
  } finally {
    emu.close();
  }
});

Deno.test("under --strict=crash two SYNTH_STARTs in one write reproduce the recorded race: the first text is never spoken, the second twice", async () => {
  const { clock, emu, out } = await speaking("crash");
  try {
    emu.receive(enc.encode("SYNTH_START|mei|normal|First.\nSYNTH_START|mei|normal|Second.\n"), 0);
    await clock.advance(5000);
    assertEquals(emu.faults.map((f) => f.kind), ["race"]);
    const spoken = out.filter((o) => o.line.startsWith("LIPSYNC_START|")).map((o) => o.line);
    assertEquals(spoken.length, 2, "two full utterances");
    assertEquals(spoken[0], spoken[1], "both with the second text's lip list");
    assertEquals(out.filter((o) => o.line === "SYNTH_EVENT_START|mei").length, 2);
    assertEquals(out.filter((o) => o.line === "SYNTH_EVENT_STOP|mei").length, 2);
    // Without crash mode the fault is reported and the second interrupts the first.
    const plain = await speaking();
    try {
      plain.emu.receive(
        enc.encode("SYNTH_START|mei|normal|First.\nSYNTH_START|mei|normal|Second.\n"),
        0,
      );
      await plain.clock.advance(5000);
      assertEquals(plain.emu.faults.map((f) => f.kind), ["race"]);
      assertEquals(plain.out.filter((o) => o.line === "SYNTH_EVENT_STOP|mei").length, 2);
    } finally {
      plain.emu.close();
    }
  } finally {
    emu.close();
  }
});

Deno.test("under --strict=crash a second SPEAK_START while one plays freezes the main thread until the first ends: no echo, no answer, no event meanwhile", async () => {
  const { clock, emu, out } = await speaking("crash");
  try {
    const t0 = clock.now();
    emu.receive(enc.encode("SPEAK_START|mei|audio.wav\n"), 0); // 5.4 s
    await clock.advance(300);
    const from = out.length;
    emu.receive(enc.encode("SPEAK_START|mei|audio.wav\nMESSAGE|hello\nTIMER_START|t|1\n"), 0);
    await clock.advance(4000);
    assertEquals(out.slice(from).map((o) => o.line), [], "frozen: nothing sent");
    assertEquals(emu.faults.map((f) => f.kind), ["freeze"]);
    assert(emu.faults[0].explanation.includes("SPEAK_STOP"), emu.faults[0].explanation);
    await clock.advance(1500); // the first ends at +5.5 s
    // Everything held comes at the first's end (+5.5 s), together with its SPEAK_EVENT_STOP.
    const thawed = out.slice(from).filter((o) => o.at - t0 <= 5500);
    assert(thawed.every((o) => o.at - t0 === 5500), timeline(thawed, t0).join("\n"));
    const lines = thawed.map((o) => o.line);
    for (
      const l of [
        "SPEAK_START|mei|audio.wav",
        "MESSAGE|hello",
        "TIMER_START|t|1",
        "SPEAK_EVENT_STOP|mei",
        "SPEAK_EVENT_START|mei",
      ]
    ) {
      assert(lines.includes(l), `${l} after the thaw:\n${lines.join("\n")}`);
    }
    assert(lines.indexOf("SPEAK_EVENT_STOP|mei") < lines.indexOf("SPEAK_EVENT_START|mei"));
    await clock.advance(6000);
    assertEquals(out.filter((o) => o.line === "SPEAK_EVENT_STOP|mei").length, 2);
    assert(out.some((o) => o.line === "TIMER_EVENT_STOP|t"), "it runs normally again");
  } finally {
    emu.close();
  }
});

Deno.test("without crash mode a second SPEAK_START while one plays is reported and queued behind the first; after SPEAK_STOP it plays at once, with no fault", async () => {
  const { clock, emu, out } = await speaking();
  try {
    emu.receive(enc.encode("SPEAK_START|mei|audio.wav\n"), 0);
    await clock.advance(300);
    emu.receive(enc.encode("SPEAK_START|mei|audio.wav\nMESSAGE|hello\n"), 0);
    await clock.advance(10);
    assert(out.some((o) => o.line === "MESSAGE|hello"), "not frozen");
    assertEquals(emu.faults.map((f) => f.kind), ["freeze"]);
    assertEquals(out.filter((o) => o.line === "SPEAK_EVENT_START|mei").length, 1, "queued");
    await clock.advance(5300);
    assertEquals(out.filter((o) => o.line === "SPEAK_EVENT_START|mei").length, 2, "then played");
    emu.faults.length = 0;
    emu.receive(enc.encode("SPEAK_STOP|mei\n"), 0);
    await clock.advance(10);
    emu.receive(enc.encode("SPEAK_START|mei|audio.wav\n"), 0);
    await clock.advance(10);
    assertEquals(emu.faults, []);
    assertEquals(out.filter((o) => o.line === "SPEAK_EVENT_START|mei").length, 3);
  } finally {
    emu.close();
  }
});

Deno.test("cleanup content folder", async () => {
  await Deno.remove(dir, { recursive: true });
});
