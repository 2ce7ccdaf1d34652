/**
 * Fair service under attack (#13): the normal bot's round trip p50/p99 while one other bot of the
 * same runtime attacks, one kind at a time, beside the quiet figures measured the same way in the
 * same run. mmdbot runs as its own process (`start`, as deployed); the bench plays MMDAgent-EX
 * (the TCP server) and sends `MESSAGE|ping|<i>` at a steady pace (one every {@link PACE_MS}), as
 * a user's turns would come, not back to back.
 *
 * The attacks, each from its own bot's start hook, run the whole measurement (restarted with a
 * short backoff when the host stops the attacker):
 * - flood: 2000 `sendRaw` per 10 ms, far past its rate limit;
 * - spin: busy loops of 1.5 s (under handler_ms) with 10 ms breaks, a core kept busy;
 * - allocate: 64 MiB typed arrays every 50 ms, outside the heap, until budgets.rss_mb stops it;
 * - throw: 100 long-message errors per 10 ms (thrown, rejected, thrown from timers);
 * - forge: forged IPC on its stdout, 64 KiB error lines and timer-sets past the budget.
 *
 * Each row also gives the CPU the mmdbot process used per second meanwhile (`host cpu`, from
 * /proc): what one attacker costs the host, and a figure a loaded machine disturbs less than the
 * latencies.
 *
 * Run alone: `deno run -A bench/attack.ts [rounds] [kinds,…]` (about a minute for all);
 * `deno task bench` includes it.
 */
import { withSession } from "./fullpath.ts";
import { writeLine } from "./line_peer.ts";
import { latencySummary } from "./stats.ts";
import { cpuNs } from "./cpu_per_line.ts";

/** Time between two pings of the normal bot. */
export const PACE_MS = 20;
/** The attack kinds, in report order. */
export const ATTACKS = ["flood", "spin", "allocate", "throw", "forge"] as const;
/** One attack kind. */
export type Attack = typeof ATTACKS[number];

const MOD = new URL("../mod.ts", import.meta.url).href;

const ECHO_BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("MESSAGE", (ctx) => {
  if (ctx.fields[0] === "ping") ctx.sendRaw("MESSAGE|pong|" + ctx.fields[1]);
});
export default bot;
`;

const ATTACK_BODY: Record<Attack, string> = {
  flood: `setInterval(() => {
    for (let i = 0; i < 2000; i++) ctx.sendRaw("MESSAGE|flood|" + i);
  }, 10);`,
  spin: `const spin = () => {
    const end = Date.now() + 1500;
    while (Date.now() < end) { /* busy */ }
    setTimeout(spin, 10);
  };
  spin();`,
  allocate: `const hoard = [];
  setInterval(() => hoard.push(new Uint8Array(64 << 20).fill(7)), 50);`,
  throw: `const long = "x".repeat(30000);
  setInterval(() => {
    for (let i = 0; i < 50; i++) Promise.reject(new Error(long));
    for (let i = 0; i < 50; i++) queueMicrotask(() => { throw new Error(long); });
  }, 10);`,
  forge: `const enc = new TextEncoder();
  const big = "file://a" + ":1a".repeat(21000);
  let timer = 1e6;
  setInterval(() => {
    let batch = "";
    for (let i = 0; i < 10; i++) {
      batch += JSON.stringify({ t: "error", where: "forged", error: { name: "E", message: big, stack: big } }) + "\\n";
      batch += JSON.stringify({ t: "timer-set", timer: timer++, ms: 60000, repeat: false }) + "\\n";
      batch += "{\\"t\\":\\"nonsense\\"" + "\\n";
    }
    Deno.stdout.writeSync(enc.encode(batch));
  }, 20);`,
};

function attackBot(kind: Attack): string {
  return `import { createBot } from "${MOD}";
