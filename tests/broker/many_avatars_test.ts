/**
 * Ten avatars, two workers, one broker (issue 18): every avatar is served, in order, by one worker
 * at a time. Each worker learns the ten avatars at once from their announcements and subscribes to
 * ten events queues that already hold messages: the case where a RabbitMQ reply overtook another
 * on the worker's channel and one avatar was never served (see `oneAtATime` in connection.ts).
 */
import { assertEquals } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { startWorker, type Worker } from "../../runtime/broker/worker.ts";
import { loadManifest } from "../../runtime/manifest/load.ts";
import { detectSandbox } from "../../runtime/sandbox/detect.ts";
import { createLauncher } from "../../runtime/sandbox/launcher.ts";
import { brokerAvailable, sharedBrokerUrl, skipReason } from "./rabbit.ts";
import { project, startEdge, type TestEdge, until } from "./scale.ts";

const AVATARS = 10;
const LINES = 30;

const counted = (e: TestEdge) =>
  e.out.filter((o) => o.bot === "hello" && o.line.startsWith("MESSAGE|n|")).map((o) => o.line);

Deno.test({
  name:
    `scale-out: 10 avatars × 2 workers: every avatar is served, in order and once, with none of its events lost to the client${skipReason}`,
  ignore: !brokerAvailable,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const url = await sharedBrokerUrl();
    const p = await project();
    const edges: TestEdge[] = [];
    const workers: Worker[] = [];
    const logs = [memoryLogger("debug"), memoryLogger("debug")];
    const detail = () =>
      [
        ...edges.map((e) =>
          `${e.avatar}: ${counted(e).length} ${JSON.stringify(e.service.stats())}`
        ),
        ...workers.map((w, i) =>
          `--- worker ${w.name} ${JSON.stringify(w.stats())}\n` +
          logs[i].records.filter((r) => r.level !== "debug")
            .map((r) => `${r.level} ${r.scope}: ${r.msg}`).join("\n")
        ),
      ].join("\n");
    try {
      // Edges with no bot of their own: hello runs only on the workers.
      for (let i = 0; i < AVATARS; i++) {
        edges.push(await startEdge(p, `many-${i}`, url, p.worker));
      }
      await until(
        () => edges.every((e) => e.service.stats().up),
        "every edge on the broker",
        detail,
      );
      // Waiting in each events queue before any worker subscribes: the avatar connected, and a line.
      for (const e of edges) e.count(0);
      const manifest = await loadManifest(p.worker);
      const launcher = createLauncher(await detectSandbox());
      for (const [i, name] of ["many-w1", "many-w2"].entries()) {
        workers.push(startWorker({ url, name, manifest, launcher, logger: logs[i] }));
      }
      await until(
        () => edges.every((e) => counted(e).length >= 1),
        "the first answer on every avatar",
        detail,
        90_000,
      );
      for (let n = 1; n < LINES; n++) for (const e of edges) e.count(n);
      await until(
        () => edges.every((e) => counted(e).length >= LINES),
        `${LINES} answers on every avatar`,
        detail,
        90_000,
      );
      await until(
        () => edges.every((e) => e.service.stats().outbox === 0),
        "outboxes empty",
        detail,
      );
      for (const e of edges) {
        assertEquals(
          counted(e),
          Array.from({ length: LINES }, (_, n) => `MESSAGE|n|${n}`),
          e.avatar,
        );
      }
      for (const l of logs) {
        assertEquals(
          l.records.filter((r) => /amqp-client: Consumer .* not available/.test(r.msg)).map((r) =>
            r.msg
          ),
          [],
        );
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(edges.map((e) => e.stop()));
      await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});
