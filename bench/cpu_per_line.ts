/**
 * Where the time of one line goes, mmdbot as its own process (as deployed): lines/s through one
 * echo bot with 16 lines in flight, and the CPU each process spent per line (host, bot, and the
 * measuring peer itself), beside the same window through a raw relay with the same two process
 * hops and no work (bench/relay_server.ts): the throughput floor of this machine.
 *
 * CPU is read from /proc/<pid>/task/<tid>/schedstat (nanoseconds run, every thread), through `sh`
 * (Deno refuses /proc reads without --allow-all).
 */
import { withSession } from "./fullpath.ts";
import { readLines, roundTrips, windowedThroughput } from "./line_peer.ts";
import { startRelayServer } from "./baseline.ts";

/** CPU per line of each process, in microseconds. */
export interface CpuShare {
  linesPerSecond: number;
  hostUs: number;
  botUs: number;
  peerUs: number;
}

/** Result of {@link measureCpuPerLine}. */
export interface CpuPerLine {
  window: number;
  /** Window 16 through mmdbot and one echo bot (best of `repeats` runs, each with its CPU). */
  full: CpuShare[];
  /** One line at a time through mmdbot (every line wakes every process). */
  single: CpuShare;
  /** Window 16 through the raw relay: lines/s and the relay's own CPU per line (as `hostUs`). */
  relay: CpuShare[];
  /**
   * One line at a time through the raw relay (relay as `hostUs`, its echo child as `botUs`): what
   * the same processes and I/O calls cost per round trip with none of mmdbot's work.
   */
  relaySingle: CpuShare;
}

/** Nanoseconds run so far by the processes `pids` and all their threads. */
export async function cpuNs(pids: number[]): Promise<number> {
  if (pids.length === 0) return 0;
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `cat ${pids.map((p) => `/proc/${p}/task/*/schedstat`).join(" ")} 2>/dev/null`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => Number(l.split(" ")[0]))
    .filter((n) => n > 0).reduce((a, b) => a + b, 0);
}

/** The process and every descendant (bwrap, prlimit wrappers and the bot's deno). */
async function tree(pid: number): Promise<number[]> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `walk() { echo $1; for c in $(cat /proc/$1/task/*/children 2>/dev/null); do walk $c; done; }; walk ${pid}`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split(/\s+/).filter(Boolean).map(Number);
}

const isPong = (l: string) => /^MESSAGE\|pong\|\d+$/.test(l);
const ping = (i: number) => `MESSAGE|ping|${i}`;

async function share(
  lines: number,
  host: number[],
  bot: number[],
  run: () => Promise<unknown>,
): Promise<CpuShare> {
  const [h0, b0, p0] = [await cpuNs(host), await cpuNs(bot), await cpuNs([Deno.pid])];
  const t0 = performance.now();
  await run();
  const wall = performance.now() - t0;
  const [h1, b1, p1] = [await cpuNs(host), await cpuNs(bot), await cpuNs([Deno.pid])];
  const us = (ns: number) => ns / 1000 / lines;
  return {
    linesPerSecond: lines / (wall / 1000),
    hostUs: us(h1 - h0),
    botUs: us(b1 - b0),
    // The probes' `sh` runs are the peer's children, not its threads: not counted.
    peerUs: us(p1 - p0),
  };
}

/** Measures `repeats` windowed runs of `count` lines through mmdbot and through the relay. */
export async function measureCpuPerLine(count = 20_000, repeats = 3): Promise<CpuPerLine> {
  const window = 16;
  const full: CpuShare[] = [];
  let single!: CpuShare;
  await withSession(1, async (conn, lines, pids) => {
    const bot = (await Promise.all(pids.map(tree))).flat();
    const ppid = await new Deno.Command("ps", {
      args: ["-o", "ppid=", "-p", String(pids[0])],
      stdout: "piped",
    }).output();
    const host = [Number(new TextDecoder().decode(ppid.stdout).trim())];
    await windowedThroughput(conn, lines, 2000, window, ping, isPong); // warm up
    for (let r = 0; r < repeats; r++) {
      full.push(
        await share(
          count,
          host,
          bot,
          () => windowedThroughput(conn, lines, count, window, ping, isPong),
        ),
      );
    }
    const n = Math.min(count, 3000);
    single = await share(
      n,
      host,
      bot,
      () => roundTrips(conn, lines, n, ping, (l, i) => l === `MESSAGE|pong|${i}`),
    );
  });
  const relay: CpuShare[] = [];
  let relaySingle!: CpuShare;
  const server = await startRelayServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  conn.setNoDelay(true);
  try {
    const lines = readLines(conn);
    const echo = (i: number) => `MESSAGE|${i}`;
    await windowedThroughput(conn, lines, 2000, window, echo, () => true);
    const all = await tree(server.pid);
    const child = all.filter((p) => p !== server.pid);
    for (let r = 0; r < repeats; r++) {
      const s = await share(
        count,
        [server.pid],
        child,
        () => windowedThroughput(conn, lines, count, window, echo, () => true),
      );
      relay.push(s);
    }
    const n = Math.min(count, 3000);
    relaySingle = await share(
      n,
      [server.pid],
      child,
      () => roundTrips(conn, lines, n, echo, (l, i) => l === echo(i)),
    );
  } finally {
    conn.close();
    await server.close();
  }
  return { window, full, single, relay, relaySingle };
}

if (import.meta.main) console.log(JSON.stringify(await measureCpuPerLine(), null, 2));
