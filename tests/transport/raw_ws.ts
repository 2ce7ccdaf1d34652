/**
 * A raw RFC 6455 client over a plain TCP socket, playing MMDAgent-EX's WebSocket side in tests: it
 * sends exactly the frames a test asks for (masked, as a client must) and exposes every frame the
 * server sends, byte for byte, so tests can check opcodes, masking and close payloads.
 */

/** One frame as it came off the wire. */
export interface RawFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** The test's MMDAgent-EX-like WebSocket client. */
export interface RawWsClient {
  /** The HTTP response head of the handshake. */
  response: string;
  /** Sends one frame (masked) with the given opcode and payload. */
  sendFrame(opcode: number, payload: Uint8Array | string, fin?: boolean): Promise<void>;
  /** Next frame from the server, or undefined at EOF. */
  nextFrame(): Promise<RawFrame | undefined>;
  /** Writes raw bytes (e.g. a half frame). */
  writeRaw(bytes: Uint8Array): Promise<void>;
  /** Closes the TCP socket (no CLOSE frame), like a killed MMDAgent-EX. */
  close(): void;
}

const enc = new TextEncoder();

/** Connects and upgrades with the headers MMDAgent-EX sends (reference 7.3). */
export async function rawWsConnect(
  port: number,
  path = "/chat",
  tls?: { caCerts: string[] },
): Promise<RawWsClient> {
  const conn: Deno.Conn = tls
    ? await Deno.connectTls({ hostname: "localhost", port, caCerts: tls.caCerts })
    : await Deno.connect({ hostname: "127.0.0.1", port });
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const req = `GET ${path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nX-App-Type: MMDAgent\r\n` +
    `Host: localhost:${port}\r\n\r\n`;
  await writeAll(conn, enc.encode(req));
  let buf: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  let eof = false;
  const fill = async (): Promise<boolean> => {
    const chunk = new Uint8Array(65536);
    let n: number | null = null;
    try {
      n = await conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) {
      eof = true;
      return false;
    }
    const merged = new Uint8Array(buf.length + n);
    merged.set(buf);
    merged.set(chunk.subarray(0, n), buf.length);
    buf = merged;
    return true;
  };
  let headEnd = -1;
  while ((headEnd = findHeadEnd(buf)) < 0) {
    if (!(await fill())) throw new Error("EOF during handshake");
  }
  const response = new TextDecoder().decode(buf.subarray(0, headEnd));
  buf = buf.slice(headEnd + 4);
  if (!response.startsWith("HTTP/1.1 101")) throw new Error(`handshake refused: ${response}`);

  const need = async (n: number): Promise<boolean> => {
    while (buf.length < n) if (eof || !(await fill())) return false;
    return true;
  };
  return {
    response,
    async sendFrame(opcode, payload, fin = true) {
      const data = typeof payload === "string" ? enc.encode(payload) : payload;
      await writeAll(conn, encodeFrame(opcode, data, fin));
    },
    writeRaw: (bytes) => writeAll(conn, bytes),
    async nextFrame() {
      if (!(await need(2))) return undefined;
      const fin = (buf[0] & 0x80) !== 0;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (!(await need(4))) return undefined;
        len = (buf[2] << 8) | buf[3];
        off = 4;
      } else if (len === 127) {
        if (!(await need(10))) return undefined;
        len = Number(new DataView(buf.buffer, buf.byteOffset + 2, 8).getBigUint64(0));
        off = 10;
      }
      const maskLen = masked ? 4 : 0;
      if (!(await need(off + maskLen + len))) return undefined;
      const payload = buf.slice(off + maskLen, off + maskLen + len);
      if (masked) {
        const mask = buf.subarray(off, off + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      }
      buf = buf.slice(off + maskLen + len);
      return { fin, opcode, masked, payload };
    },
    close() {
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}

/** Encodes one client frame (always masked). */
export function encodeFrame(opcode: number, data: Uint8Array, fin = true): Uint8Array {
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const len = data.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = new Uint8Array(head + 4 + len);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out[2] = len >> 8;
    out[3] = len & 0xff;
  } else {
    out[1] = 0x80 | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(len));
  }
  out.set(mask, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = data[i] ^ mask[i % 4];
  return out;
}

function findHeadEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
