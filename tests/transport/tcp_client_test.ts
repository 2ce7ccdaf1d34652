/**
 * mmdbot as TCP client (MMDAgent-EX runs its TCP server): a Deno.listen peer plays MMDAgent-EX.
 */
import { assert, assertEquals } from "../assert.ts";
import { openLink } from "../../runtime/session/open_link.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import {
  bytes,
  closeLikeMmdagent,
  concat,
  EventReader,
  guard,
  lineEvents,
  LineReader,
  MIXED_LINES,
  MIXED_STREAM,
  pause,
  unit,
  writeAll,
} from "./helpers.ts";

function peer(port = 0): Deno.TcpListener {
  return Deno.listen({ hostname: "127.0.0.1", port });
}

Deno.test("tcp-client: connects to the planned host:port and writes the setup list before anything else", async () => {
  const server = peer();
  const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port: server.addr.port });
  link.setSetup([unit("__AV_START"), unit("__AV_SETMODEL,0")]);
  const queued = await link.send(unit("MESSAGE|early"));
  const ev = new EventReader(link.events());
  const conn = await guard(server.accept(), 10_000, "accept");
  const connected = await ev.state("connected");
  assertEquals(
    connected.kind === "state" && connected.connection,
    `tcp:127.0.0.1:${server.addr.port}`,
  );
  assertEquals(queued.status, "queued");
  const peerLines = new LineReader(conn);
  assertEquals(await peerLines.lines(3), ["__AV_START", "__AV_SETMODEL,0", "MESSAGE|early"]);
  const written = await link.send(unit("MESSAGE|now"));
  assertEquals(written, { status: "written", connection: `tcp:127.0.0.1:${server.addr.port}` });
  assertEquals(await peerLines.lines(1), ["MESSAGE|now"]);
  await writeAll(conn, bytes("REMOTE_EVENT_CONNECTED|127.0.0.1\n"));
  assertEquals(await ev.lines(1), ["REMOTE_EVENT_CONNECTED|127.0.0.1"]);
  const s = link.stats();
  assertEquals([s.state, s.linesOut, s.linesIn, s.reconnects], ["connected", 4, 1, 0]);
  assertEquals(await closeLikeMmdagent(link, conn), "");
  server.close();
});

Deno.test("tcp-client: a mixed stream (CRLF, multibyte, \\n\\n, invalid UTF-8) decodes the same at every split point", async () => {
  const server = peer();
  const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port: server.addr.port });
  const ev = new EventReader(link.events());
  const conn = await guard(server.accept(), 10_000, "accept");
  for (let cut = 1; cut < MIXED_STREAM.length; cut++) {
    await writeAll(conn, MIXED_STREAM.subarray(0, cut));
    await pause(2); // separate reads on the link's side, in practice
    await writeAll(conn, MIXED_STREAM.subarray(cut));
    const got = await lineEvents(ev, MIXED_LINES.length);
    assertEquals(got.map((l) => [l.text, l.invalid]), MIXED_LINES, `split at byte ${cut}`);
    assert(got.every((l) => !l.unterminated));
  }
  assertEquals(link.stats().invalidUtf8In, MIXED_STREAM.length - 1);
  await closeLikeMmdagent(link, conn);
  server.close();
});

Deno.test("tcp-client: a 1 MB line without LF is dropped and reported, the next line still arrives", async () => {
  const server = peer();
  const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port: server.addr.port });
  const ev = new EventReader(link.events());
  const conn = await guard(server.accept(), 10_000, "accept");
  const huge = new Uint8Array(1024 * 1024).fill(0x58);
  await writeAll(conn, concat(bytes("BIG|"), huge));
  await writeAll(conn, bytes("\nNEXT|1\n"));
  const dropped = await ev.until((e) => e.kind === "dropped", "dropped event");
  assert(dropped.kind === "dropped");
  assertEquals(dropped.dropped.byteLength, 4 + huge.length);
  assert(dropped.dropped.head.startsWith("BIG|XXX"));
  assertEquals(await ev.lines(1), ["NEXT|1"]);
  assertEquals(link.stats().droppedIn, 1);
  await closeLikeMmdagent(link, conn);
  server.close();
});

