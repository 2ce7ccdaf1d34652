/**
 * Inbound decoder, MMDAgent-EX → mmdbot: turns raw TCP reads or WebSocket frame payloads into
 * {@link InboundLine}s. MMDAgent-EX ends every forwarded message with one LF (never CRLF), but the
 * stream can still carry CR, `\n\n` (AllLog mode), truncated lines without LF (messages over about
 * 2046 bytes), invalid UTF-8 (a multi-byte character cut by that truncation) and lines split across
 * reads anywhere, including inside a character (reference 1.4, Part 5 item 11).
 *
 * Bytes are kept per line and decoded once, when the line is complete, so a character split across
 * reads needs no special handling. Memory is bounded by `maxLineBytes`: past it, the line is
 * dropped and only counted (plus a short head for the report) until its LF arrives.
 */
import type { DroppedLine, InboundLine } from "./types.ts";

/** Default inbound limit per line (decisions.md: 256 KiB, then dropped and reported). */
export const DEFAULT_MAX_INBOUND_LINE_BYTES = 256 * 1024;

/** How many bytes of a dropped line are kept so the report can show what it was. */
const DROPPED_HEAD_BYTES = 120;

const LF = 10;
const CR = 13;

/** Options of {@link createLineDecoder}. */
export interface LineDecoderOptions {
  /**
   * Longest line kept, in bytes before the LF (a trailing CR counts). Longer lines are dropped and
   * reported as {@link DroppedLine}. Default {@link DEFAULT_MAX_INBOUND_LINE_BYTES}.
   */
  maxLineBytes?: number;
}

/** What one call of the decoder produced, in wire order within each array. */
export interface DecodeResult {
  /** Complete lines, terminator removed. Empty lines are never included (see `emptyLines`). */
  lines: InboundLine[];
  /** Lines over the limit, reported instead of kept. */
  dropped: DroppedLine[];
}

/** Counters kept by a decoder over its whole life. */
export interface DecoderStats {
  /** Lines emitted (terminated or not). */
  lines: number;
  /** Empty lines skipped: `\n\n` in AllLog mode, or a bare CR before LF. */
  emptyLines: number;
  /** Lines dropped for being over the limit. */
  dropped: number;
  /** Emitted lines that were not valid UTF-8. */
  invalidUtf8: number;
  /** Bytes pushed in total. */
  bytes: number;
}

/** A stateful line splitter for one connection. Not shared between connections. */
export interface LineDecoder {
  /** Feeds the bytes of one read (or one frame); returns what became complete. */
  push(chunk: Uint8Array): DecodeResult;
  /**
   * Marks a WebSocket frame end. MMDAgent-EX sends exactly one line per frame, LF included, so a
   * frame ending without LF is a truncated line: it is emitted with `unterminated: true`.
   */
  endFrame(): DecodeResult;
  /** Marks the end of the stream (connection closed): flushes a pending tail as unterminated. */
  end(): DecodeResult;
  /** Bytes buffered for the current, incomplete line (bounded by `maxLineBytes`). */
  readonly pendingBytes: number;
  /** Counters since creation. */
  stats(): DecoderStats;
}

const lenient = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes leniently; tells whether the bytes were valid UTF-8 without a second pass in the common case. */
function decodeLine(bytes: Uint8Array): { text: string; invalid: boolean } {
  const text = lenient.decode(bytes);
  // U+FFFD only appears on invalid input or when the sender sent it literally; only then check.
  if (!text.includes("\uFFFD")) return { text, invalid: false };
  try {
    strict.decode(bytes);
    return { text, invalid: false };
  } catch {
    return { text, invalid: true };
  }
}

/**
 * Creates a decoder for one connection.
 *
 * @example
 * const dec = createLineDecoder();
 * dec.push(new TextEncoder().encode("A|1\nB|")).lines; // [{ text: "A|1", ... }]
 * dec.push(new TextEncoder().encode("2\n")).lines; // [{ text: "B|2", ... }]
 */
export function createLineDecoder(options: LineDecoderOptions = {}): LineDecoder {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_INBOUND_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
  }

  // The incomplete line: copied pieces (the caller may reuse its read buffer).
  let parts: Uint8Array[] = [];
  let pendingLen = 0;
  // Set while discarding a line that went over the limit.
  let dropping = false;
  let dropCount = 0;
  let dropHead: Uint8Array = new Uint8Array(0);

  const stats: DecoderStats = { lines: 0, emptyLines: 0, dropped: 0, invalidUtf8: 0, bytes: 0 };

  function emit(bytes: Uint8Array, unterminated: boolean, out: DecodeResult): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    if (end === 0) {
      stats.emptyLines++;
      return;
    }
    const body = end === bytes.length ? bytes : bytes.subarray(0, end);
    const { text, invalid } = decodeLine(body);
    if (invalid) stats.invalidUtf8++;
    stats.lines++;
    out.lines.push({ text, byteLength: end, invalidUtf8: invalid, unterminated });
  }

  function reportDrop(out: DecodeResult): void {
    stats.dropped++;
    out.dropped.push({ byteLength: dropCount, head: lenient.decode(dropHead) });
    dropping = false;
    dropCount = 0;
    dropHead = new Uint8Array(0);
  }

  function startDropping(firstBytes: Uint8Array[], total: number): void {
    dropping = true;
    dropCount = total;
    const head = new Uint8Array(Math.min(DROPPED_HEAD_BYTES, total));
    let at = 0;
    for (const p of firstBytes) {
      if (at >= head.length) break;
      const n = Math.min(p.length, head.length - at);
      head.set(p.subarray(0, n), at);
      at += n;
    }
    dropHead = head;
    parts = [];
    pendingLen = 0;
  }

  function takePending(tail: Uint8Array): Uint8Array {
    if (pendingLen === 0) return tail;
    const all = new Uint8Array(pendingLen + tail.length);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    all.set(tail, at);
    parts = [];
    pendingLen = 0;
    return all;
  }

  function push(chunk: Uint8Array): DecodeResult {
    const out: DecodeResult = { lines: [], dropped: [] };
    stats.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) {
        const rest = chunk.subarray(pos);
        if (dropping) {
          dropCount += rest.length;
        } else if (pendingLen + rest.length > maxLineBytes) {
          startDropping([...parts, rest], pendingLen + rest.length);
        } else {
          parts.push(rest.slice());
          pendingLen += rest.length;
        }
        break;
      }
      const seg = chunk.subarray(pos, lf);
      pos = lf + 1;
      if (dropping) {
        dropCount += seg.length;
        reportDrop(out);
      } else if (pendingLen + seg.length > maxLineBytes) {
        startDropping([...parts, seg], pendingLen + seg.length);
        reportDrop(out);
      } else {
        emit(takePending(seg), false, out);
      }
    }
    return out;
  }

  function flush(): DecodeResult {
    const out: DecodeResult = { lines: [], dropped: [] };
    if (dropping) {
      reportDrop(out);
    } else if (pendingLen > 0) {
      emit(takePending(new Uint8Array(0)), true, out);
    }
    return out;
  }

  return {
    push,
    endFrame: flush,
    end: flush,
    get pendingBytes() {
      return pendingLen;
    },
    stats: () => ({ ...stats }),
  };
}
