/**
 * Splits a byte stream into LF-terminated lines with a bound on line length, for the control
 * socket's JSON lines and for the CLI reading messages from stdin. A line longer than the bound is
 * reported (never buffered without bound); a last line without LF is still yielded.
 */

/** One line from {@link readLines}: its bytes without LF, or a report that it was too long. */
export type ReadLine = { ok: true; bytes: Uint8Array } | { ok: false; tooLong: number };

/**
 * Yields each line of `stream` (LF removed; a CR before it is kept, the caller decides). Lines over
 * `maxBytes` come out as `{ ok: false, tooLong }` once their LF is seen, their bytes discarded.
 *
 * @example
 * for await (const l of readLines(Deno.stdin.readable, 64 * 1024)) if (l.ok) use(l.bytes);
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<ReadLine> {
  let buf: Uint8Array = new Uint8Array(0);
  let skipping = 0;
  for await (const chunk of stream) {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf === -1) break;
      const part = chunk.subarray(start, lf);
      start = lf + 1;
      if (skipping > 0 || buf.length + part.length > maxBytes) {
        yield { ok: false, tooLong: skipping + buf.length + part.length };
        skipping = 0;
        buf = new Uint8Array(0);
        continue;
      }
      yield { ok: true, bytes: concat(buf, part) };
      buf = new Uint8Array(0);
    }
    const rest = chunk.subarray(start);
    if (skipping > 0 || buf.length + rest.length > maxBytes) {
      skipping += buf.length + rest.length;
      buf = new Uint8Array(0);
    } else if (rest.length > 0) {
      buf = concat(buf, rest);
    }
  }
  if (skipping > 0) yield { ok: false, tooLong: skipping };
  else if (buf.length > 0) yield { ok: true, bytes: buf };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Writes all of `bytes` to a writer that may accept fewer bytes per call (sockets, stdout). */
export async function writeAll(w: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  let off = 0;
  while (off < bytes.length) off += await w.write(bytes.subarray(off));
}

/**
 * Reads text lines (e.g. messages typed or piped on stdin): LF removed, one trailing CR removed
 * (a file saved on Windows), bytes decoded as UTF-8. A line that is not valid UTF-8 or longer than
 * `maxBytes` comes out as an `Error` for the caller to report, so one bad line does not end input.
 *
 * @example
 * for await (const l of textLines(Deno.stdin.readable)) if (typeof l === "string") send(l);
 */
export async function* textLines(
  stream: ReadableStream<Uint8Array>,
  maxBytes = 64 * 1024,
): AsyncGenerator<string | Error> {
  const strict = new TextDecoder("utf-8", { fatal: true });
  for await (const l of readLines(stream, maxBytes)) {
    if (!l.ok) {
      yield new Error(`input line of ${l.tooLong} bytes is over the ${maxBytes}-byte limit`);
      continue;
    }
    const bytes = l.bytes.at(-1) === 0x0d ? l.bytes.subarray(0, -1) : l.bytes;
    try {
      yield strict.decode(bytes);
    } catch {
      yield new Error("input line is not valid UTF-8");
    }
  }
}
