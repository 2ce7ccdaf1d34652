/** Shared helpers of the transport tests: units, event waiting with hang guards, TCP peers. */
import { makeUnit, type WireUnit } from "../../runtime/wire/types.ts";
import type { LinkEvent } from "../../runtime/transport/types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A line unit as the guard would make it (text + LF). */
export function unit(text: string): WireUnit {
  return makeUnit("line", enc.encode(text + "\n"), text);
}

/** Bytes of a string. */
export function bytes(text: string): Uint8Array {
  return enc.encode(text);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Rejects after `ms` with a message, so a hang fails the test instead of stalling it. */
export async function guard<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: number | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${ms} ms: ${what}`)),
          ms,
        ) as unknown as number;
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pulls link events one by one and remembers all of them. */
export class EventReader {
  readonly seen: LinkEvent[] = [];
  #it: AsyncIterator<LinkEvent>;
  constructor(events: AsyncIterable<LinkEvent>) {
    this.#it = events[Symbol.asyncIterator]();
  }
  /** The next event matching `pred`, skipping others (kept in `seen`). */
  async until(pred: (e: LinkEvent) => boolean, what: string, ms = 10_000): Promise<LinkEvent> {
    return await guard(
      (async () => {
        for (;;) {
          const r = await this.#it.next();
          if (r.done) throw new Error(`events ended while waiting for ${what}`);
          this.seen.push(r.value);
          if (pred(r.value)) return r.value;
        }
      })(),
      ms,
      what,
    );
  }
  /** Waits for a state event. */
  state(state: string, ms?: number): Promise<LinkEvent> {
    return this.until((e) => e.kind === "state" && e.state === state, `state ${state}`, ms);
  }
  /** Collects the next `n` line events' texts. */
  async lines(n: number, ms?: number): Promise<string[]> {
    const out: string[] = [];
    while (out.length < n) {
      const e = await this.until((e) => e.kind === "line", `line ${out.length + 1}/${n}`, ms);
      if (e.kind === "line") out.push(e.line.text);
    }
    return out;
  }
  /** Drains to the end (after close). */
  async rest(ms = 10_000): Promise<LinkEvent[]> {
    const out: LinkEvent[] = [];
    await guard(
      (async () => {
        for (;;) {
          const r = await this.#it.next();
          if (r.done) return;
          this.seen.push(r.value);
          out.push(r.value);
        }
      })(),
      ms,
      "end of events",
    );
    return out;
  }
}

/** Reads LF-terminated lines from a raw TCP connection (the MMDAgent-EX side in tests). */
export class LineReader {
  #buf = "";
  #conn: Deno.Conn;
  eof = false;
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  /** The next `n` lines (without LF); fails on EOF. */
  async lines(n: number, ms = 10_000): Promise<string[]> {
    return await guard(
      (async () => {
        const out: string[] = [];
        while (out.length < n) {
          const i = this.#buf.indexOf("\n");
          if (i >= 0) {
            out.push(this.#buf.slice(0, i));
            this.#buf = this.#buf.slice(i + 1);
            continue;
          }
          const chunk = new Uint8Array(65536);
          const got = await this.#conn.read(chunk);
          if (got === null) throw new Error(`EOF after ${out.length}/${n} lines: ${out}`);
          this.#buf += dec.decode(chunk.subarray(0, got), { stream: true });
        }
        return out;
      })(),
      ms,
      `${n} lines from the link`,
    );
  }
  /** Reads until EOF; returns the remaining text. Throws if the peer reset the connection. */
  async toEof(ms = 10_000): Promise<string> {
    return await guard(
      (async () => {
        const chunk = new Uint8Array(65536);
        for (;;) {
          const got = await this.#conn.read(chunk);
          if (got === null) break;
          this.#buf += dec.decode(chunk.subarray(0, got), { stream: true });
        }
        this.eof = true;
        const rest = this.#buf;
        this.#buf = "";
        return rest;
      })(),
      ms,
      "EOF from the link",
    );
  }
}

/** Writes all bytes. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Sleeps on real time (used only to let separate writes arrive as separate reads). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The mixed stream MMDAgent-EX may send, and the lines a correct decoder makes of it: CRLF, a
 * multi-byte run (2, 3 and 4-byte characters), `\n\n` (AllLog mode), invalid UTF-8, a plain line.
 */
export const MIXED_STREAM: Uint8Array = concat(
  bytes("A|1\r\n"),
  bytes("B|äö漢字🎉\n"),
  bytes("\n"),
  bytes("C|"),
  new Uint8Array([0xff, 0xfe]),
  bytes("ok\n"),
  bytes("D|end\n"),
);

/** What {@link MIXED_STREAM} decodes to: [text, invalidUtf8]. */
export const MIXED_LINES: [string, boolean][] = [
  ["A|1", false],
  ["B|äö漢字🎉", false],
  ["C|\uFFFD\uFFFDok", true],
  ["D|end", false],
];

/** Collects the next `n` line events with their flags. */
export async function lineEvents(
  reader: EventReader,
  n: number,
): Promise<{ text: string; invalid: boolean; unterminated: boolean; connection: string }[]> {
  const out = [];
  while (out.length < n) {
    const e = await reader.until((e) => e.kind === "line", `line ${out.length + 1}/${n}`);
    if (e.kind === "line") {
      out.push({
        text: e.line.text,
        invalid: e.line.invalidUtf8,
        unterminated: e.line.unterminated,
        connection: e.connection,
      });
    }
  }
  return out;
}

/**
 * Closes the link the way MMDAgent-EX reacts to it: the peer reads to EOF, then closes its socket.
 * Returns what the peer read after the call.
 */
export async function closeLikeMmdagent(
  link: { close(): Promise<void> },
  conn: Deno.Conn,
): Promise<string> {
  const reader = new LineReader(conn);
  const [, rest] = await Promise.all([link.close(), reader.toEof().finally(() => conn.close())]);
  return rest;
}
