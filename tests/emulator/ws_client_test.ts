import { assert, assertEquals } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { connectWs, hostHeader } from "../../runtime/emulator/ws_client.ts";
import {
  acceptFor,
  encodeFrame,
  type Frame,
  FrameReader,
  OP,
} from "../../runtime/emulator/ws_frame.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One accepted connection of the raw test server, after its HTTP request head. */
interface Peer {
  conn: Deno.Conn;
  request: string[];
  reader: FrameReader;
  send(opcode: number, payload: Uint8Array | string): Promise<void>;
  frame(): Promise<Frame | null>;
  close(): void;
}

/** Accepts one connection and answers its handshake with `status` (101 = a correct upgrade). */
async function accept(listener: Deno.Listener, status = 101, reason = "Switching Protocols") {
  const conn = await listener.accept();
  let head = new Uint8Array();
  const guard = setTimeout(() => conn.close(), 8000);
  let end = -1;
  try {
    while (end < 0) {
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      if (n === null) throw new Error("client closed during handshake");
      const m = new Uint8Array(head.length + n);
      m.set(head);
      m.set(buf.subarray(0, n), head.length);
      head = m;
      end = dec.decode(head).indexOf("\r\n\r\n");
    }
  } finally {
    clearTimeout(guard);
  }
  const request = dec.decode(head).slice(0, end).split("\r\n");
  const key = request.find((l) => l.startsWith("Sec-WebSocket-Key: "))!.slice(19);
  const answer = status === 101
    ? "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${await acceptFor(key)}\r\n\r\n`
    : `HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\n\r\n`;
  await conn.write(enc.encode(answer));
  const reader = new FrameReader(conn);
  const peer: Peer = {
    conn,
    request,
    reader,
    async send(opcode, payload) {
      const bytes = typeof payload === "string" ? enc.encode(payload) : payload;
      await conn.write(encodeFrame(opcode, bytes, { mask: false }));
    },
    async frame() {
      const g = setTimeout(() => conn.close(), 8000);
      try {
        return await reader.next().catch(() => null);
      } finally {
        clearTimeout(g);
      }
    },
    close() {
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
  return peer;
}

/** Reads frames until one carries a payload matching `pred`; returns every frame read. */
async function framesUntil(peer: Peer, pred: (f: Frame) => boolean): Promise<Frame[]> {
  const seen: Frame[] = [];
  for (let i = 0; i < 100; i++) {
    const f = await peer.frame();
    if (!f) break;
    seen.push(f);
    if (pred(f)) return seen;
  }
  throw new Error(`no matching frame; saw ${seen.map((f) => JSON.stringify(text(f))).join(", ")}`);
}

const text = (f: Frame) => dec.decode(f.payload);

function listen() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return { listener, port: (listener.addr as Deno.NetAddr).port };
}

Deno.test("WebSocket client side: handshake headers in Poco's order, then one masked FIN TEXT frame per line with its LF", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/chat", retryCount: 0 });
  const peer = await accept(listener);
  assertEquals(peer.request.map((l) => l.split(":")[0]), [
    "GET /chat HTTP/1.1",
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Key",
    "X-App-Type",
    "Host",
  ]);
  assertEquals(peer.request[1], "Upgrade: websocket");
  assertEquals(peer.request[2], "Connection: Upgrade");
  assertEquals(peer.request[3], "Sec-WebSocket-Version: 13");
  assertEquals(atob(peer.request[4].slice(19)).length, 16, "a 16-byte random key");
  assertEquals(peer.request[5], "X-App-Type: MMDAgent");
  assertEquals(peer.request[6], `Host: 127.0.0.1:${port}`);
  const startup = await framesUntil(peer, (f) => text(f).startsWith("CURRENT_TIME|"));
  assertEquals(startup.map(text).slice(0, 2), [
    "PLUGIN_EVENT_ENABLE|Variables\n",
    "PLUGIN_EVENT_ENABLE|TextArea\n",
  ]);
  await peer.send(OP.text, "VALUE_SET|a|1\nVALUE_SET|b|2\n");
  const frames = await framesUntil(peer, (f) => text(f) === "VALUE_EVENT_SET|b\n");
  assertEquals(frames.map(text), [
    "VALUE_SET|a|1\n",
    "VALUE_SET|b|2\n",
    "VALUE_EVENT_SET|a\n",
    "VALUE_EVENT_SET|b\n",
  ]);
  for (const f of [...startup, ...frames]) {
    assert(f.fin && f.opcode === OP.text && f.masked, "masked FIN TEXT");
  }
  await side.close();
  assertEquals(await side.done, "closed");
  peer.close();
  listener.close();
  emu.close();
});

Deno.test("WebSocket client side: Host leaves out ports 80 and 443 as Poco does", () => {
  assertEquals(hostHeader("localhost", 80), "localhost");
  assertEquals(hostHeader("localhost", 443), "localhost");
  assertEquals(hostHeader("localhost", 9001), "localhost:9001");
});

