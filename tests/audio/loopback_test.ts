/**
 * Audio over a real loopback connection: a sandboxed bot calls `ctx.play`, the runtime (started
 * as `start` starts it, on the real clock) paces SND packets over TCP to the emulator's MMDAgent-EX
 * server side, whose receiver parses them as the binary does and notes when each arrived.
 *
 * Timing on a loaded machine: nothing here asserts a latency. The pacing check is a loose bound
 * that catches audio sent all at once (which would put the whole 3 s ahead of playback) and
 * survives seconds of scheduling jitter; the real figures (jitter p99, stop latency) are
 * `deno task bench`'s.
 */
import { Emulator } from "../../runtime/emulator/core.ts";
import { serveTcp } from "../../runtime/emulator/tcp_server.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";
import { decodeWav } from "../../runtime/audio/wav.ts";
import { wavToSndPcm } from "../../runtime/audio/convert.ts";
import { s16leToInt16 } from "../../runtime/audio/pcm.ts";
import { assert, assertEquals } from "../assert.ts";
import { pacingOf } from "./pacing.ts";
import { stereoToneWav } from "./tones.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if (ctx.args.result !== "play") return;
  const r = await ctx.play("mei", "clip.wav");
  // A turn that is over refuses its lines (turn-ended): the log always gets the result.
  ctx.log.info("played " + JSON.stringify(r));
  await ctx.sendRaw("MESSAGE|played|" + JSON.stringify(r));
});
export default bot;
`;

/** 3 s at 24 kHz stereo: 330 Hz left, 550 Hz right, amplitude 9000. */
const clip = () => stereoToneWav(330, 550, 9000);

async function until(cond: () => boolean, what: string, detail = () => "", ms = 30_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The emulator's TCP server side and a runtime dialing it, with the speaker bot and its clip. */
async function loopback(
  wav: Uint8Array,
  fn: (r: {
    emu: Emulator;
    log: ReturnType<typeof memoryLogger>;
    /** What the binary issued: it echoes each message it takes (SND audio is not a message). */
    received: string[];
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-audio-loop-" });
  const emu = new Emulator({ currentTime: false });
  const received: string[] = [];
  const offOutput = emu.onOutput((line) => void received.push(line.replace(/\r?\n$/, "")));
  const side = serveTcp(emu, { port: 0 });
  let session: Session | undefined;
  const log = memoryLogger();
  try {
    await Deno.mkdir(`${dir}/bots/speaker`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/speaker/bot.ts`, BOT);
    await Deno.writeFile(`${dir}/bots/speaker/clip.wav`, wav);
    await Deno.writeTextFile(`${dir}/bots/bots.yaml`, "bots:\n  speaker: {}\n");
    await Deno.writeTextFile(
      `${dir}/content.mdf`,
      `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${side.port}\n`,
    );
    session = await startSession({
      mdf: `${dir}/content.mdf`,
      manifest: `${dir}/bots/bots.yaml`,
      logger: log,
      watch: false,
      control: false,
    });
    const s = session;
    await until(() => emu.peers === 1, "the runtime to connect");
    await until(
      () => s.host.status().every((b) => b.state === "running"),
      "the bot to run",
      () => JSON.stringify(s.host.status()),
    );
    await fn({ emu, log, received });
  } finally {
    offOutput();
    await session?.stop();
    await side.close();
    emu.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a 3 s 24 kHz stereo WAV reaches the peer over TCP as paced 16 kHz mono SND packets of the resampled audio", async () => {
  const wav = clip();
  await loopback(wav, async ({ emu, received }) => {
    emu.inject("RECOG_EVENT_STOP", "play");
    const done = () => received.find((l) => l.startsWith("MESSAGE|played|"));
    await until(() => done() !== undefined, "the clip to finish", () => received.join("\n"));
    const r = JSON.parse(done()!.slice("MESSAGE|played|".length));
    assertEquals([r.status, r.playedMs, r.durationMs], ["finished", 3000, 3000]);

    // The avatar controller was bound to the model (audio with none is dropped) and the receiver
    // found nothing malformed. (A stall of this loaded process may leave a gap: more than one run.)
    assertEquals(emu.sound.dropped, { noModel: 0, bufferFull: 0 });
    const runs = emu.sound.runs();
    assert(runs.every((r) => r.model === "mei"), JSON.stringify(runs));
    assertEquals(runs.reduce((n, r) => n + r.ms, 0), 3000);
    // 16 kHz mono: 3 s is 48 000 samples in 75 packets of 40 ms, the resampler's exact output.
    const arrivals = emu.sound.arrivals();
    assertEquals(arrivals.length, 75);
    assert(arrivals.every((a) => a.ms === 40), JSON.stringify(arrivals.map((a) => a.ms)));
    const pcm = emu.sound.pcm();
    assertEquals(pcm, wavToSndPcm(decodeWav(wav)));
    // ...and that is the two channels' mean at 16 kHz (checked against the formula, not the code):
    // within 1 % of full scale away from the edges, where the filter has no data on one side.
    const got = s16leToInt16(pcm);
    let worst = 0;
    for (let i = 200; i < got.length - 200; i++) {
      const want = 4500 * Math.sin((2 * Math.PI * 330 * i) / 16000) +
        4500 * Math.sin((2 * Math.PI * 550 * i) / 16000);
      worst = Math.max(worst, Math.abs(got[i] - want));
    }
    assert(worst < 328, `largest difference from the mixed 16 kHz tone: ${worst}`);

    // Paced, not all at once. Loose on purpose (this process also runs the receiver, and a stall
    // of a loaded machine delays its reads, then delivers what queued in one go): sent at once,
    // 3 s of audio would arrive within a few ms, 3000 ms ahead of playback; paced, it spans
    // 2880 ms with at most 120 ms ahead. The bounds sit far from both.
    const p = pacingOf(arrivals, 120);
    assert(p.spanMs >= 1000, `packets arrived within ${p.spanMs} ms`);
    assert(p.maxAheadMs <= 2000, `${p.maxAheadMs} ms ahead of playback`);
    // The lip-sync lines stayed inside the outbound limit (1800 bytes).
    const lips = received.filter((l) => l.startsWith("LIPSYNC_START|mei|"));
    assert(lips.length > 0, "lip sync was sent");
    const enc = new TextEncoder();
    assert(lips.every((l) => enc.encode(l).length <= 1800), "lip-sync lines within 1800 bytes");
  });
});

