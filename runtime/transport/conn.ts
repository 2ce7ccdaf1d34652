/**
 * One established connection, whatever carries it (TCP, WebSocket, stdio). A {@link Link} sits on top
 * and turns a series of these into one session-long connection; the emulator uses them directly.
 */

/** Bytes as they arrived. `frameEnd` marks the end of a WebSocket frame (a line boundary). */
export interface Chunk {
  bytes: Uint8Array;
  frameEnd: boolean;
}

/** One live connection to (or from) MMDAgent-EX. */
export interface Conn {
  /** Stable id for logs and events, e.g. `tcp:127.0.0.1:54321`, `ws:127.0.0.1:40112`, `stdio`. */
  readonly id: string;
  /** Extra facts worth logging (request path, `X-App-Type`, TLS). */
  readonly info: Record<string, string>;
  /** Inbound bytes; ends at EOF or on error. One consumer. */
  chunks(): AsyncIterable<Chunk>;
  /**
   * Writes `bytes` in full as ONE unit: one WebSocket frame, or consecutive TCP/pipe writes that no
   * other unit interleaves. Rejects when the connection is broken.
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Writes several whole units in order, as {@link Conn.write} would one after another, but in as
   * few operations as the transport allows: a TCP or pipe connection joins complete units into one
   * write (capped, see coalesce.ts), a WebSocket one still sends exactly one frame per unit.
   * Resolves once all are written; rejects when the connection breaks (which units got through is
   * then unknown, as for a single failed write).
   */
  writeUnits(parts: readonly Uint8Array[]): Promise<void>;
  /**
   * Closes once, cleanly: TCP half-close (FIN) then wait for the peer's EOF (bounded) so that unread
   * bytes never turn the close into a RST; WebSocket CLOSE with an empty payload (no status code).
   * Idempotent.
   */
  close(): Promise<void>;
}

/** Where a server transport hands over the connections MMDAgent-EX opens. */
export interface Listener {
  /** Where it listens, e.g. `127.0.0.1:50001` or `ws://127.0.0.1:9001/chat`. */
  readonly address: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Connections in arrival order; ends after {@link Listener.close}. */
  connections(): AsyncIterable<Conn>;
  /** Stops accepting; live connections are not touched. */
  close(): Promise<void>;
}

/** How long a clean close waits for the peer's EOF before releasing the socket anyway. */
export const CLOSE_DRAIN_MS = 1000;

/** Resolves after `ms` or when `p` settles, whichever is first; never rejects. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: number | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms) as unknown as number;
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
