/**
 * mmdbot as WebSocket server (MMDAgent-EX's WebSocket client connects): a raw RFC 6455 client over
 * TCP plays MMDAgent-EX and inspects every frame the server sends.
 */
import { assert, assertEquals } from "../assert.ts";
import { openLink } from "../../runtime/session/open_link.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { makeUnit } from "../../runtime/wire/types.ts";
import { encodeFrame, type RawFrame, type RawWsClient, rawWsConnect } from "./raw_ws.ts";
import {
  bytes,
  concat,
  EventReader,
  guard,
  lineEvents,
  MIXED_LINES,
  MIXED_STREAM,
  pause,
  unit,
} from "./helpers.ts";

const dec = new TextDecoder();
const TEXT = 1;
const CLOSE = 8;
const PING = 9;
const PONG = 10;

async function wsLink(opts: Parameters<typeof openLink>[1] = {}, tls = false) {
  const link = await openLink(
    { mode: "ws-server", bind: "127.0.0.1", port: 0, path: "/chat", tls, retryCount: 0 },
    opts,
  );
  return { link, port: link.port! };
}

/** Reads frames and checks each is what MMDAgent-EX can take: FIN, unmasked, non-empty TEXT. */
async function textFrames(client: RawWsClient, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const f = await guard(client.nextFrame(), 10_000, `frame ${out.length + 1}/${n}`);
    if (!f) throw new Error(`EOF after ${out.length} frames`);
    checkFrame(f);
    const text = dec.decode(f.payload);
    assert(text.endsWith("\n") && text.indexOf("\n") === text.length - 1, `one line: ${text}`);
    out.push(text.slice(0, -1));
  }
  return out;
}

function checkFrame(f: RawFrame): void {
  assert(f.fin, "FIN set: one frame per unit");
  assert(!f.masked, "server frames are not masked");
  assertEquals(f.opcode, TEXT, "a TEXT frame (no ping, no close before close())");
  assert(f.payload.length > 0, "never an empty frame");
}

/** Closes the link as MMDAgent-EX experiences it; returns the frames seen until the CLOSE. */
async function closeLikeMmdagent(
  link: { close(): Promise<void> },
  client: RawWsClient,
): Promise<RawFrame[]> {
  const frames: RawFrame[] = [];
  const read = (async () => {
    for (;;) {
      const f = await client.nextFrame();
      if (!f) break;
      frames.push(f);
      if (f.opcode === CLOSE) break;
    }
    client.close(); // MMDAgent-EX treats an empty CLOSE as a disconnect and drops the socket
  })();
  await guard(Promise.all([link.close(), read]), 10_000, "close");
  return frames;
}

Deno.test("ws-server: accepts the planned path, logs X-App-Type, sends setup first as one TEXT frame per line", async () => {
  const logger = memoryLogger();
  const { link, port } = await wsLink({ logger });
  const ev = new EventReader(link.events());
  await ev.state("listening");
  link.setSetup([unit("__AV_START"), unit("__AV_SETMODEL,0")]);
  await link.send(unit("MESSAGE|queued"));
  const client = await rawWsConnect(port, "/chat");
  const connected = await ev.state("connected");
  assert(connected.kind === "state" && connected.connection?.startsWith("ws:127.0.0.1:"));
  assertEquals(await textFrames(client, 3), ["__AV_START", "__AV_SETMODEL,0", "MESSAGE|queued"]);
  assertEquals((await link.send(unit("MESSAGE|now"))).status, "written");
  assertEquals(await textFrames(client, 1), ["MESSAGE|now"]);
  assert(logger.records.some((r) => r.fields?.appType === "MMDAgent"), "X-App-Type logged");
  assert(!logger.records.some((r) => r.level === "warn"), "no warning for the configured path");
  const frames = await closeLikeMmdagent(link, client);
  assertEquals(frames.map((f) => [f.opcode, f.payload.length]), [[CLOSE, 0]]);
});

