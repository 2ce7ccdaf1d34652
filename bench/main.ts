/**
 * `deno task bench`: one run, side by side on loopback. Prints a table with ratios to the floors
 * and the targets beside the figures (reported, never asserted), and writes bench/results/latest.json.
 *
 * Latency is judged against the two-hop floor (decisions.md): loopback TCP line echo plus one pipe
 * round trip to a child process, both measured in this same run.
 *
 * Two placements. The main table runs mmdbot (and the raw echo server) inside the bench process,
 * as every earlier run did, so figures stay comparable. The second one runs them as their own
 * processes, as deployed next to MMDAgent-EX: every hop is then a cross-process wake-up, on the
 * floor as on the full path.
 */
import { measurePipeRoundTrip, measureTcpEcho } from "./baseline.ts";
import { bareDenoPss, measureFanOut, measureFullPath } from "./fullpath.ts";
import { detectSandbox } from "../runtime/sandbox/detect.ts";
import { measureHotLatency } from "./hot_latency.ts";
import { type CpuShare, measureCpuPerLine } from "./cpu_per_line.ts";
import type { SoakResult } from "./soak.ts";
import { measureAudio } from "./audio.ts";
import { measureAttacks } from "./attack.ts";
import { measureConversation } from "./conversation.ts";
import type { BrokerBench } from "./broker.ts";
import { brokerAvailable } from "../tests/broker/rabbit.ts";

const fmt = (n: number, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

const sandbox = await detectSandbox();
console.log(`isolation level for bots: ${sandbox.level} (${sandbox.os.why})\n`);

const echo = await measureTcpEcho(3000, 50_000, "in-bench");
const pipe = await measurePipeRoundTrip(3000);
const floor = { p50: echo.p50 + pipe.p50, p99: echo.p99 + pipe.p99 };
const full = await measureFullPath(2000, 10_000, "in-bench");
const fan: Record<number, Awaited<ReturnType<typeof measureFanOut>>> = {};
for (const n of [1, 10, 50]) fan[n] = await measureFanOut(n, n === 50 ? 200 : 500, "in-bench");
const bare = await bareDenoPss();

// As deployed: mmdbot and the echo server as their own processes.
const echoP = await measureTcpEcho(3000, 50_000, "process");
const floorP = { p50: echoP.p50 + pipe.p50, p99: echoP.p99 + pipe.p99 };
const fullP = await measureFullPath(2000, 10_000, "process");
const fanP10 = await measureFanOut(10, 200, "process");
const fanP50 = await measureFanOut(50, 200, "process");

// The floor and the full path measured the same way: rotating blocks of round trips, all hot.
const hot = await measureHotLatency(30, 100, "process");

// Where a line's time goes (as deployed): CPU per line of each process, beside a raw relay with
// the same two process hops and no work, the throughput floor of this machine.
const cpu = await measureCpuPerLine(20_000, 3);
const best = (runs: CpuShare[]) =>
  runs.reduce((a, b) => (b.linesPerSecond > a.linesPerSecond ? b : a));
const cpuFull = best(cpu.full);
const cpuRelay = best(cpu.relay);
const us = (s: CpuShare) => `${fmt(s.hostUs, 1)} / ${fmt(s.botUs, 1)} / ${fmt(s.peerUs, 1)}`;

// Audio (#16): SND pacing and barge-in, mmdbot as its own process, the receiver in the bench.
const audio = await measureAudio();

// Fair service (#13): the normal bot's latency while one other bot attacks, beside quiet.
const attacks = await measureAttacks(300);

// Conversation (#14): the runtime's own share of barge-in and streamed speech (host speech path).
const conversation = await measureConversation();

// A million lines per handler form through one bot, in its own process so gc() can be exposed.
const soakLines = Number(Deno.env.get("MMDBOT_BENCH_SOAK_LINES") ?? 1_000_000);
const soakOut = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--no-prompt",
    "-A",
    "--v8-flags=--expose-gc",
    new URL("./soak.ts", import.meta.url).pathname,
    String(soakLines),
    "--json",
  ],
  stdout: "piped",
  stderr: "inherit",
}).output();
const soak: SoakResult = JSON.parse(
  new TextDecoder().decode(soakOut.stdout).trim().split("\n").at(-1)!,
);

