import { assert, assertEquals } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { serveTcp } from "../../runtime/emulator/tcp_server.ts";

const enc = new TextEncoder();

/** Reads lines from a connection until `until` matches one, with a hang guard. */
async function readUntil(conn: Deno.TcpConn, seen: string[], until: (l: string) => boolean) {
  const dec = new TextDecoder();
  let rest = "";
  const guard = setTimeout(() => conn.close(), 5000);
  try {
    const buf = new Uint8Array(4096);
    while (!seen.some(until)) {
      const n = await conn.read(buf);
      if (n === null) break;
      rest += dec.decode(buf.subarray(0, n));
      const parts = rest.split("\n");
      rest = parts.pop()!;
      seen.push(...parts);
    }
  } finally {
    clearTimeout(guard);
  }
  return seen;
}

Deno.test("TCP server side: two clients get REMOTE_EVENT_CONNECTED for each and every echo broadcast", async () => {
  const emu = new Emulator({ currentTime: false });
  const side = serveTcp(emu, { port: 0 });
  const a = await Deno.connect({ hostname: "127.0.0.1", port: side.port });
  const aLines: string[] = [];
  await readUntil(a, aLines, (l) => l.startsWith("REMOTE_EVENT_CONNECTED|"));
  const b = await Deno.connect({ hostname: "127.0.0.1", port: side.port });
  const bLines: string[] = [];
  await readUntil(b, bLines, (l) => l.startsWith("REMOTE_EVENT_CONNECTED|"));
  await readUntil(
    a,
    aLines,
    () => aLines.filter((l) => l.startsWith("REMOTE_EVENT_C")).length >= 2,
  );
  await a.write(enc.encode("VALUE_SET|x|10\n"));
  await readUntil(a, aLines, (l) => l === "VALUE_EVENT_SET|x");
  await readUntil(b, bLines, (l) => l === "VALUE_EVENT_SET|x");
  assertEquals(bLines.slice(-2), ["VALUE_SET|x|10", "VALUE_EVENT_SET|x"]);
  b.close();
  await readUntil(a, aLines, (l) => l === "REMOTE_EVENT_DISCONNECTED|127.0.0.1");
  assert(aLines.includes("REMOTE_EVENT_CONNECTED|127.0.0.1"));
  a.close();
  await side.close();
  emu.close();
});

Deno.test("TCP server side: a half line from one client is joined to the next client's bytes", async () => {
  const emu = new Emulator({ currentTime: false });
  const side = serveTcp(emu, { port: 0 });
  const a = await Deno.connect({ hostname: "127.0.0.1", port: side.port });
  const b = await Deno.connect({ hostname: "127.0.0.1", port: side.port });
  const lines: string[] = [];
  await readUntil(a, lines, () => lines.filter((l) => l.startsWith("REMOTE_EVENT_C")).length >= 2);
  await a.write(enc.encode("MESSAGE|fr"));
  await new Promise((r) => setTimeout(r, 50));
  await b.write(enc.encode("om_b\n"));
  await readUntil(a, lines, (l) => l === "MESSAGE|from_b");
  a.close();
  b.close();
  await side.close();
  emu.close();
});
