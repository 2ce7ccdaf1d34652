import { assert, assertEquals } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { connectTcp } from "../../runtime/emulator/tcp_client.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";

const enc = new TextEncoder();

/** A port that was free a moment ago (the listener is closed again). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Line reader over one accepted connection, with a hang guard. */
function lineReader(conn: Deno.Conn) {
  const dec = new TextDecoder();
  const lines: string[] = [];
  let rest = "";
  let eof = false;
  return {
    lines,
    get eof() {
      return eof;
    },
    async until(pred: (lines: string[]) => boolean): Promise<string[]> {
      const guard = setTimeout(() => conn.close(), 8000);
      try {
        const buf = new Uint8Array(4096);
        while (!pred(lines) && !eof) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) {
            eof = true;
            break;
          }
          rest += dec.decode(buf.subarray(0, n));
          const parts = rest.split("\n");
          rest = parts.pop()!;
          lines.push(...parts);
        }
      } finally {
        clearTimeout(guard);
      }
      return lines;
    },
  };
}

const STARTUP = [
  "PLUGIN_EVENT_ENABLE|Variables",
  "PLUGIN_EVENT_ENABLE|TextArea",
  "PLUGIN_EVENT_ENABLE|VIManager",
  "PLUGIN_EVENT_ENABLE|Audio",
  "PLUGIN_EVENT_ENABLE|Remote",
];

Deno.test("TCP client side: retries 0.5 s apart reach a listener that opens after 1 s, and the start-up lines come first", async () => {
  const port = freePort();
  const emu = new Emulator({ currentTime: false });
  const side = connectTcp(emu, { host: "localhost", port, retryCount: 5 });
  await new Promise((r) => setTimeout(r, 1000));
  assertEquals(side.connections, 0, "nothing listens yet");
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const conn = await listener.accept();
  const r = lineReader(conn);
  await r.until((l) => l.some((x) => x.startsWith("CURRENT_TIME|")));
  assertEquals(r.lines.slice(0, 5), STARTUP);
  assert(/^CURRENT_TIME\|\d\d\|\d\d$/.test(r.lines[5]), `got ${r.lines[5]}`);
  assert(!r.lines.some((l) => l.startsWith("REMOTE_EVENT_")), "no REMOTE_EVENT_* in client mode");
  await conn.write(enc.encode("VALUE_SET|x|1\n"));
  await r.until((l) => l.includes("VALUE_EVENT_SET|x"));
  assertEquals(r.lines.slice(-2), ["VALUE_SET|x|1", "VALUE_EVENT_SET|x"]);
  await side.close();
  conn.close();
  listener.close();
  emu.close();
});

Deno.test("TCP client side: with RetryCount 0 a single failed try gives up for good", async () => {
  const port = freePort();
  const log = memoryLogger();
  const emu = new Emulator({ currentTime: false });
  const side = connectTcp(emu, { host: "127.0.0.1", port, retryCount: 0, log });
  assertEquals(await side.done, "gave-up");
  assertEquals(side.connections, 0);
  assertEquals(log.records.filter((r) => r.msg.startsWith("failed to connect")).length, 1);
  assert(log.records.some((r) => r.level === "error" && r.msg.includes("never tries again")));
  emu.close();
});

Deno.test("TCP client side: after a disconnect it reconnects once without start-up lines, and a failed reconnect gives up", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const log = memoryLogger();
  const emu = new Emulator({ currentTime: false });
  const side = connectTcp(emu, { host: "127.0.0.1", port, retryCount: 0, log });
  const first = await listener.accept();
  await lineReader(first).until((l) => l.some((x) => x.startsWith("CURRENT_TIME|")));
  first.close();
  const second = await listener.accept();
  const r = lineReader(second);
  await second.write(enc.encode("VALUE_SET|y|2\n"));
  await r.until((l) => l.includes("VALUE_EVENT_SET|y"));
  assertEquals(
    r.lines,
    ["VALUE_SET|y|2", "VALUE_EVENT_SET|y"],
    "no start-up lines the second time",
  );
  assertEquals(side.connections, 2);
  assert(log.records.some((r) => r.level === "warn" && r.msg.includes("reference 7.5")));
  listener.close();
  second.close();
  assertEquals(await side.done, "gave-up");
  assertEquals(side.connections, 2);
  assertEquals(emu.peers, 0);
  emu.close();
});

Deno.test("TCP client side: breakOnDisconnect ends the session at the first disconnect (observed Linux binary)", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const emu = new Emulator({ currentTime: false });
  const side = connectTcp(emu, { host: "127.0.0.1", port, retryCount: 3, breakOnDisconnect: true });
  const first = await listener.accept();
  await lineReader(first).until((l) => l.some((x) => x.startsWith("CURRENT_TIME|")));
  first.close();
  assertEquals(await side.done, "broken");
  assertEquals(side.connections, 1);
  listener.close();
  emu.close();
});

Deno.test("TCP client side: bytes from the peer go through the shared parser (a half line waits for its end)", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const emu = new Emulator({ currentTime: false });
  const side = connectTcp(emu, { host: "127.0.0.1", port, retryCount: 0 });
  const conn = await listener.accept();
  const r = lineReader(conn);
  await r.until((l) => l.some((x) => x.startsWith("CURRENT_TIME|")));
  await conn.write(enc.encode("MESSAGE|ha"));
  await new Promise((res) => setTimeout(res, 50));
  assertEquals(emu.parser.pending, 10);
  await conn.write(enc.encode("lf\n"));
  await r.until((l) => l.includes("MESSAGE|half"));
  await side.close();
  assertEquals(await side.done, "closed");
  conn.close();
  listener.close();
  emu.close();
});
