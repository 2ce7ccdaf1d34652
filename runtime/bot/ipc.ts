/**
 * The bot process's end of the IPC pipe: JSON lines in on stdin, JSON lines out on stdout.
 * Plain Deno APIs only (no npm): the host validates whatever arrives on its side.
 *
 * Why batched: a write to a pipe costs a syscall here and a wake-up in the host, which is most of
 * the price of a message. Everything posted while one batch of host messages is handled (the
 * handler's sends, then the ack) goes out as one write, still whole lines in posting order.
 * Messages are serialised when written, two microtask turns after the first post: by then an
 * `await` on a send's promise has looked at it, so the `send` can say the bot wants the answer.
 */
import type { BotToHost, HostToBot } from "./protocol.ts";

const encoder = new TextEncoder();
let pending: BotToHost[] = [];
let scheduled = false;
let written = 0;
let writeOut = (bytes: Uint8Array) => {
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
};

/** Replaces where batches are written (stdout by default); for in-process tests. */
export function writeWith(write: (bytes: Uint8Array) => void): void {
  writeOut = write;
}

/**
 * Queues one message; it is written with the others of this turn. The object may still be changed
 * until then: while {@link batch} returns what it returned when the message was posted.
 */
export function post(msg: BotToHost): void {
  pending.push(msg);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(() => queueMicrotask(flush));
  }
}

/** Number of the batch being filled; it changes each time a batch is written. */
export function batch(): number {
  return written;
}

/** Writes every queued line now, whole, before returning (a pipe may take it in parts). */
export function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  let text = "";
  for (const msg of pending) text += JSON.stringify(msg) + "\n";
  pending = [];
  written++;
  writeOut(encoder.encode(text));
}

/** Flushes what is queued, then ends the process. */
export function exit(code: number): never {
  flush();
  Deno.exit(code);
}

/** Reads some bytes into `buf`; resolves with the count, or null at the end of input. */
export type Read = (buf: Uint8Array) => Promise<number | null>;

/**
 * The host's messages, in batches: all the lines that arrived in one read, in order, until stdin
 * closes. Lines that are not JSON are skipped. Reads stdin directly rather than through a
 * ReadableStream, which adds a few promise hops per chunk.
 */
export async function* hostBatches(
  read: Read = (buf) => Deno.stdin.read(buf),
): AsyncGenerator<HostToBot[]> {
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(64 * 1024);
  let buffered = "";
  for (;;) {
    const n = await read(chunk);
    if (n === null) return;
    buffered += decoder.decode(chunk.subarray(0, n), { stream: true });
    const end = buffered.lastIndexOf("\n");
    if (end === -1) continue;
    const lines = buffered.slice(0, end).split("\n");
    buffered = buffered.slice(end + 1);
    const batch: HostToBot[] = [];
    for (const line of lines) {
      if (line === "") continue;
      try {
        batch.push(JSON.parse(line) as HostToBot);
      } catch {
        // The host only writes JSON; anything else is a bug worth ignoring, not dying for.
      }
    }
    if (batch.length > 0) yield batch;
  }
}
