/**
 * The throughput floor of "one line through one bot": a raw Deno relay with the full path's two
 * process hops and none of its work. It accepts one TCP connection, passes every chunk it reads to
 * a child process that echoes its stdin to its stdout, and writes what comes back to the socket.
 * Run as a program, it prints its port on stdout, then serves until killed.
 */

const ECHO_CHILD =
  "const b=new Uint8Array(65536);for(;;){const n=await Deno.stdin.read(b);if(n===null)break;" +
  "let o=0;while(o<n)o+=await Deno.stdout.write(b.subarray(o,n));}";

async function writeAll(w: { write(b: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  let off = 0;
  while (off < bytes.length) off += await w.write(bytes.subarray(off));
}

/** Relays `conn` through one echo child until either side ends. */
export async function relay(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", ECHO_CHILD],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const toChild = child.stdin.getWriter();
  const back = (async () => {
    const reader = child.stdout.getReader({ mode: "byob" });
    let space = new Uint8Array(65536);
    for (;;) {
      const { value, done } = await reader.read(space);
      if (done || !value) break;
      await writeAll(conn, value);
      space = new Uint8Array(value.buffer);
    }
  })().catch(() => {});
  const buf = new Uint8Array(65536);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      await toChild.write(buf.slice(0, n));
    }
  } catch { /* peer gone */ }
  await toChild.close().catch(() => {});
  await back;
  await child.status;
  try {
    conn.close();
  } catch { /* closed */ }
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  for await (const conn of listener) relay(conn);
}
