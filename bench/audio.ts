/**
 * Audio figures for `deno task bench` (#16), measured end to end as deployed: a sandboxed bot
 * calls `ctx.play`, the runtime paces SND packets over loopback TCP to the emulator's MMDAgent-EX
 * server side, whose receiver notes each packet's arrival on a sub-millisecond clock.
 *
 * mmdbot runs as its own process (`mmdbot start`), as deployed beside MMDAgent-EX: a receiver in
 * the runtime's own event loop would see the runtime's work as network delay.
 *
 * - **Pacing jitter**: per packet after the start-up burst (the packets that fill the 120 ms
 *   lookahead), how far the gap since the previous arrival is from that packet's 40 ms (packet
 *   delay variation: a stall shows once, and does not shift every later packet as a drift from
 *   the first arrival would); p50/p99 of its absolute value over a 10 s clip. Target p99 ≤ 5 ms.
 * - **Barge-in stop latency**: the emulator issues `RECOG_EVENT_START` 1 s into a clip (the user
 *   starts speaking); the latency is from then to the last packet that still arrived (0 when none
 *   did), and the audio heard after the barge-in is what the peer held then plus what came after
 *   (at most the lookahead, plus the binary's own ~90 ms output latency which it adds itself).
 *
 * The jitter follows the machine's load, not the pacer: on this 2-core machine, alternating runs
 * of be80458 and 66c1cd3 gave p99 3.5-4.0 ms with the CPUs 20-30 % busy and 6.6-47 ms at 55-80 %,
 * whichever the commit; a sender-side trace put each large gap on a timer that fired late or on
 * a receiver that was not scheduled (its event loop stalled for 10 ms around the arrival), the
 * write itself taking under 0.1 ms. So the figures carry `machineBusyPct`.
 *
 * Run alone: `deno run -A bench/audio.ts` prints the figures as JSON.
 */
import { type Clock, realClock, sleepOn } from "../runtime/clock/clock.ts";
import { Emulator } from "../runtime/emulator/core.ts";
import { serveTcp } from "../runtime/emulator/tcp_server.ts";
import { pacingOf } from "../tests/audio/pacing.ts";
import { stereoToneWav } from "../tests/audio/tones.ts";
import { quantile } from "./stats.ts";
import { spawnStart } from "./start_process.ts";

/** What {@link measureAudio} reports (ms). */
export interface AudioFigures {
  /** Packets measured for the jitter (a 10 s clip). */
  packets: number;
  jitter: { p50: number; p99: number; max: number };
  /**
   * How busy the machine's CPUs were while the 10 s clip played, % of all cores (Linux; undefined
   * elsewhere). The jitter is scheduling: the sender's timer and the receiver's read both wait for a
   * core, so a figure from a busy machine says little about the pacer (see the module notes).
   */
  machineBusyPct?: number;
  /** Most audio held by the peer ahead of playback (no output latency), ms. */
  maxAheadMs: number;
  /** Barge-in trials. */
  trials: number;
  stopLatency: { p50: number; p99: number; max: number };
  /** Packets that still arrived after the barge-in, most in a trial. */
  packetsAfterMax: number;
  /** Audio heard after the barge-in (held + arrived later), most in a trial, ms. */
  heardAfterMaxMs: number;
}