const bot = createBot();
bot.onStart((ctx) => {
  ${ATTACK_BODY[kind]}
});
export default bot;
`;
}

/** A bots folder with the normal echo bot and, unless quiet, one attacker. */
function attackBots(kind: Attack | "quiet"): string {
  const dir = Deno.makeTempDirSync({ prefix: "mmdbot-attack-" });
  Deno.mkdirSync(`${dir}/normal`);
  Deno.writeTextFileSync(`${dir}/normal/bot.ts`, ECHO_BOT);
  // Its rate limit above the ping rate (the default 20/s would refuse pongs, not measure them).
  let yaml = "bots:\n  normal:\n    receive: [MESSAGE]\n" +
    "    budgets: { messages_per_second: 1000, burst: 1000 }\n";
  if (kind !== "quiet") {
    Deno.mkdirSync(`${dir}/attacker`);
    Deno.writeTextFileSync(`${dir}/attacker/bot.ts`, attackBot(kind));
    yaml += "  attacker:\n    receive: [KEY]\n" +
      "    restart: { initial_backoff_ms: 100, max_backoff_ms: 500, max_failures: 1000000 }\n";
  }
  Deno.writeTextFileSync(`${dir}/bots.yaml`, yaml);
  return `${dir}/bots.yaml`;
}

/**
 * Round trips of the normal bot, one per {@link PACE_MS}, after a warm-up second; and the CPU the
 * mmdbot process used meanwhile, per second of the measurement (what the attacker costs the
 * host; less sensitive to a loaded machine than the latencies).
 */
async function paced(
  conn: Deno.TcpConn,
  lines: AsyncIterator<string>,
  rounds: number,
  hostPid: number,
): Promise<{ p50: number; p99: number; max: number; lost: number; hostCpu?: number }> {
  // One reader for the whole run: answers resolve their ping's waiter, whatever comes between.
  const waiting = new Map<string, () => void>();
  const reader = (async () => {
    for (;;) {
      const r = await lines.next();
      if (r.done) return;
      if (r.value.startsWith("MESSAGE|pong|")) waiting.get(r.value.slice(13))?.();
    }
  })().catch(() => {});
  const samples: number[] = [];
  let lost = 0;
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = await cpuNs([hostPid]);
  const wall0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    const tag = `a${i}`;
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const got = await new Promise<boolean>((resolve) => {
      waiting.set(tag, () => resolve(true));
      // An answer later than 5 s counts as lost.
      timer = setTimeout(() => resolve(false), 5000);
      writeLine(conn, `MESSAGE|ping|${tag}`).catch(() => resolve(false));
    });
    clearTimeout(timer);
    waiting.delete(tag);
    if (got) samples.push(performance.now() - t0);
    else {
      lost++;
    }
    const wait = PACE_MS - (performance.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const cpu1 = await cpuNs([hostPid]);
  // No /proc: no figure (0 ns run is not a measurement).
  const hostCpu = cpu1 > 0 ? (cpu1 - cpu0) / 1e6 / ((performance.now() - wall0) / 1000) : undefined;
  void reader;
  const s = latencySummary(samples);
  return { ...s, max: Math.max(...samples), lost, hostCpu };
}

/** One figure: the normal bot's latency with `kind` attacking (or quiet). */
export interface AttackFigure {
  kind: Attack | "quiet";
  p50: number;
  p99: number;
  max: number;
  /** Pings not answered within 5 s. */
  lost: number;
  /** CPU ms the mmdbot process used per second of the row (undefined without /proc). */
  hostCpu?: number;
}

/** Measures the quiet figures, then each attack. */
export async function measureAttacks(
  rounds = 300,
  kinds: readonly (Attack | "quiet")[] = ["quiet", ...ATTACKS],
): Promise<AttackFigure[]> {
  const out: AttackFigure[] = [];
  for (const kind of kinds) {
    const { result } = await withSession(
      1,
      (conn, lines, _pids, hostPid) => paced(conn, lines, rounds, hostPid),
      "process",
      attackBots(kind),
    );
    out.push({ kind, ...result });
  }
  return out;
}

if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? 300);
  const fmt = (n: number) => n.toFixed(2);
  const only = Deno.args[1]?.split(",") as (Attack | "quiet")[] | undefined;
  const figures = await measureAttacks(rounds, only);
  const quiet = figures[0];
  console.log(`normal bot round trip, one ping per ${PACE_MS} ms, ${rounds} pings per row`);
  for (const f of figures) {
    console.log(
      `${f.kind.padEnd(9)} p50 ${fmt(f.p50)} ms  p99 ${fmt(f.p99)} ms  max ${fmt(f.max)} ms` +
        (f.kind === "quiet" || quiet.kind !== "quiet"
          ? ""
          : `  (${fmt(f.p99 / quiet.p99)}× quiet p99)`) +
        (f.hostCpu === undefined ? "" : `  host cpu ${f.hostCpu.toFixed(0)} ms/s`) +
        (f.lost ? `  lost ${f.lost}` : ""),
    );
  }
}
