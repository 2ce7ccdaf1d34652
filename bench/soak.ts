/**
 * Soak: many lines through one real (sandboxed) bot, in the three handler forms people write —
 * the one-line form returning the send's promise, a block body dropping it, and awaiting the
 * result — with default budgets (the rate limit lifted, as any load harness must). Reports, per
 * form, throughput and CPU µs per line in the host and in the bot, the host's heap after a full GC
 * and the bot's resident memory before and after, plus restarts and lost lines.
 *
 * Run alone with `deno run -A --v8-flags=--expose-gc bench/soak.ts [lines] [--json]` (the host's
 * heap is measured after `gc()` when exposed); the soak test runs it with a small count, the bench
 * with a million. The host runs in this process, fed directly (no socket), so the figures are the
 * host's and the bot's own work per line.
 */
import { createHost } from "../runtime/host/host.ts";
import { memoryLogger } from "../runtime/log/logger.ts";
import { loadManifest } from "../runtime/manifest/load.ts";
import { buildLaunch } from "../runtime/sandbox/launch.ts";
import { detectSandbox } from "../runtime/sandbox/detect.ts";
import type { SendOutcome } from "../runtime/transport/types.ts";
import type { WireUnit } from "../runtime/wire/types.ts";

const SOAK_BOT = `import { createBot } from "${new URL("../mod.ts", import.meta.url).href}";
const bot = createBot();
bot.on("PING", (ctx) => ctx.sendRaw("PONG|" + ctx.fields[0]));
bot.on("PANG", (ctx) => {
  ctx.sendRaw("PONG|" + ctx.fields[0]);
});
bot.on("PINGA", async (ctx) => {
  const r = await ctx.sendRaw("PONG|" + ctx.fields[0]);
  if (r.status !== "written") ctx.log.warn("send " + ctx.fields[0] + " was " + r.status);
});
export default bot;
`;

/** Lines in flight at once: under the host's inbox capacity (256), so nothing drops for speed. */
export const SOAK_IN_FLIGHT = 128;

/** Figures of one handler form. */
export interface SoakPhase {
  form: string;
  lines: number;
  linesPerSecond: number;
  hostCpuUsPerLine: number;
  botCpuUsPerLine: number;
  /** Lines that did not come back, or came back changed. */
  lost: number;
}

/** What one soak run measured. */
export interface SoakResult {
  phases: SoakPhase[];
  /** Host heap used, MiB, after warm-up and at the end (after a full GC when `gc` is exposed). */
  hostHeapMb: { before: number; after: number; afterGc: boolean };
  hostRssMb: { before: number; after: number };
  /** The bot's resident memory (its process tree), MiB: after warm-up, highest seen, at the end. */
  botRssMb: { before: number; peak: number; after: number };
  botHeapBudgetMb: number;
  restarts: number;
  droppedMessages: number;
  handlerErrors: number;
  /** Warnings and errors the host logged (none expected). */
  warnings: string[];
}

const TICK = 100; // USER_HZ on Linux

function cpuTicks(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]); // utime, stime
  } catch {
    return 0;
  }
}