const MOD = new URL("../mod.ts", import.meta.url).href;
const BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const file = ctx.args.result;
  if (file === "ping") return void ctx.sendRaw("MESSAGE|pong");
  if (file !== "long.wav" && file !== "short.wav") return;
  const r = await ctx.play("mei", file);
  await ctx.sendRaw("MESSAGE|played|" + r.status);
});
export default bot;
`;

const precise: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: realClock.setTimeout,
  clearTimeout: realClock.clearTimeout,
  sleep: (ms, signal) => sleepOn(precise, ms, signal),
};

/** Idle and total jiffies of all CPUs (`/proc/stat`, through `sh`: Deno refuses /proc reads). */
async function cpuJiffies(): Promise<{ idle: number; total: number } | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", "head -n 1 /proc/stat"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const f = new TextDecoder().decode(out.stdout).trim().split(/\s+/).slice(1).map(Number);
    if (f.length < 5 || f.some((n) => !Number.isFinite(n))) return undefined;
    // user nice system idle iowait irq softirq steal: idle and iowait are the idle time.
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle: f[3] + f[4], total };
  } catch {
    return undefined;
  }
}

async function until(cond: () => boolean, what: string, ms = 60_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`bench audio: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Measures pacing jitter and barge-in stop latency (see the module documentation). */
export async function measureAudio(trials = 5): Promise<AudioFigures> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-bench-audio-" });
  const emu = new Emulator({ currentTime: false, clock: precise });
  const side = serveTcp(emu, { port: 0 });
  const echoes: string[] = [];
  const off = emu.onOutput((line) => void echoes.push(line.trim()));
  let child: Deno.ChildProcess | undefined;
  try {
    await Deno.mkdir(`${dir}/bots/speaker`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/speaker/bot.ts`, BOT);
    await Deno.writeFile(`${dir}/bots/speaker/long.wav`, stereoToneWav(440, 440, 8000, 10));
    await Deno.writeFile(`${dir}/bots/speaker/short.wav`, stereoToneWav(440, 440, 8000, 3));
    await Deno.writeTextFile(`${dir}/bots/bots.yaml`, "bots:\n  speaker: {}\n");
    await Deno.writeTextFile(
      `${dir}/content.mdf`,
      `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${side.port}\n`,
    );
    child = spawnStart(`${dir}/content.mdf`, `${dir}/bots/bots.yaml`);
    await until(() => emu.peers === 1, "the connection");
    // Lines for a bot still loading wait for it: the pong says it runs.
    emu.inject("RECOG_EVENT_STOP", "ping");
    await until(() => echoes.includes("MESSAGE|pong"), "the bot");

    const played = () => echoes.filter((l) => l.startsWith("MESSAGE|played|")).length;
    // Pacing over a 10 s clip.
    let from = emu.sound.arrivals().length;
    const cpu0 = await cpuJiffies();
    emu.inject("RECOG_EVENT_STOP", "long.wav");
    await until(() => played() === 1, "the 10 s clip");
    const cpu1 = await cpuJiffies();
    const machineBusyPct = cpu0 && cpu1 && cpu1.total > cpu0.total
      ? 100 * (1 - (cpu1.idle - cpu0.idle) / (cpu1.total - cpu0.total))
      : undefined;
    const pacing = pacingOf(emu.sound.arrivals().slice(from), 120);
    // Jitter as packet delay variation: each gap between arrivals against the audio in between.
    const jit = pacing.gapJitter.map(Math.abs);

    // Barge-in 1 s into a 3 s clip.
    const latencies: number[] = [];
    let packetsAfterMax = 0;
    let heardAfterMaxMs = 0;
    for (let k = 0; k < trials; k++) {
      // A new turn first, so the clip belongs to the turn the barge-in ends.
      from = emu.sound.arrivals().length;
      emu.inject("RECOG_EVENT_START");
      emu.inject("RECOG_EVENT_STOP", "short.wav");
      await until(() => emu.sound.arrivals().length > from, "the first packet");
      const t0 = emu.sound.arrivals()[from].at;
      await precise.sleep(Math.max(0, t0 + 1000 - precise.now()));
      const bargeAt = precise.now();
      const held = emu.sound.queuedMs(bargeAt);
      emu.inject("RECOG_EVENT_START");
      // The bot cannot report a clip of a turn that is over (its lines are refused, turn-ended):
      // the clip is over when no packet came for 500 ms, far beyond the lookahead.
      const lastAt = () => emu.sound.arrivals().at(-1)?.at ?? bargeAt;
      await until(() => precise.now() - Math.max(bargeAt, lastAt()) > 500, "the cut clip to end");
      const after = emu.sound.arrivals().slice(from).filter((a) => a.at > bargeAt);
      latencies.push(after.length ? after[after.length - 1].at - bargeAt : 0);
      packetsAfterMax = Math.max(packetsAfterMax, after.length);
      // queuedMs counts the binary's output latency as held audio too: take it out.
      const heard = Math.max(0, held - 90) + after.reduce((n, a) => n + a.ms, 0);
      heardAfterMaxMs = Math.max(heardAfterMaxMs, heard);
      emu.inject("RECOG_EVENT_STOP", "");
      await precise.sleep(300);
    }
    return {
      packets: pacing.gapJitter.length,
      jitter: { p50: quantile(jit, 0.5), p99: quantile(jit, 0.99), max: Math.max(...jit) },
      machineBusyPct,
      maxAheadMs: pacing.maxAheadMs,
      trials,
      stopLatency: {
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        max: Math.max(...latencies),
      },
      packetsAfterMax,
      heardAfterMaxMs,
    };
  } finally {
    off();
    if (child) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    }
    await side.close();
    emu.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await measureAudio(), null, 2));
