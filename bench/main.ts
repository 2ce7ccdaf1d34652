/**
 * `deno task bench`: one run, side by side on loopback. Prints a table with ratios to the floors
 * and the targets beside the figures (reported, never asserted), and writes bench/results/latest.json.
 *
 * Latency is judged against the two-hop floor (decisions.md): loopback TCP line echo plus one pipe
 * round trip to a child process, both measured in this same run.
 */
import { measurePipeRoundTrip, measureTcpEcho } from "./baseline.ts";
import { bareDenoPss, measureFanOut, measureFullPath } from "./fullpath.ts";
import { detectSandbox } from "../runtime/sandbox/detect.ts";

const fmt = (n: number, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

const sandbox = await detectSandbox();
console.log(`isolation level for bots: ${sandbox.level} (${sandbox.os.why})\n`);

const echo = await measureTcpEcho(3000, 50_000);
const pipe = await measurePipeRoundTrip(3000);
const floor = { p50: echo.p50 + pipe.p50, p99: echo.p99 + pipe.p99 };
const full = await measureFullPath(2000, 10_000);
const fan: Record<number, Awaited<ReturnType<typeof measureFanOut>>> = {};
for (const n of [1, 10, 50]) fan[n] = await measureFanOut(n, n === 50 ? 200 : 500);
const bare = await bareDenoPss();

const rows: [string, string, string, string][] = [
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
  ...[1, 10, 50].map((n): [string, string, string, string] => [
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
  ["cold start to ready, 10 bots (ms)", fmt(fan[10].readyMs, 0), "", "≤ 2000 ms"],
];
const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 6));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i])).join("  "));

const results = {
  date: new Date().toISOString(),
  sandbox: sandbox.level,
  echo,
  pipe,
  floor,
  full,
  fan,
  bare,
};
Deno.mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
Deno.writeTextFileSync(
  new URL("./results/latest.json", import.meta.url),
  JSON.stringify(results, null, 2),
);
console.log("\nwritten: bench/results/latest.json");