// The broker path (issue 18), on a private rabbitmq-server, in its own process; skipped without one.
let brokerBench: BrokerBench | undefined;
if (brokerAvailable) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", new URL("./broker.ts", import.meta.url).pathname, "--json"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (out.success) {
    brokerBench = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  } else console.log("broker bench failed (see above); its rows are left out");
}

type Row = [string, string, string, string];
const rows: Row[] = [
  ["mmdbot inside the bench process (comparable with earlier runs)", "", "", ""],
  ["raw TCP line echo p50 / p99 (ms)", `${fmt(echo.p50)} / ${fmt(echo.p99)}`, "1.00×", "floor"],
  ["pipe round trip to a child p50 / p99 (ms)", `${fmt(pipe.p50)} / ${fmt(pipe.p99)}`, "", "floor"],
  [
    "full path TCP → bot → TCP p50 / p99 (ms)",
    `${fmt(full.p50)} / ${fmt(full.p99)}`,
    `${fmt(full.p50 / floor.p50, 2)}× two-hop floor`,
    "p50 ≤ 1.5× floor, p99 ≤ 2 ms",
  ],
  [
    "throughput, pipelined (lines/s)",
    `${fmt(full.throughput, 0)} (raw ${fmt(echo.throughput, 0)})`,
    `${fmt((100 * full.throughput) / echo.throughput, 1)} % of raw`,
    "≥ 50 % of raw echo (window 16)",
  ],
  [
    "throughput, 200 in flight (lines/s)",
    fmt(full.capacity, 0),
    `${fmt((100 * full.capacity) / echo.throughput, 1)} % of raw`,
    "capacity (no drops below 288)",
  ],
  ...[1, 10, 50].map((n): Row => [
    `fan-out to ${n} bots, all answers back p50 / p99 (ms)`,
    `${fmt(fan[n].p50)} / ${fmt(fan[n].p99)}`,
    "",
    n === 50 ? "p99 ≤ 10 ms" : "",
  ]),
  [
    "PSS per idle bot, 10 bots (MiB)",
    `${fmt(fan[10].pssPerBotMb, 1)} (bare deno ${fmt(bare, 1)})`,
    `${fmt(fan[10].pssPerBotMb / bare, 2)}× bare`,
    "≤ 35 MB",
  ],
  ["cold start to ready, 10 bots (ms)", fmt(fan[10].readyMs, 0), "startSession", "≤ 2000 ms"],
  ["", "", "", ""],
  ["mmdbot and the echo server as their own processes (as deployed)", "", "", ""],
  ["raw TCP line echo p50 / p99 (ms)", `${fmt(echoP.p50)} / ${fmt(echoP.p99)}`, "1.00×", "floor"],
  [
    "full path TCP → bot → TCP p50 / p99 (ms)",
    `${fmt(fullP.p50)} / ${fmt(fullP.p99)}`,
    `${fmt(fullP.p50 / floorP.p50, 2)}× two-hop floor`,
    "p50 ≤ 1.5× floor, p99 ≤ 2 ms",
  ],
  [
    "throughput, window 16 / 200 (lines/s)",
    `${fmt(fullP.throughput, 0)} / ${fmt(fullP.capacity, 0)} (raw ${fmt(echoP.throughput, 0)})`,
    `${fmt((100 * fullP.throughput) / echoP.throughput, 1)} % of raw`,
    "≥ 50 % of raw echo (window 16)",
  ],
  [
    "fan-out to 10 / 50 bots p50 / p99 (ms)",
    `${fmt(fanP10.p50)} / ${fmt(fanP10.p99)}; ${fmt(fanP50.p50)} / ${fmt(fanP50.p99)}`,
    "",
    "50: p99 ≤ 10 ms",
  ],
  ["cold start to ready, 10 bots (ms)", fmt(fanP10.readyMs, 0), "spawn → all answer", "≤ 2000 ms"],
  ["", "", "", ""],
  [
    `hot blocks: ${hot.blocks} rotations of ${hot.perBlock} round trips per path (as deployed)`,
    "",
    "",
    "",
  ],
  [
    "two-hop floor (echo + pipe) p50 / p99 (ms)",
    `${fmt(hot.floor.p50)} / ${fmt(hot.floor.p99)}`,
    `echo ${fmt(hot.echo.p50)}, pipe ${fmt(hot.pipe.p50)}`,
    "floor",
  ],
  [
    "raw relay: the full path's processes and I/O, no work",
    `${fmt(hot.relay.p50)} / ${fmt(hot.relay.p99)}`,
    `${fmt(hot.relay.p50 / hot.floor.p50, 2)}× floor`,
    "what the layout costs",
  ],
  [
    "full path TCP → bot → TCP p50 / p99 (ms)",
    `${fmt(hot.full.p50)} / ${fmt(hot.full.p99)}`,
    `${fmt(hot.full.p50 / hot.floor.p50, 2)}× floor, ${
      fmt(hot.full.p50 / hot.relay.p50, 2)
    }× relay`,
    "p50 ≤ 1.25× floor, p99 ≤ 1 ms",
  ],
  ["", "", "", ""],
  [
    `CPU per line, as deployed, ${cpu.window} in flight (best of ${cpu.full.length} runs)`,
    "",
    "",
    "",
  ],
  [
    "through one bot (lines/s)",
    fmt(cpuFull.linesPerSecond, 0),
    `${fmt((100 * cpuFull.linesPerSecond) / cpuRelay.linesPerSecond, 1)} % of the relay floor`,
    "≥ 100k lines/s",
  ],
  ["  CPU µs/line mmdbot / bot / measuring peer", us(cpuFull), "all threads (schedstat)", ""],
  [
    "raw relay, same two hops, no work (lines/s)",
    fmt(cpuRelay.linesPerSecond, 0),
    `CPU µs/line relay / echo child / peer ${us(cpuRelay)}`,
    "floor",
  ],
  [
    "one line at a time: CPU µs per round trip",
    us(cpu.single),
    `${fmt(cpu.single.linesPerSecond, 0)} round trips/s`,
    "each wake-up's cost",
  ],
  [
    "  the same through the raw relay (relay / echo child / peer)",
    us(cpu.relaySingle),
    `${fmt(cpu.relaySingle.linesPerSecond, 0)} round trips/s`,
    "its floor",
  ],
  ["", "", "", ""],
  ["audio: ctx.play over TCP to the emulator's receiver (mmdbot as its own process)", "", "", ""],
  [
    "SND pacing jitter p50 / p99 (ms)",
    `${fmt(audio.jitter.p50, 2)} / ${fmt(audio.jitter.p99, 2)}`,
    `${audio.packets} packets, max ${fmt(audio.jitter.max, 1)}` +
    (audio.machineBusyPct === undefined
      ? ""
      : `, CPUs ${fmt(audio.machineBusyPct, 0)} % busy meanwhile`),
    "p99 ≤ 5 ms",
  ],
  [
    "audio ahead of playback at the receiver, most (ms)",
    fmt(audio.maxAheadMs, 1),
    "lookahead 120 ms",
    "≤ lookahead",
  ],
  [
    "barge-in: last packet after the user spoke p50 / p99 (ms)",
    `${fmt(audio.stopLatency.p50, 1)} / ${fmt(audio.stopLatency.p99, 1)}`,
    `${audio.trials} trials, ≤ ${audio.packetsAfterMax} packets after`,
    "within one packet (40 ms)",
  ],
  [
    "barge-in: audio heard after the user spoke, most (ms)",
    fmt(audio.heardAfterMaxMs, 0),
    "+ the binary's ~90 ms output latency",
    "≤ lookahead",
  ],
  ["", "", "", ""],
  [
    "conversation: the host's speech path (floor, segmenter, guard → sink), runtime share only",
    "",
    "",
    "",
  ],
  [
    "barge-in: RECOG_EVENT_START in → SYNTH_STOP out p50 / p99 (ms)",
    `${fmt(conversation.bargeIn.p50)} / ${fmt(conversation.bargeIn.p99)}`,
    `${conversation.trials} trials`,
    "p99 ≤ 10 ms",
  ],
  [
    "streaming: sentence complete → SYNTH_START out p50 / p99 (ms)",
    `${fmt(conversation.streaming.p50)} / ${fmt(conversation.streaming.p99)}`,
    "bot pipe not included",
    "p50 ≤ 5 ms",
  ],
  ["", "", "", ""],
  [`soak: ${soakLines} lines per handler form through one bot (host in-process)`, "", "", ""],
  ...soak.phases.map((p): Row => [
    `${p.form}: lines/s, CPU µs/line host / bot`,
    `${fmt(p.linesPerSecond, 0)}; ${fmt(p.hostCpuUsPerLine, 1)} / ${fmt(p.botCpuUsPerLine, 1)}`,
    `lost ${p.lost}`,
    "",
  ]),
  [
    "host heap after GC / RSS, before → after (MiB)",
    `${fmt(soak.hostHeapMb.before, 1)} → ${fmt(soak.hostHeapMb.after, 1)} / ` +
    `${fmt(soak.hostRssMb.before, 0)} → ${fmt(soak.hostRssMb.after, 0)}`,
    "",
    "heap flat",
  ],
  [
    "bot RSS before → peak → after (MiB)",
    `${fmt(soak.botRssMb.before, 1)} → ${fmt(soak.botRssMb.peak, 1)} → ${
      fmt(soak.botRssMb.after, 1)
    }`,
    `heap budget ${soak.botHeapBudgetMb} MiB`,
    "bounded by the budget, 0 restarts",
  ],
  [
    "restarts / dropped / warnings",
    `${soak.restarts} / ${soak.droppedMessages} / ${soak.warnings.length}`,
    "",
    "0 / 0 / 0",
  ],
  ...(brokerBench
    ? [
      ["", "", "", ""],
      ["broker path (rabbitmq-server on loopback; emulator in-process on both paths)", "", "", ""],
      [
        "user line → bot answer, bot at the edge p50 / p99 (ms)",
        `${fmt(brokerBench.local.p50)} / ${fmt(brokerBench.local.p99)}`,
        "1.00×",
        "local path",
      ],
      [
        "same, bot on a worker over the broker p50 / p99 (ms)",
        `${fmt(brokerBench.broker.p50)} / ${fmt(brokerBench.broker.p99)}`,
        `+${fmt(brokerBench.broker.p50 - brokerBench.local.p50)} ms p50`,
        "reported",
      ],
      [
        `throughput ${brokerBench.avatars} avatars × ${brokerBench.workers} workers (lines/s)`,
        fmt(brokerBench.throughput, 0),
        "",
        "reported",
      ],
    ] as Row[]
    : []),
];
rows.push([
  "normal bot under attack (mmdbot as its own process, one ping per 20 ms, 300 per row)",
  "",
  "",
  "",
]);
const quietAttack = attacks[0];
for (const a of attacks) {
  rows.push([
    `  ${
      a.kind === "quiet" ? "quiet (no attacker)" : `one bot attacking: ${a.kind}`
    } p50 / p99 (ms)`,
    `${fmt(a.p50)} / ${fmt(a.p99)}${a.lost ? ` (${a.lost} lost)` : ""}` +
    (a.hostCpu === undefined ? "" : `, host cpu ${fmt(a.hostCpu, 0)} ms/s`),
    a.kind === "quiet" ? "" : `${fmt(a.p99 / quietAttack.p99, 2)}× quiet p99`,
    a.kind === "quiet" ? "" : "p99 near quiet",
  ]);
}
const w = [0, 1, 2, 3].map((i) => Math.max(...rows.filter((r) => r[1]).map((r) => r[i].length), 6));
for (const r of rows) console.log(r[1] ? r.map((c, i) => c.padEnd(w[i])).join("  ") : r[0]);

const results = {
  date: new Date().toISOString(),
  sandbox: sandbox.level,
  echo,
  pipe,
  floor,
  full,
  fan,
  bare,
  asDeployed: { echo: echoP, floor: floorP, full: fullP, fan: { 10: fanP10, 50: fanP50 } },
  hot,
  cpu,
  audio,
  attacks,
  conversation,
  soak,
  broker: brokerBench,
};
Deno.mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
Deno.writeTextFileSync(
  new URL("./results/latest.json", import.meta.url),
  JSON.stringify(results, null, 2),
);
console.log("\nwritten: bench/results/latest.json");
