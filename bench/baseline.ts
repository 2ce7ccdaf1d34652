/**
 * The floors the full path is judged against (decisions.md, "Tests and benchmarks"): a raw Deno TCP
 * line echo on loopback, and a pipe round trip to a child process. mmdbot's path adds exactly one
 * child-process hop per direction on top of the TCP echo, so their sum is the two-hop floor.
 */
import { latencySummary } from "./stats.ts";
import { readLines, roundTrips, throughput } from "./line_peer.ts";
import { serveEcho } from "./echo_server.ts";
import type { Placement } from "./fullpath.ts";

/** The raw echo server: bench/echo_server.ts as its own process, or served in the bench itself. */
export async function startEchoServer(
  placement: Placement,
): Promise<{ port: number; close: () => Promise<void> }> {
  if (placement === "in-bench") {
    const server = serveEcho(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
    return { port: server.port, close: () => Promise.resolve(server.close()) };
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      new URL("./echo_server.ts", import.meta.url).pathname,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error("the echo server exited before printing its port");
    text += r.value;
  }
  return {
    port: Number(text.trim()),
    close: async () => {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/**
 * The raw relay (bench/relay_server.ts) as its own process: the full path's three processes and
 * its I/O calls (TCP read, pipe write to a child, BYOB pipe read, TCP write) with none of its work.
 * `pid` is the relay's; its echo child is the relay's only child.
 */
export async function startRelayServer(): Promise<
  { port: number; pid: number; close: () => Promise<void> }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      "--allow-run",
      new URL("./relay_server.ts", import.meta.url).pathname,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error("the relay exited before printing its port");
    text += r.value;
  }
  return {
    port: Number(text.trim()),
    pid: child.pid,
    close: async () => {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/** Raw TCP echo latency and throughput. */
export async function measureTcpEcho(
  rounds: number,
  pipelined: number,
  placement: Placement = "process",
): Promise<{ p50: number; p99: number; throughput: number }> {
  const server = await startEchoServer(placement);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  conn.setNoDelay(true);
  const lines = readLines(conn);
  const samples = await roundTrips(conn, lines, rounds, (i) => `MESSAGE|${i}`, () => true);
  const tput = await throughput(conn, lines, pipelined, (i) => `MESSAGE|${i}`, () => true);
  conn.close();
  await server.close();
  return { ...latencySummary(samples.slice(Math.floor(rounds / 10))), throughput: tput };
}

/** A child process echoing its stdin to its stdout: `roundTrip(i)` times one line (ms). */
export function startPipeChild(): {
  roundTrip(i: number): Promise<number>;
  close(): Promise<void>;
} {
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
  return {
    async roundTrip(i) {
      const line = enc.encode(`{"n":${i}}\n`);
      const t0 = performance.now();
      await writer.write(line);
      let got = 0;
      while (got < line.length) {
        const r = await reader.read();
        if (r.done) throw new Error("child exited");
        got += r.value.length;
      }
      return performance.now() - t0;
    },
    async close() {
      await writer.close();
      reader.releaseLock();
      await child.stdout.cancel();
      await child.status;
    },
  };
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