Deno.test("over TCP, the user speaking 1 s into the clip (barge-in) stops it: the rest is never sent", async () => {
  await loopback(clip(), async ({ emu, log, received }) => {
    emu.inject("RECOG_EVENT_START");
    emu.inject("RECOG_EVENT_STOP", "play");
    await until(() => emu.sound.arrivals().length > 0, "the first packet");
    const t0 = emu.sound.arrivals()[0].at;
    await until(() => Date.now() >= t0 + 1000, "1 s of audio");
    emu.inject("RECOG_EVENT_START");
    const result = () => log.records.find((r) => r.msg.includes("played {"));
    await until(
      () => result() !== undefined,
      "the clip's result",
      () => log.records.map((r) => `${r.scope}: ${r.msg}`).join("\n"),
    );
    const r = JSON.parse(result()!.msg.slice(result()!.msg.indexOf("{")));
    assertEquals([r.status, r.by], ["interrupted", "barge-in"]);
    // Exactly the audio sent reached the peer, and it is what the bot was told played.
    const got = emu.sound.arrivals().reduce((n, a) => n + a.ms, 0);
    assertEquals(got, r.playedMs);
    // Cut near 1 s, far from the clip's 3 s (timing figures are the bench's; the bound only
    // catches a stop that did not stop the sending).
    assert(got >= 900 && got <= 2200, `${got} ms of audio were sent`);
    // The mouth closes with the voice.
    await until(
      () => received.includes("LIPSYNC_STOP|mei"),
      "LIPSYNC_STOP",
      () => received.join("\n"),
    );
  });
});
