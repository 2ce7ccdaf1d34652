/**
 * The broker path's cost (issue 18), on a private rabbitmq-server started here (Debian package;
 * skipped with a message without it): round trips user line → bot answer written, with the bot
 * running locally at the edge versus on a worker over the broker (edge → broker → worker → broker
 * → edge), and throughput with 10 avatars × 2 worker processes. The emulator stands in for
 * MMDAgent-EX in-process in both paths, so the difference is the broker path.
 *
 * Run alone: `deno run -A bench/broker.ts [--json]`; `deno task bench` runs it too.
 */
import { startWorker } from "../runtime/broker/worker.ts";
import { loadManifest } from "../runtime/manifest/load.ts";
import { detectSandbox } from "../runtime/sandbox/detect.ts";
import { createLauncher } from "../runtime/sandbox/launcher.ts";
import { memoryLogger } from "../runtime/log/logger.ts";
import { startSession } from "../runtime/session/session.ts";
import { brokerAvailable, startTestBroker } from "../tests/broker/rabbit.ts";
import {
  project,
  spawnWorker,
  startEdge,
  type TestEdge,
  type TestWorker,
  until,
} from "../tests/broker/scale.ts";

/** What {@link measureBroker} reports. */
export interface BrokerBench {
  local: { p50: number; p99: number };
  broker: { p50: number; p99: number };
  /** Answered lines per second, 10 avatars × 2 workers, all avatars at once. */
  throughput: number;
  avatars: number;
  workers: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** One round trip at a time: `COUNT|i` issued, `MESSAGE|n|i` written toward MMDAgent-EX. */
async function roundTrips(e: TestEdge, bot: string, n: number, offset: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const want = `MESSAGE|n|${offset + i}`;
    const seen = new Promise<void>((resolve) => {
      const off = e.session.runtime.tap.onRecord((r) => {
        if (r.dir === "out" && r.bot === bot && r.line === want) {
          off();
          resolve();
        }
      });
    });
    const t0 = performance.now();
    e.count(offset + i);
    await seen;
    times.push(performance.now() - t0);
  }
  return times;
}

/** Runs the three measurements; `n` round trips per path (after 50 warm-up ones). */
export async function measureBroker(n = 500): Promise<BrokerBench> {
  const p = await project();
  const broker = await startTestBroker();
  const logger = memoryLogger("warn");
  try {
    // Local path: the same bot, run by the edge itself (no broker).
    const local = await startSession({
      manifest: p.worker,
      console: true,
      logger,
      watch: false,
      controlDir: `${p.dir}/run-local`,
      storeDir: `${p.dir}/store-local`,
    });
    const localEdge: TestEdge = {
      avatar: "local",
      session: local,
      service: undefined as never,
      out: [],
      say: (text) => local.emulator!.inject("RECOG_EVENT_STOP", text),
      count: (n) => local.emulator!.inject("COUNT", String(n)),
      logs: () => "",
      stop: () => local.stop(),
    };
    await local.host.settled();
    await roundTrips(localEdge, "hello", 50, 0);
    const localTimes = await roundTrips(localEdge, "hello", n, 50);
    await local.stop();

    // Broker path: edge → broker → worker (in-process here) → broker → edge.
    const edge = await startEdge(p, "bench-1", broker.url);
    const worker = startWorker({
      url: broker.url,
      name: "bench",
      manifest: await loadManifest(p.worker),
      launcher: createLauncher(await detectSandbox()),
      logger,
      avatars: ["bench-1"],
    });
    await worker.serving("bench-1");
    await until(() => edge.service.stats().up && worker.stats().up, "edge and worker up");
    await roundTrips(edge, "hello", 50, 0);
    const brokerTimes = await roundTrips(edge, "hello", n, 50);
    await worker.stop();
    await edge.stop();

    // Throughput: 10 avatars, 2 worker processes, 200 lines on every avatar at once.
    const AVATARS = 10;
    const LINES = 200;
    const edges: TestEdge[] = [];
    const workers: TestWorker[] = [];
    try {
      for (let i = 0; i < AVATARS; i++) edges.push(await startEdge(p, `tp-${i}`, broker.url));
      for (const name of ["tp-w1", "tp-w2"]) workers.push(spawnWorker(broker.url, p.worker, name));
      for (const w of workers) {
        await until(
          () => edges.every((e) => w.log().includes(`serving avatar ${e.avatar}`)),
          `${w.name} serving every avatar`,
          () => w.log(),
          120_000,
        );
      }
      for (const e of edges) e.count(0);
      const answered = (e: TestEdge) =>
        e.out.filter((o) => o.bot === "hello" && o.line.startsWith("MESSAGE|n|")).length;
      await until(() => edges.every((e) => answered(e) >= 1), "a first answer everywhere");
      const t0 = performance.now();
      for (let i = 1; i <= LINES; i++) for (const e of edges) e.count(i);
      await until(
        () => edges.every((e) => answered(e) >= LINES + 1),
        "every answer",
        () => edges.map((e) => `${e.avatar}: ${answered(e)}`).join(", "),
        120_000,
      );
      const seconds = (performance.now() - t0) / 1000;
      return {
        local: { p50: quantile(localTimes, 0.5), p99: quantile(localTimes, 0.99) },
        broker: { p50: quantile(brokerTimes, 0.5), p99: quantile(brokerTimes, 0.99) },
        throughput: (AVATARS * LINES) / seconds,
        avatars: AVATARS,
        workers: workers.length,
      };
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(edges.map((e) => e.stop()));
    }
  } finally {
    await broker.dispose();
    await Deno.remove(p.dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  if (!brokerAvailable) {
    console.log(
      "broker bench skipped: rabbitmq-server not installed (apt-get install rabbitmq-server)",
    );
  } else {
    const r = await measureBroker();
    if (Deno.args.includes("--json")) console.log(JSON.stringify(r));
    else {
      const f = (x: number) => x.toFixed(2);
      console.log(`local path   p50 / p99 (ms): ${f(r.local.p50)} / ${f(r.local.p99)}`);
      console.log(`broker path  p50 / p99 (ms): ${f(r.broker.p50)} / ${f(r.broker.p99)}`);
      console.log(
        `added by the broker p50 (ms): ${f(r.broker.p50 - r.local.p50)}; throughput ` +
          `${r.avatars} avatars × ${r.workers} workers: ${r.throughput.toFixed(0)} lines/s`,
      );
    }
  }
}
