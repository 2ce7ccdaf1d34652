/**
 * Latency of the floor and the full path measured the same way: blocks of round trips, rotating
 * between the paths, every path hot. Measuring the floor with its echo process idle between round
 * trips made it pay a cold wake-up the full path (kept busy) did not, which flattered the ratio.
 *
 * Per block, `perBlock` round trips one after the other on one path; the first few of each block
 * are left out (the path warming up after the other paths' blocks). The two-hop floor is the raw
 * TCP echo plus the pipe round trip to a child, p50 and p99 each summed, from the same rotation.
 *
 * The raw relay is in the rotation too: the full path's process layout (peer → relay → child →
 * relay → peer, three processes and four cross-process wake-ups in a chain) with the host's own
 * I/O calls and none of its work. It costs more than the two-hop floor on a 2-core machine (three
 * processes share two cores, and the relay's pipe calls go through Deno's stream layer), so the
 * full path's cost over it is what mmdbot's own work adds.
 */
import { startEchoServer, startPipeChild, startRelayServer } from "./baseline.ts";
import { type Placement, withSession } from "./fullpath.ts";
import { readLines, writeLine } from "./line_peer.ts";
import { latencySummary } from "./stats.ts";

/** Round trips left out at the start of each block. */
const BLOCK_WARMUP = 5;

/** Result of {@link measureHotLatency}, in milliseconds. */
export interface HotLatency {
  echo: { p50: number; p99: number };
  pipe: { p50: number; p99: number };
  floor: { p50: number; p99: number };
  full: { p50: number; p99: number };
  /** The raw relay: the full path's processes and I/O calls, no work. */
  relay: { p50: number; p99: number };
  blocks: number;
  perBlock: number;
}

/** Rotates `blocks` blocks of `perBlock` round trips over echo, pipe, the relay and the full path. */
export async function measureHotLatency(
  blocks = 30,
  perBlock = 100,
  placement: Placement = "process",
): Promise<HotLatency> {
  const server = await startEchoServer("process");
  const echoConn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  echoConn.setNoDelay(true);
  const echoLines = readLines(echoConn);
  const pipe = startPipeChild();
  const relay = await startRelayServer();
  const relayConn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
  relayConn.setNoDelay(true);
  const relayLines = readLines(relayConn);
  const samples = {
    echo: [] as number[],
    pipe: [] as number[],
    relay: [] as number[],
    full: [] as number[],
  };
  let n = 0;
  const lineRt = (conn: Deno.Conn, lines: AsyncIterator<string>) => async (i: number) => {
    const t0 = performance.now();
    await writeLine(conn, `MESSAGE|${i}`);
    while ((await lines.next()).value !== `MESSAGE|${i}`) { /* other lines */ }
    return performance.now() - t0;
  };
  try {
    await withSession(1, async (conn, lines) => {
      const fullRt = async (i: number) => {
        const t0 = performance.now();
        await writeLine(conn, `MESSAGE|ping|${i}`);
        for (;;) {
          const r = await lines.next();
          if (r.done) throw new Error("mmdbot closed the connection");
          if (r.value === `MESSAGE|pong|${i}`) break;
        }
        return performance.now() - t0;
      };
      const paths: [keyof typeof samples, (i: number) => Promise<number>][] = [
        ["echo", lineRt(echoConn, echoLines)],
        ["pipe", (i) => pipe.roundTrip(i)],
        ["relay", lineRt(relayConn, relayLines)],
        ["full", fullRt],
      ];
      for (let b = 0; b < blocks; b++) {
        for (const [name, rt] of paths) {
          for (let k = 0; k < perBlock; k++) {
            const ms = await rt(n++);
            if (k >= BLOCK_WARMUP && b > 0) samples[name].push(ms);
          }
        }
      }
    }, placement);
  } finally {
    echoConn.close();
    await server.close();
    await pipe.close();
    relayConn.close();
    await relay.close();
  }
  const echo = latencySummary(samples.echo);
  const pipeS = latencySummary(samples.pipe);
  return {
    echo,
    pipe: pipeS,
    floor: { p50: echo.p50 + pipeS.p50, p99: echo.p99 + pipeS.p99 },
    full: latencySummary(samples.full),
    relay: latencySummary(samples.relay),
    blocks,
    perBlock,
  };
}

if (import.meta.main) console.log(await measureHotLatency());
