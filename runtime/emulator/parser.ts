/**
 * MMDAgent-EX's Plugin_Remote receive parser, reproduced byte for byte (reference plugin-remote.md
 * 1.1-1.2, `processMessageData` in Plugin_Remote.cpp and `MMDFiles_strtok`): one 8192-byte buffer
 * shared by every connection and never cleared, the `S`/`SND` audio rule with C `atoi` lengths, the
 * strtok that steps by a UTF-8 lead-byte table, and the completeness test that reads the byte at
 * `strlen(token)` of the *original* buffer (stale bytes included).
 *
 * It does not depend on the runtime's own wire decoder on purpose: the point is to behave like the
 * real binary, faults included, so the emulator can act as a conformance checker.
 *
 * Each fault is reported with the offending bytes. What happens next depends on {@link FaultMode}:
 * - `"recover"` (default and `--strict`): the fault is reported, then the parser discards the
 *   offending bytes and carries on, so one bad byte does not end an emulator session;
 * - `"crash"` (`--strict=crash`): the effect is simulated as the binary shows it: a wedge keeps the
 *   bytes until the buffer fills and then drops the connection (and every later one), a hang stops
 *   the parser for good, a crash kills it.
 */

/** Size of Plugin_Remote's receive array (`SOCKET_MAXBUFLEN`). */
export const SOCKET_MAXBUFLEN = 8192;

/** A kind of parser or command fault. */
export type FaultKind =
  | "wedge"
  | "hang"
  | "merge"
  | "crash"
  | "drop"
  | "held"
  | "split"
  | "mangle"
  | "overrun"
  /** A line MMDAgent-EX sends was longer than its 2048-byte limit: cut, without LF (speech.md §4). */
  | "cut"
  /** Two `SYNTH_START`s for one model in one write: a race in the TTS plugin (speech.md §4). */
  | "race"
  /** A second `SPEAK_START` while one plays: the main thread busy-waits (speech.md §5). */
  | "freeze";

/** One input that the real MMDAgent-EX would mishandle. */
export interface Fault {
  kind: FaultKind;
  /** The offending bytes as lower-case hex pairs separated by spaces (at most 64 bytes shown). */
  bytes: string;
  /** What the real binary does with them, in one sentence a person can act on. */
  explanation: string;
  /** Connection the bytes came from, when known. */
  conn?: number;
}

/** What the parser produced from one read. */
export type ParserEvent =
  | { kind: "message"; type: string; args: string | null; conn: number }
  | { kind: "avatar"; line: string; conn: number }
  | { kind: "snd"; bytes: Uint8Array; conn: number }
  | { kind: "sndHeader"; header: "STRM" | "FILE" | "BRKS"; conn: number }
  | { kind: "fault"; fault: Fault };

/** How faults act: report and carry on, or simulate their effect. */
export type FaultMode = "recover" | "crash";

/** Parser state: `hung` and `crashed` mean nothing is received any more. */
export type ParserState = "ok" | "hung" | "crashed";

const LF = 0x0a;
const CR = 0x0d;
const MAX_SHOWN = 64;
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** MMDFiles_getcharsize: the UTF-8 lead-byte table; 0 for NUL, continuation bytes, 0xFE, 0xFF. */
export function charSize(b: number): number {
  if (b >= 0x01 && b <= 0x7f) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf7) return 4;
  if (b >= 0xf8 && b <= 0xfb) return 5;
  if (b >= 0xfc && b <= 0xfd) return 6;
  return 0;
}

/** Result of {@link strtokCRLF}. */
export interface StrtokResult {
  /** Token start offset, or -1 when strtok returns NULL. */
  start: number;
  /** Token length (strlen of the returned pointer). */
  length: number;
  /** Offset at which a zero-size character made the real strtok loop for ever. */
  hangAt?: number;
  /** Offsets of CR/LF bytes swallowed inside a multi-byte "character". */
  swallowed: number[];
}

/**
 * `MMDFiles_strtok(copy, "\r\n")` on `data[0..len)` followed by a NUL, as the C code runs it.
 *
 * @example
 * strtokCRLF(new TextEncoder().encode("\nA|1\n"), 5) // { start: 1, length: 3, swallowed: [] }
 */