Deno.test("tcp-client: after the peer is killed and restarted on the same port, it reconnects, replays setup, then flushes the queue in order", async () => {
  let server = peer();
  const port = server.addr.port;
  const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port });
  link.setSetup([unit("__AV_START"), unit("__AV_SETMODEL,0")]);
  const ev = new EventReader(link.events());
  let conn = await guard(server.accept(), 10_000, "accept");
  let reader = new LineReader(conn);
  assertEquals(await reader.lines(2), ["__AV_START", "__AV_SETMODEL,0"]);
  await writeAll(conn, bytes("HELLO|1\n"));
  await ev.lines(1);

  // Kill the peer: connection and listener gone.
  conn.close();
  server.close();
  await ev.state("disconnected");
  const outcomes = [];
  for (const t of ["Q|1", "Q|2", "Q|3"]) outcomes.push(await link.send(unit(t)));
  assertEquals(outcomes.map((o) => o.status), ["queued", "queued", "queued"]);
  assertEquals(link.stats().queueDepth, 3);

  server = peer(port);
  conn = await guard(server.accept(), 20_000, "reconnect");
  reader = new LineReader(conn);
  assertEquals(await reader.lines(5), ["__AV_START", "__AV_SETMODEL,0", "Q|1", "Q|2", "Q|3"]);
  await ev.state("connected");
  const s = link.stats();
  assertEquals([s.reconnects, s.queueDepth, s.queueDropped], [1, 0, 0]);
  await closeLikeMmdagent(link, conn);
  server.close();
});

Deno.test("tcp-client: reconnect waits for the backoff delay on the link's clock", async () => {
  let server = peer();
  const port = server.addr.port;
  const clock = new VirtualClock();
  const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port }, {
    clock,
    backoff: { random: () => 0.5 }, // no jitter: first delay exactly 250 ms
  });
  const ev = new EventReader(link.events());
  let conn = await guard(server.accept(), 10_000, "accept");
  await ev.state("connected");
  conn.close();
  server.close();
  await ev.state("disconnected");
  const retry = await ev.state("connecting");
  assert(
    retry.kind === "state" && retry.detail?.includes("retry in 250 ms"),
    JSON.stringify(retry),
  );
  server = peer(port);
  // Virtual time stands still: no attempt may happen, however long real time runs.
  let accepted: Deno.TcpConn | undefined;
  const accepting = server.accept().then((c) => (accepted = c));
  await pause(300);
  assertEquals(accepted, undefined);
  await clock.advance(249);
  await pause(100);
  assertEquals(accepted, undefined);
  await clock.advance(1);
  conn = await guard(accepting, 10_000, "reconnect after 250 virtual ms");
  await ev.state("connected");
  await closeLikeMmdagent(link, conn);
  server.close();
});

for (const policy of ["drop-oldest", "drop-newest"] as const) {
  Deno.test(`tcp-client: a full queue while disconnected applies ${policy} and counts each loss`, async () => {
    const probe = peer();
    const port = probe.addr.port;
    probe.close(); // nothing listens yet: the link stays disconnected
    const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port }, {
      queueLimit: 3,
      overflow: policy,
      backoff: { initialMs: 20, maxMs: 50 },
    });
    link.setSetup([unit("SETUP|1")]);
    const outcomes = [];
    for (let i = 1; i <= 5; i++) outcomes.push((await link.send(unit(`Q|${i}`))).status);
    const s = link.stats();
    assertEquals([s.queueDepth, s.queueDropped], [3, 2]);
    assertEquals(
      outcomes,
      policy === "drop-oldest"
        ? ["queued", "queued", "queued", "queued", "queued"]
        : ["queued", "queued", "queued", "dropped", "dropped"],
    );
    const server = peer(port);
    const conn = await guard(server.accept(), 10_000, "connect");
    const expected = policy === "drop-oldest" ? ["Q|3", "Q|4", "Q|5"] : ["Q|1", "Q|2", "Q|3"];
    assertEquals(await new LineReader(conn).lines(4), ["SETUP|1", ...expected]);
    await closeLikeMmdagent(link, conn);
    server.close();
  });
}

Deno.test("tcp-client: close() flushes what was accepted, then half-closes (peer reads every line, then a clean EOF)", async () => {
  const server = peer();
  const link = await openLink({ mode: "tcp-client", host: "127.0.0.1", port: server.addr.port });
  const ev = new EventReader(link.events());
  const conn = await guard(server.accept(), 10_000, "accept");
  await ev.state("connected");
  const sends = [];
  for (let i = 0; i < 200; i++) sends.push(link.send(unit(`MESSAGE|${i}`)));
  const text = await closeLikeMmdagent(link, conn);
  const outcomes = await Promise.all(sends);
  assert(outcomes.every((o) => o.status === "written"));
  assertEquals(text, Array.from({ length: 200 }, (_, i) => `MESSAGE|${i}\n`).join(""));
  const last = (await ev.rest()).at(-1);
  assert(last?.kind === "state" && last.state === "closed", "the last event says closed");
  assertEquals((await link.send(unit("late"))).status, "dropped");
  server.close();
});