Deno.test("ws-server: a burst of sends still goes out as one TEXT frame per line, in order, each sender told written", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port, "/chat");
  await ev.state("connected");
  const n = 300;
  const sent = Array.from({ length: n }, (_, i) => link.send(unit(`MESSAGE|burst|${i}`)));
  assertEquals(
    await textFrames(client, n),
    Array.from({ length: n }, (_, i) => `MESSAGE|burst|${i}`),
  );
  const outcomes = await guard(Promise.all(sent), 10_000, "outcomes");
  assert(outcomes.every((o) => o.status === "written"), JSON.stringify(outcomes[0]));
  const frames = await closeLikeMmdagent(link, client);
  assertEquals(frames.map((f) => [f.opcode, f.payload.length]), [[CLOSE, 0]]);
});

Deno.test("ws-server: another path (MMDAgent-EX's /chat-1 after a 429) is accepted with a warning", async () => {
  const logger = memoryLogger();
  const { link, port } = await wsLink({ logger });
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port, "/chat-1");
  await ev.state("connected");
  const warn = logger.records.find((r) => r.level === "warn");
  assert(warn?.msg.includes("/chat-1") && warn.msg.includes("/chat"), JSON.stringify(warn));
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: several lines in one frame decode the same wherever TCP splits the frame", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port);
  for (let cut = 1; cut < MIXED_STREAM.length + 6; cut++) {
    const frame = encodeFrame(TEXT, MIXED_STREAM);
    await client.writeRaw(frame.subarray(0, cut));
    await pause(2);
    await client.writeRaw(frame.subarray(cut));
    const got = await lineEvents(ev, MIXED_LINES.length);
    assertEquals(got.map((l) => [l.text, l.invalid]), MIXED_LINES, `split at byte ${cut}`);
  }
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: a frame without LF is one truncated line, and the next frame starts a new line", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port);
  await client.sendFrame(TEXT, "MESSAGE|nolf");
  await client.sendFrame(TEXT, "MESSAGE|after\n");
  const got = await lineEvents(ev, 2);
  assertEquals(got.map((l) => [l.text, l.unterminated]), [
    ["MESSAGE|nolf", true],
    ["MESSAGE|after", false],
  ]);
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: a 1 MB frame without LF is dropped and reported, the next frame's line arrives", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port);
  await client.sendFrame(TEXT, concat(bytes("BIG|"), new Uint8Array(1024 * 1024).fill(0x42)));
  await client.sendFrame(TEXT, "NEXT|3\n");
  const e = await ev.until((e) => e.kind === "dropped" || e.kind === "line", "drop or line");
  assertEquals(e.kind === "dropped" && e.dropped.byteLength, 4 + 1024 * 1024);
  assertEquals(await ev.lines(1), ["NEXT|3"]);
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: invalid UTF-8 in a TEXT frame is decoded leniently and the connection stays open", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port);
  // What MMDAgent-EX sends when it cuts a long line inside a multi-byte character.
  await client.sendFrame(TEXT, concat(bytes("SYNTH_START|0|mei|あ"), new Uint8Array([0xe3, 0x81])));
  await client.sendFrame(TEXT, "AFTER|1\n");
  const got = await lineEvents(ev, 2);
  assertEquals(got.map((l) => [l.invalid, l.unterminated]), [[true, true], [false, false]]);
  assertEquals(got[1].text, "AFTER|1");
  assertEquals((await link.send(unit("STILL|open"))).status, "written");
  assertEquals(await textFrames(client, 1), ["STILL|open"]);
  assertEquals(link.stats().invalidUtf8In, 1);
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: a PING from MMDAgent-EX gets a PONG with the same payload; the server never pings", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port);
  await ev.state("connected");
  await client.sendFrame(PING, "abc");
  const pong = await guard(client.nextFrame(), 10_000, "pong");
  assertEquals([pong?.opcode, dec.decode(pong?.payload)], [PONG, "abc"]);
  await pause(200);
  // Nothing else was sent: the next frame is the one we ask for.
  await link.send(unit("AFTER|ping"));
  assertEquals(await textFrames(client, 1), ["AFTER|ping"]);
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: an empty unit is never sent as an empty frame", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port);
  await ev.state("connected");
  await link.send(makeUnit("line", new Uint8Array(0), ""));
  await link.send(unit("REAL|1"));
  assertEquals(await textFrames(client, 1), ["REAL|1"]);
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: after MMDAgent-EX's socket dies and it reconnects, setup is replayed before the queued lines", async () => {
  const { link, port } = await wsLink();
  link.setSetup([unit("__AV_START")]);
  const ev = new EventReader(link.events());
  let client = await rawWsConnect(port);
  assertEquals(await textFrames(client, 1), ["__AV_START"]);
  client.close(); // killed: TCP gone, no CLOSE frame
  await ev.state("disconnected");
  await ev.state("listening");
  for (const t of ["Q|1", "Q|2", "Q|3"]) assertEquals((await link.send(unit(t))).status, "queued");
  client = await rawWsConnect(port, "/chat");
  assertEquals(await textFrames(client, 4), ["__AV_START", "Q|1", "Q|2", "Q|3"]);
  await client.sendFrame(TEXT, "BACK|1\n");
  assertEquals(await ev.lines(1), ["BACK|1"]);
  assertEquals(link.stats().reconnects, 1);
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: close() flushes, then sends one CLOSE frame with no status code", async () => {
  const { link, port } = await wsLink();
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port);
  await ev.state("connected");
  const sends = [];
  for (let i = 0; i < 50; i++) sends.push(link.send(unit(`M|${i}`)));
  const frames = await closeLikeMmdagent(link, client);
  assertEquals(frames.length, 51);
  for (const f of frames.slice(0, 50)) checkFrame(f);
  assertEquals(
    frames.slice(0, 50).map((f) => dec.decode(f.payload)),
    Array.from({ length: 50 }, (_, i) => `M|${i}\n`),
  );
  const close = frames[50];
  assertEquals([close.opcode, close.payload.length, close.fin, close.masked], [
    CLOSE,
    0,
    true,
    false,
  ]);
  assert((await Promise.all(sends)).every((o) => o.status === "written"));
  const last = (await ev.rest()).at(-1);
  assert(last?.kind === "state" && last.state === "closed");
});

