/**
 * A Deno TCP connection as a {@link Conn}: serialized whole-unit writes (units ready together are
 * joined into one write, never split, see coalesce.ts) and a clean close (FIN, then wait for the
 * peer's EOF) so that MMDAgent-EX never sees a RST from us.
 */
import { joinUnits } from "./coalesce.ts";
import { type Chunk, CLOSE_DRAIN_MS, type Conn, within } from "./conn.ts";

const READ_SIZE = 64 * 1024;

/** Formats a Deno address as `host:port`. */
export function formatAddr(addr: Deno.Addr): string {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return addr.hostname.includes(":")
      ? `[${addr.hostname}]:${addr.port}`
      : `${addr.hostname}:${addr.port}`;
  }
  return addr.transport;
}

/**
 * Wraps a TCP connection. `id` defaults to `tcp:<remote host:port>`.
 *
 * @example
 * const conn = wrapTcpConn(await Deno.connect({ hostname: "127.0.0.1", port: 50001 }));
 */
export function wrapTcpConn(tcp: Deno.TcpConn, id?: string): Conn {
  try {
    tcp.setNoDelay(true);
    // Lets a half-open socket (MMDAgent-EX gone without FIN) fail eventually instead of lingering.
    tcp.setKeepAlive(true);
  } catch {
    // Options are best effort; the socket still works without them.
  }
  /** Settles after the last write issued so far; undefined while no write is in flight. */
  let tail: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let released = false;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));

  async function writeAll(bytes: Uint8Array): Promise<void> {
    let off = await tcp.write(bytes);
    while (off < bytes.length) off += await tcp.write(bytes.subarray(off));
  }

  async function writeJoined(parts: readonly Uint8Array[]): Promise<void> {
    for (const bytes of joinUnits(parts)) await writeAll(bytes);
  }

  /** Runs `job` after every write issued before it, so that no two ever interleave. */
  function serialize(job: () => Promise<void>): Promise<void> {
    if (closing) return Promise.reject(new Error("connection is closing"));
    // An idle socket is written at once: no promise hop before the bytes reach the kernel.
    const next = tail ? tail.then(job) : job();
    const settled: Promise<void> = next.then(
      () => {
        if (tail === settled) tail = undefined;
      },
      () => {
        if (tail === settled) tail = undefined;
      },
    );
    tail = settled;
    return next;
  }

  async function* read(): AsyncGenerator<Chunk> {
    const buf = new Uint8Array(READ_SIZE);
    try {
      for (;;) {
        let n: number | null;
        try {
          n = await tcp.read(buf);
        } catch {
          return; // reset, or released by close(): both end the stream
        }
        if (n === null) return;
        yield { bytes: buf.slice(0, n), frameEnd: false };
      }
    } finally {
      markEnded();
    }
  }

  return {
    id: id ?? `tcp:${formatAddr(tcp.remoteAddr)}`,
    info: {},
    chunks: read,
    write: (bytes) => serialize(() => writeAll(bytes)),
    writeUnits: (parts) => serialize(() => writeJoined(parts)),
    close() {
      closing ??= (async () => {
        if (tail) await within(tail, CLOSE_DRAIN_MS);
        try {
          await tcp.closeWrite();
        } catch {
          // Already shut down or reset by the peer.
        }
        await within(ended, CLOSE_DRAIN_MS);
        if (!released) {
          released = true;
          try {
            tcp.close();
          } catch {
            // Already closed.
          }
        }
      })();
      return closing;
    },
  };
}
