/**
 * A measuring peer: sends lines over a connection and times their answers. Used by every round-trip
 * figure of the benchmark so that the baseline and the full path are measured the same way.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads lines from a connection, yielding each as it completes. */
export async function* readLines(conn: Deno.Conn): AsyncGenerator<string> {
  let buf = "";
  const chunk = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(chunk);
    if (n === null) return;
    buf += decoder.decode(chunk.subarray(0, n), { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
}

/** Writes one line in one write. */
export async function writeLine(conn: Deno.Conn, line: string): Promise<void> {
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * One line in flight at a time: sends `make(i)`, waits until `isAnswer` accepts a received line, and
 * records the round trip in milliseconds.
 */
export async function roundTrips(
  conn: Deno.Conn,
  lines: AsyncIterator<string>,
  count: number,
  make: (i: number) => string,
  isAnswer: (line: string, i: number) => boolean,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await writeLine(conn, make(i));
    for (;;) {
      const r = await lines.next();
      if (r.done) throw new Error("connection closed during round trips");
      if (isAnswer(r.value, i)) break;
    }
    samples.push(performance.now() - t0);
  }
  return samples;
}

/**
 * Pipelined throughput: writes `count` lines as fast as possible while reading, and returns answered
 * lines per second.
 */
export async function throughput(
  conn: Deno.Conn,
  lines: AsyncIterator<string>,
  count: number,
  make: (i: number) => string,
  isAnswer: (line: string) => boolean,
): Promise<number> {
  const t0 = performance.now();
  const writer = (async () => {
    const batch = 256;
    for (let i = 0; i < count; i += batch) {
      let text = "";
      for (let j = i; j < Math.min(count, i + batch); j++) text += make(j) + "\n";
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    }
  })();
  let got = 0;
  while (got < count) {
    const r = await lines.next();
    if (r.done) throw new Error("connection closed during throughput run");
    if (isAnswer(r.value)) got++;
  }
  await writer;
  return count / ((performance.now() - t0) / 1000);
}

/**
 * Windowed throughput: keeps at most `window` lines unanswered (a bot's inbox is bounded and drops
 * its oldest message when flooded, so an unbounded pipeline would measure drops, not speed).
 */
export async function windowedThroughput(
  conn: Deno.Conn,
  lines: AsyncIterator<string>,
  count: number,
  window: number,
  make: (i: number) => string,
  isAnswer: (line: string) => boolean,
): Promise<number> {
  const t0 = performance.now();
  let sent = 0;
  let got = 0;
  while (got < count) {
    let text = "";
    while (sent < count && sent - got < window) text += make(sent++) + "\n";
    if (text) {
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    }
    const r = await lines.next();
    if (r.done) throw new Error("connection closed during throughput run");
    if (isAnswer(r.value)) got++;
  }
  return count / ((performance.now() - t0) / 1000);
}