Deno.test("WebSocket client side: 429 Too Many Requests retries on /chat-1 after 0.2 s, with start-up lines on the connection that succeeds", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/chat", retryCount: 3 });
  const refused = await accept(listener, 429, "Too Many Requests");
  assertEquals(refused.request[0], "GET /chat HTTP/1.1");
  refused.close();
  const peer = await accept(listener);
  assertEquals(peer.request[0], "GET /chat-1 HTTP/1.1");
  const frames = await framesUntil(peer, (f) => text(f).startsWith("CURRENT_TIME|"));
  assertEquals(text(frames[0]), "PLUGIN_EVENT_ENABLE|Variables\n");
  await side.close();
  peer.close();
  listener.close();
  emu.close();
});

Deno.test("WebSocket client side: other refusals use up RetryCount and then give up for good", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/", retryCount: 1 });
  const a = await accept(listener, 403, "Forbidden");
  a.close();
  const b = await accept(listener, 403, "Forbidden");
  assertEquals(b.request[0], "GET / HTTP/1.1", "the directory is kept for other refusals");
  b.close();
  assertEquals(await side.done, "gave-up");
  assertEquals(side.connections, 0);
  listener.close();
  emu.close();
});

Deno.test("WebSocket client side: PING is answered by a PONG echoing its payload, and an empty PING by a 1-byte PONG", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/", retryCount: 0 });
  const peer = await accept(listener);
  await framesUntil(peer, (f) => text(f).startsWith("CURRENT_TIME|"));
  await peer.send(OP.ping, "are you there");
  const [pong] = await framesUntil(peer, (f) => f.opcode === OP.pong);
  assertEquals(text(pong), "are you there");
  assert(pong.fin && pong.masked, "masked FIN PONG");
  await peer.send(OP.ping, new Uint8Array());
  const [empty] = await framesUntil(peer, (f) => f.opcode === OP.pong);
  assertEquals(empty.payload.length, 1);
  assertEquals(emu.parser.pending, 0, "a PING's payload is not counted as received data");
  await side.close();
  peer.close();
  listener.close();
  emu.close();
});

Deno.test("WebSocket client side: a CLOSE with status 1000 is data: after the reconnect its two bytes are glued in front of the next line", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const lines: string[] = [];
  emu.onOutput((l) => lines.push(l));
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/", retryCount: 0 });
  const first = await accept(listener);
  await framesUntil(first, (f) => text(f).startsWith("CURRENT_TIME|"));
  await first.send(OP.close, new Uint8Array([0x03, 0xe8]));
  // Poll until the status bytes have been read into the shared buffer.
  for (let i = 0; i < 200 && emu.parser.pending < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assertEquals(emu.parser.pending, 2, "the CLOSE did not end the connection");
  first.close();
  const second = await accept(listener);
  await second.send(OP.text, "MESSAGE|after\n");
  const echo = await framesUntil(second, (f) => text(f).includes("MESSAGE|after"));
  assertEquals(echo.at(-1)!.payload.slice(0, 1), new Uint8Array([0x03]));
  assertEquals(lines.at(-1), "\u0003\ufffdMESSAGE|after");
  assertEquals(side.connections, 2);
  await side.close();
  second.close();
  listener.close();
  emu.close();
});

Deno.test("WebSocket client side: an empty CLOSE is a disconnect followed by a reconnect", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/", retryCount: 0 });
  const first = await accept(listener);
  await framesUntil(first, (f) => text(f).startsWith("CURRENT_TIME|"));
  await first.send(OP.close, new Uint8Array());
  assertEquals(await first.frame(), null, "the emulator closed the socket");
  first.close();
  const second = await accept(listener);
  await second.send(OP.text, "VALUE_SET|z|1\n");
  const frames = await framesUntil(second, (f) => text(f) === "VALUE_EVENT_SET|z\n");
  assertEquals(frames.map(text), ["VALUE_SET|z|1\n", "VALUE_EVENT_SET|z\n"], "no start-up lines");
  await side.close();
  second.close();
  listener.close();
  emu.close();
});

Deno.test("WebSocket client side: a frame larger than the free buffer drops the connection", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/", retryCount: 0 });
  const first = await accept(listener);
  await framesUntil(first, (f) => text(f).startsWith("CURRENT_TIME|"));
  await first.send(OP.text, "x".repeat(9000));
  assertEquals(await first.frame(), null, "the emulator closed the socket");
  first.close();
  const second = await accept(listener);
  await second.send(OP.text, "VALUE_SET|q|1\n");
  await framesUntil(second, (f) => text(f) === "VALUE_EVENT_SET|q\n");
  assertEquals(side.connections, 2);
  await side.close();
  second.close();
  listener.close();
  emu.close();
});

Deno.test("WebSocket client side: KEYVALUE_SET of the directory redirects the next reconnect", async () => {
  const { listener, port } = listen();
  const emu = new Emulator({ currentTime: false });
  const side = connectWs(emu, { host: "127.0.0.1", port, directory: "/a", retryCount: 0 });
  const first = await accept(listener);
  await framesUntil(first, (f) => text(f).startsWith("CURRENT_TIME|"));
  await first.send(OP.text, "KEYVALUE_SET|Plugin_Remote_Websocket_Directory|/b\n");
  await framesUntil(first, (f) => text(f).startsWith("KEYVALUE_SET|"));
  first.close();
  const second = await accept(listener);
  assertEquals(second.request[0], "GET /b HTTP/1.1");
  await side.close();
  second.close();
  listener.close();
  emu.close();
});
