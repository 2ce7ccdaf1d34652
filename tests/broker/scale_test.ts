/**
 * Scale-out over a real RabbitMQ (issue 18): two avatar edges (real sessions, each with its
 * in-process emulator as MMDAgent-EX) and two `mmdbot worker` processes on one private broker.
 * The `hello` bot runs only on the workers; the edges check and write what they send.
 */
import { assert, assertEquals } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { brokerAvailable, sharedBrokerUrl, skipReason } from "./rabbit.ts";
import { project, spawnWorker, startEdge, type TestEdge, type TestWorker, until } from "./scale.ts";

const opts = { ignore: !brokerAvailable, sanitizeOps: false, sanitizeResources: false };

/** How long the surviving worker may take to serve a dead worker's avatars (stated in README). */
const FAILOVER_BOUND_MS = 30_000;

const answers = (e: TestEdge, prefix: string) =>
  e.out.filter((o) => o.bot === "hello" && o.line.startsWith(prefix)).map((o) => o.line);

Deno.test({
  name:
    `scale-out: hello on each avatar is answered by a worker, order per avatar holds under load, a killed worker's avatars are served by the other${skipReason}`,
  ...opts,
  async fn(t) {
    const url = await sharedBrokerUrl();
    const p = await project();
    const edges: TestEdge[] = [];
    const workers: TestWorker[] = [];
    const detail = () =>
      [
        ...edges.map((e) =>
          `--- edge ${e.avatar} ${JSON.stringify(e.service.stats())}\n${e.logs()}`
        ),
        ...workers.map((w) => `--- worker ${w.name}\n${w.log()}`),
      ].join("\n");
    try {
      edges.push(await startEdge(p, "scale-a1", url), await startEdge(p, "scale-a2", url));
      await until(
        () => edges.every((e) => e.service.stats().up),
        "both edges on the broker",
        detail,
      );
      for (const name of ["w1", "w2"]) workers.push(spawnWorker(url, p.worker, name));
      for (const w of workers) {
        await until(
          () => ["scale-a1", "scale-a2"].every((a) => w.log().includes(`serving avatar ${a}`)),
          `${w.name} serving both avatars`,
          detail,
          60_000,
        );
      }

      await t.step("hello on each avatar is answered by a worker, once", async () => {
        for (const e of edges) e.say("hello");
        for (const e of edges) {
          await until(() => answers(e, "MESSAGE|hi|").length > 0, `hi on ${e.avatar}`, detail);
          assert(answers(e, "MESSAGE|hi|")[0].startsWith(`MESSAGE|hi|${e.avatar}:`), detail());
          assert(e.service.stats().lastWorker !== undefined, detail());
        }
        // Anything extra would have come with the next answers of the next step.
      });

      await t.step(
        "order per avatar is kept under load (300 lines on each avatar at once)",
        async () => {
          const N = 300;
          for (let i = 0; i < N; i++) for (const e of edges) e.count(i);
          for (const e of edges) {
            await until(
              () => answers(e, "MESSAGE|n|").length >= N,
              `${N} answers on ${e.avatar}`,
              () => `${answers(e, "MESSAGE|n|").length} so far\n${detail()}`,
              90_000,
            );
            assertEquals(
              answers(e, "MESSAGE|n|"),
              Array.from({ length: N }, (_, i) => `MESSAGE|n|${i}`),
            );
            assertEquals(answers(e, "MESSAGE|hi|").length, 1, "hello answered exactly once");
          }
        },
      );

      await t.step(
        `a killed worker's avatars are served by the other within ${FAILOVER_BOUND_MS / 1000} s`,
        async () => {
          const active = new Set(edges.map((e) => e.service.stats().lastWorker!));
          const victim = workers.find((w) => active.has(w.name))!;
          const survivor = workers.find((w) => w !== victim)!;
          await victim.kill();
          const killedAt = Date.now();
          for (const e of edges) e.say("hello");
          for (const e of edges) {
            await until(
              () => answers(e, "MESSAGE|hi|").length >= 2,
              `hi on ${e.avatar} after ${victim.name} was killed`,
              detail,
              FAILOVER_BOUND_MS,
            );
            assertEquals(e.service.stats().lastWorker, survivor.name, detail());
          }
          console.log(`failover: answered ${Date.now() - killedAt} ms after the kill`);
        },
      );
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(edges.map((e) => e.stop()));
      await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "scale-out: with the broker unreachable at start the edge serves its local bots and says so",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close(); // nothing listens there now
    const p = await project();
    let edge: TestEdge | undefined;
    try {
      edge = await startEdge(p, "scale-down", `amqp://guest:guest@127.0.0.1:${port}`);
      const e = edge;
      e.say("local?");
      await until(
        () => e.out.some((o) => o.bot === "local" && o.line === "MESSAGE|local"),
        "the local bot's answer",
        e.logs,
      );
      await until(
        () => /cannot reach .*local bots keep running/.test(e.logs()),
        "the warning",
        e.logs,
      );
      assertEquals(e.service.stats().up, false);
      assertEquals(e.session.host.status().find((b) => b.name === "hello")?.pid, undefined);
    } finally {
      await edge?.stop();
      await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("scale-out: a bot given as run by workers that the manifest does not list stops the start, naming it", async () => {
  const p = await project();
  try {
    let message = "";
    const { startSession } = await import("../../runtime/session/session.ts");
    await startSession({
      manifest: p.edge,
      console: true,
      logger: memoryLogger(),
      watch: false,
      controlDir: `${p.dir}/run`,
      remoteBots: ["helo"],
    }).then((s) => s.stop(), (err) => (message = (err as Error).message));
    assert(/no enabled bot named helo/.test(message), message);
  } finally {
    await Deno.remove(p.dir, { recursive: true }).catch(() => {});
  }
});
