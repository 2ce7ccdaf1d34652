/**
 * The full path, measured the same way as the baselines: a peer playing MMDAgent-EX sends
 * `MESSAGE|ping|<i>`, mmdbot decodes it, dispatches it to sandboxed echo bots (one child process
 * each), and their `MESSAGE|pong|<i>` goes back through ACL, rate limit and guard to the peer.
 */
import { startSession } from "../runtime/session/session.ts";
import { createLogger } from "../runtime/log/logger.ts";
import { latencySummary } from "./stats.ts";
import { readLines, roundTrips, windowedThroughput } from "./line_peer.ts";
import { spawnStart } from "./start_process.ts";

const ECHO_BOT = `import { createBot } from "${new URL("../mod.ts", import.meta.url).href}";
const bot = createBot();
bot.on("MESSAGE", (ctx) => {
  if (ctx.fields[0] === "ping") ctx.sendRaw("MESSAGE|pong|" + ctx.fields[1]);
});
export default bot;
`;

/** Writes a temporary bots folder with `n` echo bots (budgets raised for throughput runs). */
export function echoBots(n: number): string {
  const dir = Deno.makeTempDirSync({ prefix: "mmdbot-bench-" });
  let yaml = "bots:\n";
  for (let i = 0; i < n; i++) {
    Deno.mkdirSync(`${dir}/echo${i}`);
    Deno.writeTextFileSync(`${dir}/echo${i}/bot.ts`, ECHO_BOT);
    yaml += `  echo${i}:\n    receive: [MESSAGE]\n` +
      `    budgets: { messages_per_second: 1000000, burst: 1000000 }\n`;
  }
  Deno.writeTextFileSync(`${dir}/bots.yaml`, yaml);
  return `${dir}/bots.yaml`;
}

/** Where mmdbot runs during a measurement. */
export type Placement = "process" | "in-bench";

/**
 * A runtime with `bots` echo bots connected to a raw TCP peer (the bench plays MMDAgent-EX, the TCP
 * server). `process` (default) runs `mmdbot start` as its own process, as in real use: a peer in
 * the same event loop as mmdbot competes with it for every tick (measured here: pongs already
 * written waited up to 5 ms for the peer's read during a 50-bot fan-out). `readyMs` is from
 * starting mmdbot until every bot has answered a probe (`process`), or until `startSession`
 * resolved (`in-bench`); `fn` also gets the bots' process ids and mmdbot's own (the bench's in
 * `in-bench`). `manifestFile` replaces the echo bots (then `bots` of them must answer
 * `MESSAGE|ping|…` with `MESSAGE|pong|…`).
 */
