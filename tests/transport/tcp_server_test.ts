/**
 * mmdbot as TCP server (MMDAgent-EX runs `Plugin_Remote_EnableClient`): raw Deno.connect clients play
 * MMDAgent-EX connecting, dying and reconnecting.
 */
import { assert, assertEquals } from "../assert.ts";
import { openLink } from "../../runtime/session/open_link.ts";
import { createLink } from "../../runtime/transport/link.ts";
import { listenTcp } from "../../runtime/transport/tcp_server.ts";
import {
  bytes,
  closeLikeMmdagent,
  concat,
  EventReader,
  lineEvents,
  LineReader,
  MIXED_LINES,
  MIXED_STREAM,
  pause,
  unit,
  writeAll,
} from "./helpers.ts";

async function serverLink(opts: Parameters<typeof openLink>[1] = {}) {
  const link = await openLink(
    { mode: "tcp-server", bind: "127.0.0.1", port: 0, retryCount: 0 },
    opts,
  );
  return { link, port: link.port! };
}

function dial(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test("tcp-server: listens on the planned address, takes MMDAgent-EX's connection, replays setup first", async () => {
  const { link, port } = await serverLink();
  assert(link.port! > 0 && link.address === `127.0.0.1:${port}`, String(link.address));
  const ev = new EventReader(link.events());
  const listening = await ev.state("listening");
  assertEquals(listening.kind === "state" && listening.detail, `127.0.0.1:${port}`);
  link.setSetup([unit("__AV_START")]);
  await link.send(unit("MESSAGE|queued-before-connect"));
  const conn = await dial(port);
  const connected = await ev.state("connected");
  const localPort = (conn.localAddr as Deno.NetAddr).port;
  assertEquals(connected.kind === "state" && connected.connection, `tcp:127.0.0.1:${localPort}`);
  const reader = new LineReader(conn);
  assertEquals(await reader.lines(2), ["__AV_START", "MESSAGE|queued-before-connect"]);
  await writeAll(conn, bytes("PLUGIN_EVENT_ENABLE|Remote\n"));
  assertEquals(await ev.lines(1), ["PLUGIN_EVENT_ENABLE|Remote"]);
  assertEquals(await closeLikeMmdagent(link, conn), "");
});

Deno.test("tcp-server: a mixed stream decodes the same at every split point", async () => {
  const { link, port } = await serverLink();
  const ev = new EventReader(link.events());
  const conn = await dial(port);
  for (let cut = 1; cut < MIXED_STREAM.length; cut++) {
    await writeAll(conn, MIXED_STREAM.subarray(0, cut));
    await pause(2);
    await writeAll(conn, MIXED_STREAM.subarray(cut));
    const got = await lineEvents(ev, MIXED_LINES.length);
    assertEquals(got.map((l) => [l.text, l.invalid]), MIXED_LINES, `split at byte ${cut}`);
  }
  await closeLikeMmdagent(link, conn);
});

Deno.test("tcp-server: a 1 MB line without LF is dropped, the next line still arrives", async () => {
  const { link, port } = await serverLink();
  const ev = new EventReader(link.events());
  const conn = await dial(port);
  await writeAll(conn, concat(bytes("BIG|"), new Uint8Array(1024 * 1024).fill(0x41), bytes("\n")));
  await writeAll(conn, bytes("NEXT|2\n"));
  const e = await ev.until((e) => e.kind === "dropped" || e.kind === "line", "drop or line");
  assertEquals(e.kind === "dropped" && e.dropped.byteLength, 4 + 1024 * 1024);
  assertEquals(await ev.lines(1), ["NEXT|2"]);
  await closeLikeMmdagent(link, conn);
});

Deno.test("tcp-server: after MMDAgent-EX drops and reconnects, setup is replayed before the queued lines, in order", async () => {
  const { link, port } = await serverLink();
  link.setSetup([unit("__AV_START"), unit("__AV_SETMODEL,0")]);
  const ev = new EventReader(link.events());
  let conn = await dial(port);
  assertEquals(await new LineReader(conn).lines(2), ["__AV_START", "__AV_SETMODEL,0"]);
  conn.close(); // MMDAgent-EX killed
  await ev.state("disconnected");
  await ev.state("listening");
  const outcomes = [];
  for (const t of ["Q|1", "Q|2"]) outcomes.push((await link.send(unit(t))).status);
  assertEquals(outcomes, ["queued", "queued"]);
  conn = await dial(port);
  await writeAll(conn, bytes("HELLO|again\n"));
  const reader = new LineReader(conn);
  assertEquals(await reader.lines(4), ["__AV_START", "__AV_SETMODEL,0", "Q|1", "Q|2"]);
  assertEquals(await ev.lines(1), ["HELLO|again"]);
  assertEquals(link.stats().reconnects, 1);
  await closeLikeMmdagent(link, conn);
});

Deno.test("tcp-server: a second connection becomes current without closing the first; when it ends, the first is current again", async () => {
  const { link, port } = await serverLink();
  link.setSetup([unit("SETUP|1")]);
  const ev = new EventReader(link.events());
  const first = await dial(port);
  const firstReader = new LineReader(first);
  assertEquals(await firstReader.lines(1), ["SETUP|1"]);
  const second = await dial(port);
  const secondReader = new LineReader(second);
  assertEquals(await secondReader.lines(1), ["SETUP|1"]);
  await ev.until(
    (e) =>
      e.kind === "state" && e.state === "connected" && e.connection!.endsWith(
        String((second.localAddr as Deno.NetAddr).port),
      ),
    "second connection current",
  );
  assertEquals((await link.send(unit("TO|second"))).status, "written");
  assertEquals(await secondReader.lines(1), ["TO|second"]);
  // The first is still open and read: what it sends arrives under its own id.
  await writeAll(first, bytes("FROM|first\n"));
  const fromFirst = await lineEvents(ev, 1);
  assertEquals(
    [fromFirst[0].text, fromFirst[0].connection],
    ["FROM|first", `tcp:127.0.0.1:${(first.localAddr as Deno.NetAddr).port}`],
  );
  assertEquals(link.stats().openConnections, 2);
  second.close(); // a probe goes away
  await ev.until((e) => e.kind === "state" && e.detail?.startsWith("resumed") === true, "resumed");
  assertEquals(link.stats().state, "connected");
  assertEquals((await link.send(unit("TO|first"))).status, "written");
  // The first connection never saw TO|second: nothing was written to it meanwhile.
  assertEquals(await firstReader.lines(1), ["TO|first"]);
  assertEquals(await closeLikeMmdagent(link, first), "");
});

Deno.test("tcp-server: close() flushes accepted lines, then every open connection gets a clean EOF", async () => {
  const { link, port } = await serverLink();
  const ev = new EventReader(link.events());
  const conn = await dial(port);
  await ev.state("connected");
  const sends = [];
  for (let i = 0; i < 100; i++) sends.push(link.send(unit(`M|${i}`)));
  const text = await closeLikeMmdagent(link, conn);
  assertEquals(text, Array.from({ length: 100 }, (_, i) => `M|${i}\n`).join(""));
  assert((await Promise.all(sends)).every((o) => o.status === "written"));
  const last = (await ev.rest()).at(-1);
  assert(last?.kind === "state" && last.state === "closed");
  // The port is released.
  const again = Deno.listen({ hostname: "127.0.0.1", port });
  again.close();
});

Deno.test("tcp-server: setSetup while connected sends only the new units, once, and replays the whole list on reconnect", async () => {
  const { link, port } = await serverLink();
  const ev = new EventReader(link.events());
  let conn = await dial(port);
  await ev.state("connected");
  link.setSetup([unit("__AV_START")]);
  link.setSetup([unit("__AV_START"), unit("__AV_SETMODEL,0")]);
  await link.send(unit("AFTER|1"));
  let reader = new LineReader(conn);
  assertEquals(await reader.lines(3), ["__AV_START", "__AV_SETMODEL,0", "AFTER|1"]);
  conn.close();
  await ev.state("listening");
  conn = await dial(port);
  reader = new LineReader(conn);
  assertEquals(await reader.lines(2), ["__AV_START", "__AV_SETMODEL,0"]);
  await closeLikeMmdagent(link, conn);
});

Deno.test("tcp-server: a port already in use is refused with the address and the likely cause", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let msg = "";
  try {
    await openLink({ mode: "tcp-server", bind: "127.0.0.1", port: taken.addr.port, retryCount: 0 });
  } catch (e) {
    msg = String(e);
  }
  taken.close();
  assert(msg.includes(`127.0.0.1:${taken.addr.port}`) && msg.includes("already listens"), msg);
});

Deno.test("link: a consumer that falls behind loses the oldest lines (counted), never the state events, and reading goes on", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  const link = createLink({ kind: "listen", listener }, { describe: "test", eventBuffer: 10 });
  const conn = await dial(listener.port);
  await writeAll(conn, bytes(Array.from({ length: 30 }, (_, i) => `L|${i}\n`).join("")));
  // Wait (bounded) until the link has read everything, without consuming events.
  for (let i = 0; i < 200 && link.stats().linesIn < 30; i++) await pause(10);
  assertEquals(link.stats().linesIn, 30);
  const ev = new EventReader(link.events());
  await ev.state("connected");
  const lines = ev.seen.filter((e) => e.kind === "line");
  const states = ev.seen.filter((e) => e.kind === "state").map((e) =>
    e.kind === "state" && e.state
  );
  assertEquals(states, ["listening", "connected"]);
  const rest = await ev.lines(10 - 2 - lines.length);
  assertEquals(rest.at(-1), "L|29");
  assertEquals(link.stats().eventsDropped, 30 - (lines.length + rest.length));
  await closeLikeMmdagent(link, conn);
});
