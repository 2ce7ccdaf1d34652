/**
 * RFC 6455 framing for the emulator's WebSocket client, kept byte-exact on purpose: MMDAgent-EX
 * (through Poco) sends one masked FIN TEXT frame per line and reads frames one at a time into the
 * free space of its shared receive buffer, so the emulator needs the frame boundaries and the
 * announced payload size before the payload itself arrives.
 */
import { MmdbotError } from "../errors/error.ts";

/** WebSocket opcodes. */
export const OP = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** The GUID of RFC 6455 section 1.3, hashed with the key into `Sec-WebSocket-Accept`. */
export const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** One received frame. */
export interface Frame {
  /** Last frame of a message. */
  fin: boolean;
  /** One of {@link OP}. */
  opcode: number;
  /** Whether the sender masked the payload (clients must, servers must not). */
  masked: boolean;
  /** The payload, unmasked. */
  payload: Uint8Array;
}

/**
 * Encodes one client frame (masked, as RFC 6455 requires from a client).
 *
 * @example
 * encodeFrame(OP.text, new TextEncoder().encode("MESSAGE|hi\n")); // 0x81 0x8b <mask> <masked bytes>
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: { fin?: boolean; mask?: Uint8Array | false } = {},
): Uint8Array {
  const fin = options.fin ?? true;
  const mask = options.mask === false
    ? undefined
    : options.mask ?? crypto.getRandomValues(new Uint8Array(4));
  const len = payload.length;
  const extra = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = 2 + extra + (mask ? 4 : 0);
  const out = new Uint8Array(head + len);
  out[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  const maskBit = mask ? 0x80 : 0;
  const view = new DataView(out.buffer);
  if (extra === 0) out[1] = maskBit | len;
  else if (extra === 2) {
    out[1] = maskBit | 126;
    view.setUint16(2, len);
  } else {
    out[1] = maskBit | 127;
    view.setBigUint64(2, BigInt(len));
  }
  if (mask) {
    out.set(mask, 2 + extra);
    for (let i = 0; i < len; i++) out[head + i] = payload[i] ^ mask[i & 3];
  } else {
    out.set(payload, head);
  }
  return out;
}

/** `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)). */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + WS_GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** A random 16-byte `Sec-WebSocket-Key`, base64-encoded. */
export function randomKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** Raised when a frame announces more payload than the receiver accepts (Poco throws). */
export class FrameTooLargeError extends MmdbotError {
  /** `size` was announced, `limit` was free. */
  constructor(readonly size: number, readonly limit: number) {
    super(`WebSocket frame of ${size} bytes does not fit the ${limit} bytes of free buffer`);
  }
}

/**
 * Reads frames from a byte stream. Bytes already read past an HTTP header can be handed in as
 * `initial`. `next(limit)` checks the announced payload size against `limit` before reading the
 * payload, as Poco's `receiveFrame` does with its buffer size.
 */
export class FrameReader {
  #buf: Uint8Array;
  #conn: { read(p: Uint8Array): Promise<number | null> };

  /** Reads from `conn`, starting with the bytes in `initial`. */
  constructor(conn: { read(p: Uint8Array): Promise<number | null> }, initial = new Uint8Array()) {
    this.#conn = conn;
    this.#buf = initial;
  }

  async #fill(n: number): Promise<boolean> {
    while (this.#buf.length < n) {
      const chunk = new Uint8Array(Math.max(4096, n - this.#buf.length));
      const got = await this.#conn.read(chunk);
      if (got === null) return false;
      const merged = new Uint8Array(this.#buf.length + got);
      merged.set(this.#buf);
      merged.set(chunk.subarray(0, got), this.#buf.length);
      this.#buf = merged;
    }
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** The next frame, or null at end of stream. Throws {@link FrameTooLargeError} past `limit`. */
  async next(limit = Infinity): Promise<Frame | null> {
    if (!await this.#fill(2)) return null;
    const b0 = this.#buf[0];
    const b1 = this.#buf[1];
    let len = b1 & 0x7f;
    const masked = (b1 & 0x80) !== 0;
    let head = 2;
    if (len === 126) {
      if (!await this.#fill(4)) return null;
      len = (this.#buf[2] << 8) | this.#buf[3];
      head = 4;
    } else if (len === 127) {
      if (!await this.#fill(10)) return null;
      len = Number(new DataView(this.#buf.buffer, this.#buf.byteOffset + 2, 8).getBigUint64(0));
      head = 10;
    }
    if (len > limit) throw new FrameTooLargeError(len, limit);
    const maskLen = masked ? 4 : 0;
    if (!await this.#fill(head + maskLen + len)) return null;
    const header = this.#take(head + maskLen);
    const payload = this.#take(len);
    if (masked) {
      const mask = header.subarray(head, head + 4);
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    }
    return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, payload };
  }
}