Deno.test("ws-server: with a certificate and key, serves wss (TLS, as MMDAgent-EX uses on port 443)", async () => {
  const dir = new URL("./fixtures/", import.meta.url);
  const cert = await Deno.readTextFile(new URL("test_only_cert.pem", dir));
  const key = await Deno.readTextFile(new URL("test_only_key.pem", dir));
  const ca = await Deno.readTextFile(new URL("test_only_ca.pem", dir));
  const { link, port } = await wsLink({ cert, key }, true);
  assert(link.address?.startsWith("wss://"), link.address);
  const ev = new EventReader(link.events());
  const client = await rawWsConnect(port, "/chat", { caCerts: [ca] });
  await ev.state("connected");
  await client.sendFrame(TEXT, "SECURE|1\n");
  assertEquals(await ev.lines(1), ["SECURE|1"]);
  await link.send(unit("BACK|tls"));
  assertEquals(await textFrames(client, 1), ["BACK|tls"]);
  await closeLikeMmdagent(link, client);
});

Deno.test("ws-server: a TLS plan without certificate and key is refused with what to do", async () => {
  let msg = "";
  try {
    await openLink({
      mode: "ws-server",
      bind: "127.0.0.1",
      port: 0,
      path: "/",
      tls: true,
      retryCount: 0,
    });
  } catch (e) {
    msg = String(e);
  }
  assert(msg.includes("--cert") && msg.includes("--key"), msg);
});
