/**
 * The raw line-echo server of the baseline, as its own process (the full path's mmdbot runs as its
 * own process too) or inside the bench: splits lines and writes each back with one write, as the
 * protocol requires toward MMDAgent-EX. The fastest honest thing a Deno peer can do per line on
 * loopback. Run as a program, it prints its port on stdout, then serves until killed.
 */
import { readLines } from "./line_peer.ts";

/** Serves the line echo on `listener` until closed; returns its port and a close function. */
export function serveEcho(listener: Deno.TcpListener): { port: number; close: () => void } {
  const encoder = new TextEncoder();
  (async () => {
    for await (const conn of listener) {
      conn.setNoDelay(true);
      (async () => {
        try {
          for await (const line of readLines(conn)) {
            const bytes = encoder.encode(line + "\n");
            let off = 0;
            while (off < bytes.length) off += await conn.write(bytes.subarray(off));
          }
        } catch { /* peer gone */ }
        try {
          conn.close();
        } catch { /* already closed */ }
      })();
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

if (import.meta.main) {
  const server = serveEcho(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  console.log(server.port);
}
