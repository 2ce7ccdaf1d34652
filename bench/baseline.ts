/**
 * The floors the full path is judged against (decisions.md, "Tests and benchmarks"): a raw Deno TCP
 * line echo on loopback, and a pipe round trip to a child process. mmdbot's path adds exactly one
 * child-process hop per direction on top of the TCP echo, so their sum is the two-hop floor.
 */
import { latencySummary } from "./stats.ts";
import { readLines, roundTrips, throughput } from "./line_peer.ts";

/**
 * Raw line-echo server: splits lines and writes each back with one write, as the protocol requires
 * toward MMDAgent-EX. The fastest honest thing a Deno peer can do per line on loopback.
 */
function startEchoServer(): { port: number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
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

/** Raw TCP echo latency and throughput. */
export async function measureTcpEcho(
  rounds: number,
  pipelined: number,
): Promise<{ p50: number; p99: number; throughput: number }> {
  const server = startEchoServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  conn.setNoDelay(true);
  const lines = readLines(conn);
  const samples = await roundTrips(conn, lines, rounds, (i) => `MESSAGE|${i}`, () => true);
  const tput = await throughput(conn, lines, pipelined, (i) => `MESSAGE|${i}`, () => true);
  conn.close();
  server.close();
  return { ...latencySummary(samples.slice(Math.floor(rounds / 10))), throughput: tput };
}

/** Round trip through a child process's stdin/stdout (one IPC hop each way). */
export async function measurePipeRoundTrip(rounds: number): Promise<{ p50: number; p99: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "const b=new Uint8Array(65536);for(;;){const n=await Deno.stdin.read(b);if(n===null)break;" +
      "let o=0;while(o<n)o+=await Deno.stdout.write(b.subarray(o,n));}",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const enc = new TextEncoder();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const line = enc.encode(`{"n":${i}}\n`);
    const t0 = performance.now();
    await writer.write(line);
    let got = 0;
    while (got < line.length) {
      const r = await reader.read();
      if (r.done) throw new Error("child exited");
      got += r.value.length;
    }
    samples.push(performance.now() - t0);
  }
  await writer.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  return latencySummary(samples.slice(Math.floor(rounds / 10)));
}