/** The process `pid` and all its descendants (the sandbox wraps the bot). */
function tree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    try {
      for (const t of Deno.readDirSync(`/proc/${p}/task`)) {
        const kids = Deno.readTextFileSync(`/proc/${p}/task/${t.name}/children`).trim();
        for (const k of kids ? kids.split(/\s+/) : []) visit(Number(k));
      }
    } catch {
      // Gone meanwhile.
    }
  };
  visit(pid);
  return out;
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const p of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${p}/status`))?.[1] ?? 0);
    } catch {
      // Gone meanwhile.
    }
  }
  return kb / 1024;
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return Deno.memoryUsage().heapUsed / 2 ** 20;
};

/** Runs `lines` lines per handler form through one bot; the first 10 % of each form warm up. */
export async function soak(lines: number): Promise<SoakResult> {
  const dir = Deno.makeTempDirSync({ prefix: "mmdbot-soak-" });
  Deno.mkdirSync(`${dir}/soak`);
  Deno.writeTextFileSync(`${dir}/soak/bot.ts`, SOAK_BOT);
  Deno.writeTextFileSync(
    `${dir}/bots.yaml`,
    "bots:\n  soak:\n    budgets: { messages_per_second: 1000000000, burst: 1000000000 }\n",
  );
  const manifest = await loadManifest(`${dir}/bots.yaml`);
  const sandbox = await detectSandbox();
  const log = memoryLogger();
  let received = 0;
  let checksum = 0;
  let wake: (() => void) | undefined;
  const sink = (unit: WireUnit): Promise<SendOutcome> => {
    received++;
    checksum += Number(unit.text.slice(5));
    wake?.();
    return Promise.resolve({ status: "written", connection: "soak" });
  };
  const host = createHost({
    manifest,
    logger: log,
    sink,
    guardContext: { commands: { hasStartupFst: false } },
    launcher: (spec) => buildLaunch(spec, sandbox),
  });
  await host.start();
  const pid = host.status()[0].pid!;
  let botPeak = 0;

  /** Sends `n` lines of `type` keeping SOAK_IN_FLIGHT in flight; returns lines lost. */
  const drive = async (type: string, n: number): Promise<number> => {
    const start = received;
    checksum = 0;
    let sent = 0;
    let expected = 0;
    let sampleAt = n / 20;
    while (received - start < n) {
      while (sent < n && sent - (received - start) < SOAK_IN_FLIGHT) {
        host.deliver(`${type}|${sent}`);
        expected += sent;
        sent++;
      }
      const stuck = setTimeout(() => wake?.(), 5_000);
      await new Promise<void>((r) => (wake = r));
      clearTimeout(stuck);
      wake = undefined;
      if (host.status()[0].pid !== pid) break; // restarted: the rest is lost
      if (received - start >= sampleAt) {
        botPeak = Math.max(botPeak, rssMb(tree(pid)));
        sampleAt += n / 20;
      }
    }
    return (n - (received - start)) + (checksum === expected ? 0 : 1);
  };

  try {
    const forms: [string, string][] = [
      ["one-line (promise returned)", "PING"],
      ["block body (promise dropped)", "PANG"],
      ["awaited", "PINGA"],
    ];
    for (const [, type] of forms) await drive(type, Math.max(1000, Math.floor(lines / 10)));
    const botPids = tree(pid);
    const before = {
      heap: heapMb(),
      rss: Deno.memoryUsage().rss / 2 ** 20,
      bot: rssMb(botPids),
    };
    botPeak = before.bot;
    const phases: SoakPhase[] = [];
    for (const [form, type] of forms) {
      const h0 = cpuTicks("self");
      const b0 = botPids.reduce((s, p) => s + cpuTicks(p), 0);
      const t0 = performance.now();
      const lost = await drive(type, lines);
      const seconds = (performance.now() - t0) / 1000;
      const h1 = cpuTicks("self");
      const b1 = botPids.reduce((s, p) => s + cpuTicks(p), 0);
      phases.push({
        form,
        lines,
        linesPerSecond: lines / seconds,
        hostCpuUsPerLine: ((h1 - h0) / TICK) * 1e6 / lines,
        botCpuUsPerLine: ((b1 - b0) / TICK) * 1e6 / lines,
        lost,
      });
    }
    const st = host.status()[0];
    const after = { heap: heapMb(), rss: Deno.memoryUsage().rss / 2 ** 20, bot: rssMb(botPids) };
    return {
      phases,
      hostHeapMb: { before: before.heap, after: after.heap, afterGc: gc !== undefined },
      hostRssMb: { before: before.rss, after: after.rss },
      botRssMb: { before: before.bot, peak: Math.max(botPeak, after.bot), after: after.bot },
      botHeapBudgetMb: manifest.bots[0].budgets.heapMb,
      restarts: st.restarts,
      droppedMessages: st.droppedMessages,
      handlerErrors: st.handlerErrors,
      warnings: log.records
        .filter((r) => r.level === "warn" || r.level === "error")
        .map((r) => r.msg),
    };
  } finally {
    await host.stop();
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const lines = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const r = await soak(lines);
  if (Deno.args.includes("--json")) console.log(JSON.stringify(r));
  else console.log(r);
}
