/**
 * `ctx.play` end to end in the test kit: a real sandboxed bot process asks the host to play a WAV
 * from its folder or a PCM stream; the emulator's sound device records what played.
 */
import { createTestRuntime } from "../../testing.ts";
import { decodeWav } from "../../runtime/audio/wav.ts";
import { wavToSndPcm } from "../../runtime/audio/convert.ts";
import { assert, assertEquals } from "../assert.ts";
import { pacingOf } from "./pacing.ts";
import { stereoToneWav } from "./tones.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const BOT = `import { createBot } from "${MOD}";
const bot = createBot();
let stop;
// A key stops the clip: the user's speech would be a barge-in, which the floor handles itself.
bot.on("KEY", () => stop?.abort());
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const what = ctx.args.result;
  // Only a play gets a new controller: "stop" must abort the one still playing.
  stop = new AbortController();
  let r;
  if (what === "file") r = await ctx.play("mei", "clip.wav", { signal: stop.signal });
  if (what === "escape") r = await ctx.play("mei", "../bots.yaml");
  if (what === "stream") {
    async function* tone() {
      for (let k = 0; k < 20; k++) {
        const s = new Int16Array(2400 * 2); // 100 ms at 24 kHz stereo
        for (let i = 0; i < 2400; i++) s[2 * i] = s[2 * i + 1] = Math.round(8000 * Math.sin(2 * Math.PI * 440 * (k * 2400 + i) / 24000));
        yield new Uint8Array(s.buffer);
      }
    }
    r = await ctx.play("mei", tone(), { format: { sampleRate: 24000, channels: 2, format: "s16" }, signal: stop.signal });
  }
  if (r) await ctx.sendRaw("MESSAGE|played|" + JSON.stringify(r));
});
export default bot;
`;

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-play-" });
  await Deno.mkdir(`${dir}/speaker`);
  await Deno.writeTextFile(`${dir}/speaker/bot.ts`, BOT);
  await Deno.writeTextFile(`${dir}/bots.yaml`, "bots:\n  speaker: {}\n");
  // 3 s at 24 kHz stereo: 330 Hz left, 550 Hz right.
  const wav = stereoToneWav(330, 550, 9000);
  await Deno.writeFile(`${dir}/speaker/clip.wav`, wav);
  return { dir, wav };
}

function result(sent: string[]): Record<string, unknown> {
  const line = sent.find((l) => l.startsWith("MESSAGE|played|"));
  assert(line, `no result: ${JSON.stringify(sent)}`);
  return JSON.parse(line.slice("MESSAGE|played|".length));
}

Deno.test("ctx.play of a 3 s 24 kHz stereo WAV reaches the emulator as the 16 kHz mono audio, and finishes", async () => {
  const { dir, wav } = await setup();
  try {
    await using rt = await createTestRuntime({ bots: `${dir}/bots.yaml` });
    await rt.say("file");
    await rt.waitForSent("__AV_SETMODEL,mei"); // the host read the file (real I/O)
    await rt.advance(4000);
    const sent = rt.sent();
    assertEquals(sent.slice(sent.indexOf("__AV_START"), sent.indexOf("__AV_START") + 3), [
      "__AV_START",
      "__AV_SETMODEL,mei",
      "__AVCONF_DISABLEAUTOLIP,ALWAYS",
    ]);
    assert(sent.some((l) => l.startsWith("LIPSYNC_START|mei|")), "lip sync sent");
    const played = rt.played();
    assertEquals(played.pcm, wavToSndPcm(decodeWav(wav)));
    assertEquals(played.runs.length, 1);
    assertEquals([played.runs[0].model, played.runs[0].ms], ["mei", 3000]);
    const r = result(rt.sent());
    assertEquals([r.status, r.playedMs, r.durationMs], ["finished", 3000, 3000]);
    // On the virtual clock the pacing is exact: never more than the 120 ms lookahead ahead of
    // playback, three packets at once and then one per 40 ms, each on time.
    const p = pacingOf(played.packets, 120);
    assertEquals(played.packets.length, 75);
    assert(p.maxAheadMs <= 120, `${p.maxAheadMs} ms ahead`);
    assertEquals([p.spanMs, Math.max(...p.lateness)], [2880, 0]);
    const enc = new TextEncoder();
    const lips = sent.filter((l) => l.startsWith("LIPSYNC_START|"));
    assert(lips.every((l) => enc.encode(l).length <= 1800), "lip-sync lines within 1800 bytes");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bot's stop 1 s into a stream ends the audio within the lookahead; a path outside the folder is refused", async () => {
  const { dir } = await setup();
  try {
    await using rt = await createTestRuntime({ bots: `${dir}/bots.yaml` });
    await rt.say("stream");
    await rt.waitForSent("__AV_SETMODEL,mei");
    await rt.advance(1000);
    await rt.inject("KEY|s");
    await rt.advance(1000);
    const r = result(rt.sent());
    assertEquals([r.status, r.by], ["interrupted", "stop"]);
    const run = rt.played().runs[0];
    // Played from its start for the time until the stop, plus at most the 120 ms lookahead.
    assert(
      run.ms <= (r.stoppedAtMs as number) + 120,
      `played ${run.ms}, stopped at ${r.stoppedAtMs}`,
    );
    assert(
      (r.stoppedAtMs as number) >= 800 && (r.stoppedAtMs as number) <= 1100,
      `${r.stoppedAtMs}`,
    );
    assert(rt.sent().includes("LIPSYNC_STOP|mei"), "the mouth closes with the voice");
    rt.clearSent();
    await rt.say("escape");
    await rt.waitForSent("MESSAGE|played|");
    const esc = result(rt.sent());
    assertEquals(esc.status, "refused");
    assert(String(esc.reason).includes("outside the bot's folder"), String(esc.reason));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
