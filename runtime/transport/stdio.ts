/**
 * mmdbot as a Plugin_AnyScript child (reference 7.8): MMDAgent-EX writes every message to our stdin
 * and reads our stdout one byte at a time up to LF. So stdout carries units and nothing else (logs
 * go to stderr), each unit whole in one write call (units ready together may share one), and the session ends when stdin reaches EOF (a child
 * that exits early makes MMDAgent-EX's reader spin, so we stay up exactly as long as stdin is open).
 */
import { joinUnits } from "./coalesce.ts";
import type { Chunk, Conn } from "./conn.ts";

/** Where the stdio connection reads and writes; defaults to the process' stdin and stdout. */
export interface StdioStreams {
  input: ReadableStream<Uint8Array>;
  output: { write(p: Uint8Array): Promise<number> };
  /**
   * Awaited at stdin EOF before the connection reports its end: stdout is still open then, so the
   * session can let the bots answer the lines already read (bounded by the caller).
   */
  beforeEnd?: () => Promise<void>;
}

/**
 * The stdio stream as a {@link Conn} with id `stdio`. Its chunks end at EOF on stdin.
 *
 * @example
 * const link = createLink({ kind: "single", conn: stdioConn() }, { describe: "stdio" });
 */
export function stdioConn(streams?: Partial<StdioStreams>): Conn {
  const input = streams?.input ?? Deno.stdin.readable;
  const output = streams?.output ?? Deno.stdout;
  const reader = input.getReader();
  let writeChain: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;

  async function writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await output.write(bytes.subarray(off));
  }

  function writeUnits(parts: readonly Uint8Array[]): Promise<void> {
    if (closing) return Promise.reject(new Error("stdio link is closing"));
    const next = writeChain.then(async () => {
      for (const bytes of joinUnits(parts)) await writeAll(bytes);
    });
    writeChain = next.catch(() => {});
    return next;
  }

  async function* read(): AsyncGenerator<Chunk> {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          await streams?.beforeEnd?.().catch(() => {});
          return;
        }
        if (value.length > 0) yield { bytes: value, frameEnd: false };
      }
    } finally {
      reader.releaseLock();
    }
  }

  return {
    id: "stdio",
    info: {},
    chunks: read,
    write: (bytes) => writeUnits([bytes]),
    writeUnits,
    close() {
      closing ??= (async () => {
        await writeChain;
        // Stops our reader; stdout stays open until the process exits (nothing else writes to it).
        await reader.cancel().catch(() => {});
      })();
      return closing;
    },
  };
}
