/**
 * Scale-out failures that need a broker of their own: the broker restarted (SIGKILL, then started
 * on the same data) under an edge and a worker, and commands a worker cannot be trusted with.
 */
import { assert, assertEquals } from "../assert.ts";
import { SND_TYPE } from "../../runtime/broker/messages.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { BrokerClient } from "../../runtime/broker/connection.ts";
import { startWorker, type Worker } from "../../runtime/broker/worker.ts";
import { loadManifest } from "../../runtime/manifest/load.ts";
import { detectSandbox } from "../../runtime/sandbox/detect.ts";
import { createLauncher } from "../../runtime/sandbox/launcher.ts";
import { brokerAvailable, controlledBroker, skipReason, type TestBroker } from "./rabbit.ts";
import { project, startEdge, type TestEdge, until } from "./scale.ts";

// The crash (SIGKILL) is safe here: the queues were declared seconds before, and everything
// published before the crash was consumed by then (see TestBroker.crash).
const opts = { ignore: !brokerAvailable, sanitizeOps: false, sanitizeResources: false };

const counted = (e: TestEdge) =>
  e.out.filter((o) => o.bot === "hello" && o.line.startsWith("MESSAGE|n|")).map((o) => o.line);

Deno.test({
  name:
    `scale-out: a broker restart loses no accepted line or command and duplicates none; lines a worker may not send are refused by the edge${skipReason}`,
  ...opts,
  async fn(t) {
    const p = await project();
    let broker: TestBroker | undefined;
    let edge: TestEdge | undefined;
    let worker: Worker | undefined;
    const workerLog = memoryLogger("debug");
    const detail = () =>
      `--- edge ${JSON.stringify(edge?.service.stats())}\n${edge?.logs()}\n--- worker ${
        JSON.stringify(worker?.stats())
      }\n${workerLog.records.map((r) => `${r.level} ${r.scope}: ${r.msg}`).join("\n")}`;
    try {
      broker = await controlledBroker();
      const e = edge = await startEdge(p, "restart-a", broker.url);
      worker = startWorker({
        url: broker.url,
        name: "wr",
        manifest: await loadManifest(p.worker),
        launcher: createLauncher(await detectSandbox()),
        logger: workerLog,
        avatars: ["restart-a"],
      });
      await worker.serving("restart-a");
      await until(() => e.service.stats().up && worker!.stats().up, "edge and worker up", detail);

      await t.step("lines a worker may not send are refused by the edge", async () => {
        const c = new BrokerClient(broker!.url);
        await c.connect();
        try {
          const ch = await c.channel();
          const send = (body: unknown) =>
            ch.basicPublish("", "mmdbot.restart-a.commands", JSON.stringify(body));
          const base = { v: 1, avatar: "restart-a", worker: "intruder", kind: "line" };
          await send({ ...base, id: "intruder:1", bot: "local", line: "MESSAGE|as local" });
          await send({ ...base, id: "intruder:2", bot: "nobody", line: "MESSAGE|as nobody" });
          await send({ ...base, id: "intruder:3", bot: "hello", line: "EXECUTE|rm -rf /" });
          await send({ v: 1, avatar: "restart-a", line: "no id" });
          await ch.basicPublish("", "mmdbot.restart-a.commands", "not json");
          // Setup lines of a bot that runs here, and audio that is no SND packet.
          await send({
            ...base,
            kind: "setup",
            id: "intruder:4",
            bot: "local",
            lines: ["MESSAGE|x"],
          });
          const headers = { v: 1, avatar: "restart-a", worker: "intruder", bot: "hello" };
          await ch.basicPublish("", "mmdbot.restart-a.commands", "SND0004abc", {
            type: SND_TYPE,
            headers: { ...headers, id: "intruder:5" },
          });
          await ch.basicPublish("", "mmdbot.restart-a.commands", "SND0002ab", {
            type: SND_TYPE,
            headers: { ...headers, bot: "local", id: "intruder:6" },
          });
          await until(() => e.service.stats().refused >= 8, "eight refusals", detail);
          assert(
            /not an SND packet: the header says 4 bytes but 3 follow/.test(e.logs()),
            detail(),
          );
        } finally {
          await c.close().catch(() => {});
          c.drop();
        }
        assertEquals(
          e.out.filter((o) => /as local|as nobody|EXECUTE|MESSAGE\|x|SND/.test(o.line)),
          [],
        );
        assertEquals(e.service.stats().snd, 0);
      });

      await t.step("a broker crash and restart loses and duplicates nothing", async () => {
        const N = 30;
        for (let i = 0; i < 10; i++) e.count(i);
        await until(() => counted(e).length >= 10, "the first 10 answers", detail);
        await broker!.crash();
        // Accepted by the edge while the broker is down: held in its outbox.
        for (let i = 10; i < 20; i++) e.count(i);
        await broker!.start();
        for (let i = 20; i < N; i++) e.count(i);
        await until(
          () => counted(e).length >= N,
          `${N} answers`,
          () => `${counted(e).length} so far\n${detail()}`,
          90_000,
        );
        // Redeliveries after the restart would show up within the settle below.
        await until(() => e.service.stats().outbox === 0, "the edge's outbox empty", detail);
        await new Promise((r) => setTimeout(r, 500));
        assertEquals(counted(e), Array.from({ length: N }, (_, i) => `MESSAGE|n|${i}`));
      });
    } finally {
      await worker?.stop();
      await edge?.stop();
      if (broker && !broker.running) await broker.start();
      await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});
