/**
 * The link's outbound path under load, against a raw TCP peer playing MMDAgent-EX: units ready
 * together share writes but are never split, each sender still learns its own outcome, and a
 * stalled socket keeps later units in the bounded queue.
 */
import { assert, assertEquals, eventually } from "../assert.ts";
import { openLink } from "../../runtime/session/open_link.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import type { SendOutcome } from "../../runtime/transport/types.ts";
import { closeLikeMmdagent, EventReader, guard, LineReader, pause, unit } from "./helpers.ts";

async function serverLink(opts: Parameters<typeof openLink>[1] = {}) {
  const link = await openLink(
    { mode: "tcp-server", bind: "127.0.0.1", port: 0, retryCount: 0 },
    opts,
  );
  return { link, port: link.port! };
}

Deno.test("link: a burst of sends arrives whole and in order after setup, and every sender learns written with the connection", async () => {
  const { link, port } = await serverLink();
  const ev = new EventReader(link.events());
  link.setSetup([unit("__AV_START")]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const connected = await ev.state("connected");
  const id = connected.kind === "state" ? connected.connection : undefined;
  const n = 600;
  const sent = Array.from({ length: n }, (_, i) => link.send(unit(`MESSAGE|burst|${i}`)));
  const reader = new LineReader(conn);
  const lines = await reader.lines(n + 1);
  assertEquals(lines[0], "__AV_START");
  assertEquals(lines.slice(1), Array.from({ length: n }, (_, i) => `MESSAGE|burst|${i}`));
  const outcomes = await guard(Promise.all(sent), 10_000, "outcomes");
  for (const o of outcomes) assertEquals(o, { status: "written", connection: id! });
  const s = link.stats();
  assertEquals([s.linesOut, s.queueDepth, s.queueDropped], [n + 1, 0, 0]);
  assertEquals(await closeLikeMmdagent(link, conn), "");
});

Deno.test("link: while MMDAgent-EX does not read, later units wait in the bounded queue (losses counted and reported); once it reads, every written unit arrives whole and in order", async () => {
  const limit = 20;
  const { link, port } = await serverLink({ queueLimit: limit });
  const ev = new EventReader(link.events());
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await ev.state("connected");
  // Long units fill the socket buffers quickly; the loop is bounded in case they never fill.
  const pad = "x".repeat(1700);
  const sent: Promise<SendOutcome>[] = [];
  let maxDepth = 0;
  for (let i = 0; i < 50_000 && link.stats().queueDropped === 0; i++) {
    sent.push(link.send(unit(`MESSAGE|${i}|${pad}`)));
    maxDepth = Math.max(maxDepth, link.stats().queueDepth);
    // Lets the writes that the kernel still takes complete, so only a stalled write holds units.
    if (i % 50 === 49) await pause(0);
  }
  assert(link.stats().queueDropped > 0, "the queue overflowed behind the stalled write");
  assert(maxDepth <= limit, `queue depth ${maxDepth} over the limit ${limit}`);

  // MMDAgent-EX reads again: everything still held is written.
  const received: string[] = [];
  let buf = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    const chunk = new Uint8Array(65536);
    for (;;) {
      const got = await conn.read(chunk);
      if (got === null) return;
      buf += dec.decode(chunk.subarray(0, got), { stream: true });
      const parts = buf.split("\n");
      buf = parts.pop()!;
      received.push(...parts);
    }
  })();
  const outcomes = await guard(Promise.all(sent), 20_000, "every outcome");
  const written = outcomes.filter((o) => o.status === "written").length;
  const dropped = outcomes.filter((o) => o.status === "dropped");
  assertEquals(written + dropped.length, sent.length, "written or dropped, nothing else");
  assertEquals(dropped.length, link.stats().queueDropped, "every loss reported to its sender");
  for (const d of dropped) assert(d.status === "dropped" && /queue full/.test(d.reason));
  await eventually(() => received.length === written, `${written} lines at the peer`);
  let last = -1;
  for (const line of received) {
    const m = /^MESSAGE\|(\d+)\|(x+)$/.exec(line);
    assert(m && m[2] === pad, `a whole unit: ${line.slice(0, 40)}…`);
    assert(Number(m[1]) > last, `in order: ${m[1]} after ${last}`);
    last = Number(m[1]);
  }
  await guard(link.close(), 10_000, "close");
  await guard(reading, 10_000, "EOF");
  conn.close();
});

Deno.test("link: a bot flooding while MMDAgent-EX is away cannot evict another bot's queued lines; the flood's losses are counted by sender and it hears why", async () => {
  const logger = memoryLogger();
  const { link, port } = await serverLink({ queueLimit: 100, logger });
  const ev = new EventReader(link.events());
  const quiet: Promise<SendOutcome>[] = [];
  const flood: Promise<SendOutcome>[] = [];
  for (let i = 0; i < 5000; i++) {
    flood.push(link.send(unit(`MESSAGE|flood|${i}`), { source: "flood" }));
    if (i % 250 === 0) quiet.push(link.send(unit(`MESSAGE|quiet|${i / 250}`), { source: "quiet" }));
  }
  const s = link.stats();
  assertEquals([s.queueDepth, s.queueDroppedBy], [100, { flood: 4920 }]);
  for (const o of await Promise.all(quiet)) assertEquals(o.status, "queued");
  // Units queued while disconnected were answered "queued" at once; the log says who lost why,
  // once per window however many were lost.
  const full = logger.records.filter((r) => /outbound queue full/.test(r.msg));
  assertEquals(full.length, 1);
  assert(/flood holds the most/.test(full[0].msg) && full[0].fields?.bot === "flood", full[0].msg);
  assertEquals((await Promise.all(flood)).filter((o) => o.status !== "queued").length, 0);

  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await ev.state("connected");
  const lines = await new LineReader(conn).lines(100);
  assertEquals(
    lines.filter((l) => l.startsWith("MESSAGE|quiet|")),
    Array.from({ length: 20 }, (_, i) => `MESSAGE|quiet|${i}`),
  );
  assertEquals(lines.filter((l) => l.startsWith("MESSAGE|flood|")).length, 80);
  assertEquals(await closeLikeMmdagent(link, conn), "");
});