export function strtokCRLF(data: Uint8Array, len: number): StrtokResult {
  const at = (i: number) => (i < len ? data[i] : 0);
  let p = 0;
  let s = -1;
  let e = -1;
  let step = 0;
  const swallowed: number[] = [];
  while (at(p) !== 0) {
    if (step === 0) s = p;
    if (step === 1) e = p;
    const size = charSize(at(p));
    if (size === 0) return { start: -1, length: 0, hangAt: p, swallowed };
    let chars = 0;
    let hitNul = false;
    const first = p;
    for (let i = 0; i < size; i++) {
      if (at(p) === 0) {
        hitNul = true;
        break;
      }
      p++;
      chars++;
    }
    // mbc1 is the whole character, or "" when a NUL cut it short (it then never matches).
    const isSep = !hitNul && chars === 1 && (data[first] === CR || data[first] === LF);
    if (size > 1) {
      for (let k = first + 1; k < first + chars; k++) {
        if (data[k] === CR || data[k] === LF) swallowed.push(k);
      }
    }
    if (step === 0) {
      if (!isSep) step = 1;
    } else if (isSep) {
      return { start: s, length: e - s, swallowed };
    }
  }
  if (step === 1) return { start: s, length: p - s, swallowed };
  return { start: -1, length: 0, swallowed };
}

/** C `atoi` on an ASCII byte run: leading spaces, optional sign, digits; anything else stops it. */
export function atoi(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || (bytes[i] >= 0x09 && bytes[i] <= 0x0d))) i++;
  let sign = 1;
  if (bytes[i] === 0x2d) {
    sign = -1;
    i++;
  } else if (bytes[i] === 0x2b) i++;
  let n = 0;
  while (i < bytes.length && bytes[i] >= 0x30 && bytes[i] <= 0x39) n = n * 10 + bytes[i++] - 0x30;
  return sign * n;
}

/** Lower-case hex of at most 64 bytes, with `…` when longer. */
export function hex(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, MAX_SHOWN), (b) => b.toString(16).padStart(2, "0"));
  return shown.join(" ") + (bytes.length > MAX_SHOWN ? ` … (${bytes.length} bytes)` : "");
}

