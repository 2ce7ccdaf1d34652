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

/** An emulator with a voice and model `mei`, and what it sends (bytes as written). */
async function speaking() {
  const clock = new VirtualClock(1_000_000);
  const emu = new Emulator({ clock, contentDir: dir, voice: true, currentTime: false });
  const out: { line: string; bytes: Uint8Array }[] = [];
  emu.onOutput((line, bytes) => out.push({ line, bytes }));
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
    await clock.advance(10);
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
    await clock.advance(10);
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
    await clock.advance(10);
    assertEquals(emu.faults.map((f) => f.kind), ["race"]);
    assert(emu.faults[0].explanation.includes("SYNTH_EVENT_STOP"), emu.faults[0].explanation);
    emu.faults.length = 0;
    emu.receive(enc.encode("SYNTH_START|mei|normal|Third.\n"), 0);
    emu.receive(enc.encode("SYNTH_START|mei|normal|Fourth.\nSYNTH_START|g2|normal|Other.\n"), 0);
    await clock.advance(10);
    assertEquals(emu.faults, []);
  } finally {
    emu.close();
  }
});

Deno.test("cleanup content folder", async () => {
  await Deno.remove(dir, { recursive: true });
});