export async function withSession<T>(
  bots: number,
  fn: (
    conn: Deno.TcpConn,
    lines: AsyncIterator<string>,
    pids: number[],
    hostPid: number,
  ) => Promise<T>,
  placement: Placement = "process",
  manifestFile?: string,
): Promise<{ result: T; readyMs: number }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const dir = Deno.makeTempDirSync();
  const mdf = `${dir}/bench.mdf`;
  Deno.writeTextFileSync(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${port}\n`,
  );
  const manifest = manifestFile ?? echoBots(bots);
  const t0 = performance.now();
  if (placement === "in-bench") {
    const session = await startSession({
      mdf,
      manifest,
      watch: false,
      control: false,
      logger: createLogger({ level: "error" }),
    });
    const readyMs = performance.now() - t0;
    const conn = await listener.accept();
    conn.setNoDelay(true);
    listener.close();
    const lines = readLines(conn);
    try {
      const pids = session.host.status().map((b) => b.pid).filter((p): p is number => !!p);
      return { result: await fn(conn, lines, pids, Deno.pid), readyMs };
    } finally {
      await session.stop();
      try {
        conn.close();
      } catch { /* closed by the session */ }
    }
  }
  const child = spawnStart(mdf, manifest);
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await listener.accept();
    conn.setNoDelay(true);
    listener.close();
    const lines = readLines(conn);
    const readyMs = await probeUntilAnswered(conn, lines, bots) - t0;
    const pids = await childrenOf(child.pid);
    return { result: await fn(conn, lines, pids, child.pid), readyMs };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    try {
      conn?.close();
    } catch { /* closed by mmdbot */ }
    try {
      listener.close();
    } catch { /* closed after accept */ }
  }
}

/** Sends `MESSAGE|ping|ready` every 10 ms until all `bots` answered one; returns when (ms). */
async function probeUntilAnswered(
  conn: Deno.TcpConn,
  lines: AsyncIterator<string>,
  bots: number,
): Promise<number> {
  const enc = new TextEncoder();
  let answered = 0;
  let done = false;
  const prober = (async () => {
    for (let round = 0; !done; round++) {
      // A fresh tag per round: each bot answers every probe, so count one round's answers only.
      await conn.write(enc.encode(`MESSAGE|ping|ready${round}\n`));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const perRound = new Map<string, number>();
  for (;;) {
    const r = await lines.next();
    if (r.done) throw new Error("mmdbot closed the connection while starting");
    if (!r.value.startsWith("MESSAGE|pong|ready")) continue;
    answered = (perRound.get(r.value) ?? 0) + 1;
    perRound.set(r.value, answered);
    if (answered === bots) break;
  }
  const at = performance.now();
  done = true;
  await prober;
  // Answers to the last probes may still come: every measurement matches its own lines only.
  await new Promise((r) => setTimeout(r, 50));
  return at;
}

/** Direct children of a process (each bot's sandbox wrapper or process). */
async function childrenOf(pid: number): Promise<number[]> {
  const out = await new Deno.Command("pgrep", { args: ["-P", String(pid)], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split(/\s+/).filter(Boolean).map(Number);
}

/**
 * p50/p99 round trip through one echo bot, and pipelined throughput with 16 lines in flight (as
 * before) and with 200 (within the bot's inbox window plus queue, so nothing is dropped: capacity).
 */
export async function measureFullPath(
  rounds: number,
  pipelined: number,
  placement: Placement = "process",
): Promise<
  { p50: number; p99: number; throughput: number; capacity: number; readyMs: number }
> {
  const { result, readyMs } = await withSession(1, async (conn, lines) => {
    const samples = await roundTrips(
      conn,
      lines,
      rounds,
      (i) => `MESSAGE|ping|${i}`,
      (l, i) => l === `MESSAGE|pong|${i}`,
    );
    const isPong = (l: string) => /^MESSAGE\|pong\|\d+$/.test(l);
    const ping = (i: number) => `MESSAGE|ping|${i}`;
    const tput = await windowedThroughput(conn, lines, pipelined, 16, ping, isPong);
    const capacity = await windowedThroughput(conn, lines, pipelined, 200, ping, isPong);
    return {
      ...latencySummary(samples.slice(Math.floor(rounds / 10))),
      throughput: tput,
      capacity,
    };
  }, placement);
  return { ...result, readyMs };
}

/** One message fanned out to `bots` bots: time until every bot's answer is back. */
export async function measureFanOut(
  bots: number,
  rounds: number,
  placement: Placement = "process",
): Promise<{ p50: number; p99: number; readyMs: number; pssPerBotMb: number }> {
  const { result, readyMs } = await withSession(bots, async (conn, lines, pids) => {
    const samples: number[] = [];
    const enc = new TextEncoder();
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await conn.write(enc.encode(`MESSAGE|ping|${i}\n`));
      let got = 0;
      while (got < bots) {
        const r = await lines.next();
        if (r.done) throw new Error("closed");
        if (r.value === `MESSAGE|pong|${i}`) got++;
      }
      samples.push(performance.now() - t0);
    }
    await new Promise((r) => setTimeout(r, 300));
    const pss = await Promise.all(pids.map(pssOfTree));
    return {
      ...latencySummary(samples.slice(Math.floor(rounds / 10))),
      pssPerBotMb: pss.reduce((a, b) => a + b, 0) / Math.max(1, pss.length),
    };
  }, placement);
  return { ...result, readyMs };
}

/** PSS in MiB of a process and its descendants (bwrap and prlimit wrappers included). */
export async function pssOfTree(pid: number): Promise<number> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `for p in ${pid} $(pgrep -P ${pid}) $(pgrep -P "$(pgrep -P ${pid} | tr '\\n' ',' | sed 's/,$//')" 2>/dev/null); do ` +
      `awk '/^Pss:/{s+=$2} END{print s+0}' /proc/$p/smaps_rollup 2>/dev/null; done`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const kb = new TextDecoder().decode(out.stdout).split("\n").map(Number).filter((n) => n > 0)
    .reduce((a, b) => a + b, 0);
  return kb / 1024;
}

/** PSS of a bare idle `deno run`, measured the same way, for comparison. */
export async function bareDenoPss(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "await new Promise((r) => setTimeout(r, 60000))"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((r) => setTimeout(r, 800));
  const pss = await pssOfTree(child.pid);
  child.kill("SIGKILL");
  await child.status;
  return pss;
}