/** Decodes bytes the way a C string is shown (lenient UTF-8). */
export function cstr(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * Splits a message line the way Plugin_Remote does before queuing it: `strtok(line, "|")` for the
 * TYPE (leading `|` skipped), then `strtok(NULL, "\r\n")` for the rest.
 */
export function splitTypeArgs(line: Uint8Array): { type: string; args: string | null } {
  let i = 0;
  while (i < line.length && line[i] === 0x7c) i++;
  if (i >= line.length) return { type: "", args: null };
  let j = i;
  while (j < line.length && line[j] !== 0x7c) j++;
  const type = cstr(line.subarray(i, j));
  if (j >= line.length) return { type, args: null };
  let k = j + 1;
  while (k < line.length && (line[k] === CR || line[k] === LF)) k++;
  if (k >= line.length) return { type, args: null };
  let end = k;
  while (end < line.length && line[end] !== CR && line[end] !== LF) end++;
  return { type, args: cstr(line.subarray(k, end)) };
}

/** Options of {@link RemoteParser}. */
export interface RemoteParserOptions {
  mode?: FaultMode;
}

/**
 * The receive side of Plugin_Remote: feed it every read of every connection (they share one buffer,
 * exactly as in MMDAgent-EX) and it returns what the binary would do with the bytes.
 *
 * @example
 * const p = new RemoteParser();
 * p.read(new TextEncoder().encode("MESSAGE|hi\n"), 0); // [{ kind: "message", type: "MESSAGE", ... }]
 */
export class RemoteParser {
  /** The shared receive array; bytes past `pending` are stale leftovers of earlier traffic. */
  readonly buf = new Uint8Array(SOCKET_MAXBUFLEN);
  #bp = 0;
  #state: ParserState = "ok";
  #mode: FaultMode;
  #wedgeReported = false;

  constructor(options: RemoteParserOptions = {}) {
    this.#mode = options.mode ?? "recover";
  }

  /** Bytes waiting in the buffer (`m_bp`). */
  get pending(): number {
    return this.#bp;
  }

  /** `ok`, or `hung`/`crashed` after a simulated fatal fault. */
  get state(): ParserState {
    return this.#state;
  }

  /** How many bytes the next `recv()` may return (`SOCKET_MAXBUFLEN - 1 - m_bp`); 0 means a drop. */
  readSize(): number {
    return SOCKET_MAXBUFLEN - 1 - this.#bp;
  }

  /**
   * Writes bytes into the buffer past the pending data without counting them, as a WebSocket PING
   * payload does (`receiveFrame` into `&buff[m_bp]`). They become stale bytes.
   */
  scribble(bytes: Uint8Array): void {
    const n = Math.min(bytes.length, SOCKET_MAXBUFLEN - this.#bp);
    this.buf.set(bytes.subarray(0, n), this.#bp);
  }

  /**
   * One read from connection `conn`. A chunk longer than {@link readSize} is split into several
   * reads as the kernel would deliver it to a `recv()` of that size. When the buffer is full, the
   * read returns 0 and the result ends with a `drop` fault: the side must close the connection and
   * discard the rest of the chunk.
   */
  read(chunk: Uint8Array, conn: number): ParserEvent[] {
    const out: ParserEvent[] = [];
    let off = 0;
    while (off < chunk.length || chunk.length === 0) {
      if (this.#state !== "ok") return out;
      const room = this.readSize();
      if (room <= 0) {
        out.push(this.#fault(out, {
          kind: "drop",
          bytes: hex(this.buf.subarray(0, Math.min(this.#bp, MAX_SHOWN))),
          explanation:
            "the 8 KB receive buffer is full without a usable line end: recv() is asked for 0 " +
            "bytes and the connection is dropped; the counter is never cleared, so every later " +
            "connection is dropped at its first read until MMDAgent-EX restarts",
          conn,
        }));
        return out;
      }
      if (chunk.length === 0) return out;
      const n = Math.min(room, chunk.length - off);
      this.buf.set(chunk.subarray(off, off + n), this.#bp);
      off += n;
      this.#process(this.#bp + n, conn, out);
    }
    return out;
  }

  /**
   * Whether a WebSocket frame of `size` bytes fits (`receiveFrame` with the free space as buffer
   * size); a larger one throws in Poco and forces a reconnect.
   */
  frameFits(size: number): boolean {
    return size <= this.readSize();
  }

  #fault(_out: ParserEvent[], fault: Fault): ParserEvent {
    return { kind: "fault", fault };
  }

  #process(len: number, conn: number, out: ParserEvent[]): void {
    const buf = this.buf;
    let mLen = len;
    this.#bp = 0;
    const consume = (n: number) => {
      buf.copyWithin(0, n, SOCKET_MAXBUFLEN);
      mLen -= n;
    };
    while (mLen > 0) {
      if (buf[0] === 0x53 /* S */) {
        if (mLen < 7) {
          if (buf.subarray(0, mLen).some((b) => b === LF || b === CR)) {
            out.push(this.#fault(out, {
              kind: "held",
              bytes: hex(buf.slice(0, mLen)),
              explanation: "a line starting with 'S' shorter than 7 bytes is held back until " +
                "more bytes arrive (it may wait for ever)",
              conn,
            }));
          }
          this.#bp = mLen;
          return;
        }
        if (buf[1] === 0x4e && buf[2] === 0x44) {
          const code = latin1.decode(buf.subarray(3, 7));
          if (code === "STRM" || code === "FILE" || code === "BRKS") {
            out.push({ kind: "sndHeader", header: code, conn });
            let h = 7;
            if (h < mLen && buf[h] === LF) h += 1;
            else if (h + 1 < mLen && buf[h] === CR && buf[h + 1] === LF) h += 2;
            consume(h);
            continue;
          }
          const slen = atoi(buf.subarray(3, 7));
          const isDigits = /^[0-9]{4}$/.test(code);
          if (mLen < slen + 7) {
            this.#bp = mLen;
            return;
          }
          const total = 7 + slen;
          if (!isDigits || slen < 0 || slen % 2 !== 0) {
            const fatal = total <= 0;
            out.push(this.#fault(out, {
              kind: fatal ? (total === 0 ? "hang" : "crash") : "mangle",
              bytes: hex(buf.slice(0, Math.min(mLen, 16))),
              explanation: !isDigits && slen >= 0
                ? `SND length "${code}" is not 4 digits; atoi reads it as ${slen}, so the bytes ` +
                  "after the header are parsed as a new unit"
                : slen % 2 !== 0 && slen > 0
                ? `SND payload of odd length ${slen}: samples are counted as N/2`
                : `SND length ${slen} is negative: the buffer is shifted by ${total} bytes`,
              conn,
            }));
            if (fatal) {
              if (this.#mode === "crash") {
                this.#state = total === 0 ? "hung" : "crashed";
                return;
              }
              consume(7);
              continue;
            }
          }
          out.push({ kind: "snd", bytes: buf.slice(7, 7 + slen), conn });
          consume(total);
          continue;
        }
      }
      // Text chunk.
      const tok = strtokCRLF(buf, mLen);
      if (tok.hangAt !== undefined) {
        out.push(this.#fault(out, {
          kind: "hang",
          bytes: hex(buf.slice(Math.max(0, tok.hangAt - 8), Math.min(mLen, tok.hangAt + 8))),
          explanation:
            `byte 0x${buf[tok.hangAt].toString(16).padStart(2, "0")} at offset ${tok.hangAt} ` +
            "where a UTF-8 character should start: MMDFiles_strtok loops for ever and the " +
            "Plugin_Remote thread hangs (nothing is received or sent any more, on any connection)",
          conn,
        }));
        if (this.#mode === "crash") {
          this.#state = "hung";
          return;
        }
        // Recover: drop the offending byte and retry.
        buf.copyWithin(tok.hangAt, tok.hangAt + 1, SOCKET_MAXBUFLEN);
        mLen -= 1;
        continue;
      }
      const tlen = tok.start < 0 ? 0 : tok.length;
      const end = buf[tlen];
      if (end !== LF && end !== CR) {
        // Waiting for more data. A token that ends inside the valid data never changes again.
        const tokEnd = tok.start < 0 ? 0 : tok.start + tok.length;
        if (tokEnd < mLen || tok.start > 0) {
          const nul = tokEnd < mLen && buf[tokEnd] === 0;
          if (!this.#wedgeReported) {
            out.push(this.#fault(out, {
              kind: "wedge",
              bytes: hex(buf.slice(0, Math.min(mLen, 32))),
              explanation: nul
                ? `a NUL byte at offset ${tokEnd} ends the C string early: the line never counts ` +
                  "as complete and the receiver is wedged for every peer until the 8 KB buffer " +
                  "fills and the connection is dropped"
                : "the data starts with CR or LF: the completeness test looks at the wrong " +
                  "offset and the receiver is wedged for every peer until the 8 KB buffer fills " +
                  "and the connection is dropped",
              conn,
            }));
          }
          if (this.#mode === "crash") {
            this.#wedgeReported = true;
            this.#bp = mLen;
            return;
          }
          // Recover: remove the leading separators or the NUL and go on.
          if (nul) {
            buf.copyWithin(tokEnd, tokEnd + 1, SOCKET_MAXBUFLEN);
            mLen -= 1;
          } else {
            consume(tok.start > 0 ? tok.start : 1);
          }
          continue;
        }
        this.#bp = mLen;
        return;
      }
      if (tok.start < 0) {
        out.push(this.#fault(out, {
          kind: "crash",
          bytes: hex(buf.slice(0, Math.min(mLen, 16))),
          explanation: "the buffer holds only CR/LF bytes (an empty line as the whole read): " +
            "strtok returns NULL and strcpy(NULL) crashes MMDAgent-EX (SIGSEGV, exit 139)",
          conn,
        }));
        if (this.#mode === "crash") {
          this.#state = "crashed";
          return;
        }
        let k = 0;
        while (k < mLen && (buf[k] === CR || buf[k] === LF)) k++;
        consume(k);
        continue;
      }
      // Complete (by the binary's test). The token as the C code sees it starts at tok.start.
      const line = buf.slice(tok.start, tok.start + tok.length);
      if (tlen >= mLen) {
        out.push(this.#fault(out, {
          kind: "split",
          bytes: hex(line),
          explanation: "the line has no terminator yet, but the stale byte just past the data " +
            "is CR or LF, so this part is issued now and the rest later as a separate line",
          conn,
        }));
      }
      if (tok.start > 0) {
        out.push(this.#fault(out, {
          kind: "mangle",
          bytes: hex(buf.slice(0, Math.min(mLen, 32))),
          explanation: "leading CR/LF bytes shift the completeness test; this line was issued " +
            "by chance and the buffer is misaligned afterwards",
          conn,
        }));
      }
      if (tok.swallowed.length > 0) {
        out.push(this.#fault(out, {
          kind: "merge",
          bytes: hex(line),
          explanation: "a UTF-8 lead byte without enough continuation bytes swallowed a line " +
            "end: two lines were merged into one message",
          conn,
        }));
      }
      if (line.length >= 2048) {
        out.push(this.#fault(out, {
          kind: "overrun",
          bytes: hex(line.subarray(0, 32)),
          explanation: `a ${line.length}-byte line: TYPE or ARGS of 2048 bytes or more overruns ` +
            "MMDAgent-EX's internal 2048-byte buffers (undefined behaviour); keep lines under " +
            "2000 bytes",
          conn,
        }));
      }
      this.#dispatch(line, conn, out);
      let slen = tlen;
      while (buf[slen] === CR || buf[slen] === LF) slen++;
      consume(slen);
    }
  }

  #dispatch(line: Uint8Array, conn: number, out: ParserEvent[]): void {
    const head = latin1.decode(line.subarray(0, 13));
    if (head === "__AV_MESSAGE,") {
      const { type, args } = splitTypeArgs(line.subarray(13));
      out.push({ kind: "message", type, args, conn });
    } else if (head.startsWith("__AV")) {
      out.push({ kind: "avatar", line: cstr(line), conn });
    } else {
      const { type, args } = splitTypeArgs(line);
      out.push({ kind: "message", type, args, conn });
    }
  }
}
