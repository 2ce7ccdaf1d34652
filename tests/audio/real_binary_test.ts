/**
 * `ctx.play` against the real MMDAgent-EX (tests/real/kit.ts: opt-in, skipped without the kit's
 * mirrors, so never on CI). What the binary played is recorded from its sound device, the kit's
 * PulseAudio null sink, so the test hears the audio rather than trusting the sender's model of it.
 *
 * The user's speech is issued inside MMDAgent-EX (its HTTP `/req`, as its recogniser would), so
 * it reaches the runtime as the binary's own `RECOG_EVENT_*` lines.
 *
 * Bounds are loose (the binary idles at 1-2 cores of this 2-core machine, and its sound server
 * buffers): they tell a played clip from a cut one, not a latency.
 */
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";
import { assert, assertEquals } from "../assert.ts";
import { REAL_SKIP, type RealMmdx, recordSink, soundRuns, upReal } from "../real/kit.ts";
import { stereoToneWav } from "./tones.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const m = /^play (\\w+\\.wav)$/.exec(ctx.args.result ?? "");
  if (!m) return;
  const r = await ctx.play("mei", m[1]);
  // A turn that is over refuses its lines (turn-ended): the log always gets the result.
  ctx.log.info("played " + JSON.stringify(r));
});
export default bot;
`;

async function until(cond: () => boolean, what: string, detail = () => "", ms = 30_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test({
  name: "on the real MMDAgent-EX, a bot's WAV plays as SND with lip sync, and a barge-in 1 s in " +
    "cuts it",
  ignore: REAL_SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mmdbot-real-audio-" });
    let mmdx: RealMmdx | undefined;
    let session: Session | undefined;
    let recorder: ReturnType<typeof recordSink> | undefined;
    const log = memoryLogger();
    const lines: { t: number; dir: string; line: string }[] = [];
    try {
      await Deno.mkdir(`${dir}/bots/speaker`, { recursive: true });
      await Deno.writeTextFile(`${dir}/bots/speaker/bot.ts`, BOT);
      // 440 Hz on both channels, 24 kHz stereo: resampled and mixed down on the way.
      await Deno.writeFile(`${dir}/bots/speaker/one.wav`, stereoToneWav(440, 440, 9000, 1));
      await Deno.writeFile(`${dir}/bots/speaker/two.wav`, stereoToneWav(440, 440, 9000, 2));
      await Deno.writeFile(`${dir}/bots/speaker/three.wav`, stereoToneWav(440, 440, 9000, 3));
      await Deno.writeTextFile(`${dir}/bots/bots.yaml`, "bots:\n  speaker: {}\n");
      mmdx = await upReal();
      await Deno.writeTextFile(
        `${dir}/content.mdf`,
        `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${mmdx.port}\n`,
      );
      session = await startSession({
        mdf: `${dir}/content.mdf`,
        manifest: `${dir}/bots/bots.yaml`,
        logger: log,
        watch: false,
        control: false,
      });
      const s = session;
      s.tap.onRecord((r) => void lines.push({ t: performance.now(), dir: r.dir, line: r.line }));
      await until(() => s.link.stats().state === "connected", "the runtime to connect");
      await until(
        () => s.host.status().every((b) => b.state === "running"),
        "the bot to run",
        () => JSON.stringify(s.host.status()),
      );
      const results = () =>
        log.records.filter((r) => r.msg.startsWith("played {")).map((r) =>
          JSON.parse(r.msg.slice("played ".length))
        );
      const trace = () =>
        lines.filter((l) => !l.line.startsWith("SND")).map((l) => `${l.dir} ${l.line.slice(0, 80)}`)
          .join("\n");

      // A binary starved of CPU cannot play in real time (seen with the machine busy elsewhere: its
      // echoes 1-1.6 s late and the sound broken up): say so instead of failing on the sound.
      const probeAt = performance.now();
      await mmdx.issue("MESSAGE|probe");
      await until(
        () => lines.some((l) => l.dir === "in" && l.line === "MESSAGE|probe"),
        "the binary's answer to a probe",
        trace,
      );
      const echoMs = lines.find((l) => l.dir === "in" && l.line === "MESSAGE|probe")!.t - probeAt;
      if (echoMs > 500) {
        throw new Error(
          `MMDAgent-EX took ${Math.round(echoMs)} ms to pass on a message (50-130 ms on a quiet ` +
            "machine): this machine is too busy for its audio to play in real time; run the test " +
            "again when it is quieter",
        );
      }

      // 0. The first clip right after connecting. The binary plays no SND audio until about 2.1 s
      // after a peer connected (audio sent earlier is played late, not dropped): the runtime
      // holds the clip's first packet until SND_STARTUP_HOLD_MS after the connection, so it is
      // heard as soon as it is sent.
      const pause = (ms = 1000) => new Promise((r) => setTimeout(r, ms));
      const since = s.link.stats().connectedSince;
      const connectedAt = performance.now() - (since === undefined ? 0 : Date.now() - since);
      const recorder0 = recordSink(mmdx.pulseServer);
      await mmdx.issue("RECOG_EVENT_START");
      await mmdx.issue("RECOG_EVENT_STOP|play one.wav");
      await until(() => results().length === 1, "the first clip to finish", trace);
      const firstSent = lines.find((l) => l.dir === "out" && l.line.startsWith("SND"))!.t;
      await pause(2500);
      const first = soundRuns(await recorder0.stop());
      const ms = (n: number) => `${Math.round(n)} ms`;
      const heardFirst = first.map((r) => [Math.round(r.at - firstSent), r.ms, Math.round(r.hz)]);
      console.log(
        `first clip: first packet ${ms(firstSent - connectedAt)} after connecting; heard as ` +
          `${JSON.stringify(heardFirst)} ([ms from its first packet, ms, Hz] runs)`,
      );
      assert(
        firstSent - connectedAt >= 2000,
        `sent ${ms(firstSent - connectedAt)} after connecting`,
      );
      assertEquals(first.length, 1, `the first clip's sound: ${JSON.stringify(heardFirst)}`);
      // Heard at once (observed 41 ms; unheld, it came 1.8 s late); loose for a loaded machine.
      assert(first[0].at - firstSent <= 700, `heard ${ms(first[0].at - firstSent)} late`);
      recorder = recordSink(mmdx.pulseServer);
      await pause();

      // 1. A 2 s clip plays to its end.
      const mark1 = lines.length;
      await mmdx.issue("RECOG_EVENT_START");
      await mmdx.issue("RECOG_EVENT_STOP|play two.wav");
      await until(() => results().length === 2, "the 2 s clip to finish", trace);
      assertEquals([results()[1].status, results()[1].playedMs], ["finished", 2000]);

      // 2. A 3 s clip, and the user speaks 1 s after its first packet went out. (A pause first:
      // the clip ended by the sender's model, and the device plays about 0.1 s behind it.)
      await pause();
      const mark = lines.length;
      await mmdx.issue("RECOG_EVENT_START");
      await mmdx.issue("RECOG_EVENT_STOP|play three.wav");
      await until(
        () => lines.slice(mark).some((l) => l.dir === "out" && l.line.startsWith("SND")),
        "the second clip's first packet",
        trace,
      );
      await new Promise((r) => setTimeout(r, 1000));
      const bargeAt = performance.now();
      await mmdx.issue("RECOG_EVENT_START");
      await until(() => results().length === 3, "the cut clip's result", trace);
      const cut = results()[2];
      assertEquals([cut.status, cut.by], ["interrupted", "barge-in"]);
      assert(cut.playedMs >= 800 && cut.playedMs <= 2400, `${cut.playedMs} ms sent`);
      // The mouth: our LIPSYNC_START lines reached the model (it answers each with an event), and
      // the cut closed it.
      const inbound = lines.filter((l) => l.dir === "in").map((l) => l.line);
      assert(inbound.includes("AVATAR|START"), `no AVATAR|START for __AV_START\n${trace()}`);
      assert(
        inbound.filter((l) => l.startsWith("LIPSYNC_START|mei|")).length >= 2,
        `our lip sync was not echoed\n${trace()}`,
      );
      assert(
        inbound.filter((l) => l === "LIPSYNC_EVENT_START|mei").length >= 2,
        `the model did not start lip sync\n${trace()}`,
      );
      await until(
        () => lines.some((l) => l.dir === "in" && l.line === "LIPSYNC_STOP|mei"),
        "the cut's LIPSYNC_STOP",
        trace,
      );
      // What the sound device played: the first clip whole, the second cut near where it was.
      await new Promise((r) => setTimeout(r, 800));
      const rec = await recorder.stop();
      const runs = soundRuns(rec);
      recorder = undefined;
      assertEquals(
        runs.length,
        2,
        `sound runs: ${
          JSON.stringify(runs)
        }; ${rec.stamps.length} chunks, ${rec.samples.length} samples`,
      );
      const [full, cutRun] = runs;
      assert(Math.abs(full.ms - 2000) <= 300, `the 2 s clip played ${full.ms} ms`);
      assert(
        cutRun.ms >= 700 && cutRun.ms <= cut.playedMs + 300,
        `the cut clip played ${cutRun.ms} ms (${cut.playedMs} ms sent)`,
      );
      for (const r of runs) assert(Math.abs(r.hz - 440) <= 30, `pitch ${r.hz} Hz`);
      // Figures for the README (not asserted): the first packet to the first sound, and how long
      // the cut clip was still heard after the user spoke.
      const firstSnd = lines.slice(mark1).find((l) =>
        l.dir === "out" && l.line.startsWith("SND")
      )!.t;
      console.log(
        `real MMDAgent-EX: the 2 s clip played ${full.ms} ms, heard ${
          ms(full.at - firstSnd)
        } after its first packet; the cut clip: ${cut.playedMs} ms sent, ${cutRun.ms} ms heard, ` +
          `the last of it ${ms(cutRun.at + cutRun.ms - bargeAt)} after the barge-in; pitch ` +
          `${Math.round(full.hz)} / ${Math.round(cutRun.hz)} Hz`,
      );
    } finally {
      // The binary first: its peer's disconnect would break it (kit README).
      await mmdx?.down();
      await recorder?.stop();
      await session?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
