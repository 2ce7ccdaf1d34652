/**
 * `LIPSYNC_START` for a model that is not loaded, which speech.md states two ways (§2: "sent only
 * when the model exists"; §4's table: sent, with no `LIPSYNC_EVENT_*`). The source settles it:
 * the TTS thread issues `LIPSYNC_START|<model>|<phones>` whenever the text has phones, without
 * knowing the models (Plugin_Flite_plus_hts_engine's thread), and every plugin, Plugin_Remote
 * among them, sees a message before the main thread looks the model up (MMDAgent.cpp's
 * procReceivedMessage). Only `LIPSYNC_EVENT_START` needs the model.
 *
 * The same sequences are checked on the emulator (always) and on the real binary (opt-in, skipped
 * without the kit's mirrors: tests/real/kit.ts), so the emulator is held to what the binary does.
 */
import { assertEquals } from "../assert.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { REAL_SKIP, upReal } from "../real/kit.ts";
import { makeContent } from "./content.ts";

const enc = new TextEncoder();

/** What the peer gets, per step, of the lines naming `nosuch` (the lip list shortened to `…`). */
const EXPECTED = {
  /** The voice speaks for a model that is not there: its LIPSYNC_START is issued, unanswered. */
  synth: [
    "SYNTH_START|nosuch|normal|Hello there.",
    "SYNTH_EVENT_START|nosuch",
    "LIPSYNC_START|nosuch|…",
    "SYNTH_EVENT_STOP|nosuch",
  ],
  /** A direct LIPSYNC_START for it is only echoed. */
  direct: ["LIPSYNC_START|nosuch|a,200,i,200"],
  /** For the loaded model, the same direct line starts the mouth. */
  loaded: ["LIPSYNC_START|mei|a,200,i,200", "LIPSYNC_EVENT_START|mei"],
};

const SYNTH = "SYNTH_START|nosuch|normal|Hello there.";
const DIRECT = "LIPSYNC_START|nosuch|a,200,i,200";
const LOADED = "LIPSYNC_START|mei|a,200,i,200";

/** The lines about `model`, with a voice's lip list shortened (its phones differ by engine). */
function about(lines: readonly string[], model: string, sent?: string): string[] {
  return lines.filter((l) => l.split("|")[1] === model).map((l) =>
    l.startsWith(`LIPSYNC_START|${model}|`) && l !== sent ? `LIPSYNC_START|${model}|…` : l
  ).filter((l) => !l.startsWith("LIPSYNC_EVENT_STOP|") || model !== "mei");
}

Deno.test("emulator: an unknown model's SYNTH_START issues LIPSYNC_START but no LIPSYNC_EVENT_*, and a direct LIPSYNC_START for it is only echoed, as on the real binary", async () => {
  const clock = new VirtualClock(1_000_000);
  const emu = new Emulator({
    clock,
    contentDir: await makeContent(),
    voice: true,
    currentTime: false,
  });
  const out: string[] = [];
  emu.onOutput((line) => void out.push(line.replace(/\r?\n$/, "")));
  try {
    emu.connect(0, "127.0.0.1");
    emu.receive(enc.encode("MODEL_ADD|mei|Gene_light.pmd\n"), 0);
    await clock.advance(1000);
    const step = async (line: string, ms: number) => {
      out.length = 0;
      emu.receive(enc.encode(line + "\n"), 0);
      await clock.advance(ms);
      return [...out];
    };
    assertEquals(about(await step(SYNTH, 4000), "nosuch"), EXPECTED.synth);
    assertEquals(about(await step(DIRECT, 2000), "nosuch", DIRECT), EXPECTED.direct);
    assertEquals(about(await step(LOADED, 300), "mei", LOADED), EXPECTED.loaded);
  } finally {
    emu.close();
  }
});

Deno.test({
  name: "real MMDAgent-EX: an unknown model's SYNTH_START issues LIPSYNC_START but no " +
    "LIPSYNC_EVENT_*, and a direct LIPSYNC_START for it is only echoed",
  ignore: REAL_SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mmdx = await upReal();
    let conn: Deno.TcpConn | undefined;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: mmdx.port });
      const c = conn;
      const got: string[] = [];
      const reading = (async () => {
        let rest = "";
        const dec = new TextDecoder();
        const buf = new Uint8Array(65536);
        for (;;) {
          const n = await c.read(buf).catch(() => null);
          if (n === null) return;
          rest += dec.decode(buf.subarray(0, n), { stream: true });
          const parts = rest.split("\n");
          rest = parts.pop()!;
          got.push(...parts);
        }
      })();
      const step = async (line: string, done: (l: string[]) => boolean, ms: number) => {
        got.length = 0;
        await c.write(enc.encode(line + "\n"));
        const end = Date.now() + ms;
        while (!done(got) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        // Anything trailing (a late event) shows in the comparison.
        await new Promise((r) => setTimeout(r, 700));
        return [...got];
      };
      // The first SYNTH_START right after connecting ends late on the binary (kit README): wait.
      await new Promise((r) => setTimeout(r, 2000));
      const synth = await step(SYNTH, (l) => l.includes("SYNTH_EVENT_STOP|nosuch"), 10_000);
      const direct = await step(DIRECT, (l) => l.includes(DIRECT), 5000);
      const loaded = await step(LOADED, (l) => l.includes("LIPSYNC_EVENT_START|mei"), 5000);
      // The binary first: its peer's disconnect would break it.
      await mmdx.down();
      conn.close();
      conn = undefined;
      await reading;
      console.log(
        `real MMDAgent-EX, unknown model:\n  ${synth.join("\n  ")}\n  ${direct.join("\n  ")}`,
      );
      assertEquals(about(synth, "nosuch"), EXPECTED.synth);
      assertEquals(about(direct, "nosuch", DIRECT), EXPECTED.direct);
      assertEquals(about(loaded, "mei", LOADED), EXPECTED.loaded);
    } finally {
      await mmdx.down();
      try {
        conn?.close();
      } catch { /* closed */ }
    }
  },
});
