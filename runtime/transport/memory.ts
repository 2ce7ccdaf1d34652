/**
 * In-process connections: a {@link Conn} whose far end is code in the same process (the emulator in
 * console mode and the test kit, or nothing at all for replay), and a {@link Listener} that hands
 * such connections to a Link when the caller says so. They sit behind the same `createLink` as the
 * sockets, so setup replay, ordering, queueing and counters are the one Link's, not a copy's.
 */
import { createChannel } from "./channel.ts";
import type { Chunk, Conn, Listener } from "./conn.ts";

/** What the far end of a {@link MemoryConn} does with the units written to it. */
export interface MemoryPeer {
  /** Receives one unit's bytes (one call per unit, as one socket write per line would be). */
  write(bytes: Uint8Array): void;
  /** Called once when the Link closes the connection. */
  closed?(): void;
}

/** A connection whose inbound bytes the caller pushes. */
export interface MemoryConn extends Conn {
  /** Delivers bytes as if the far end had written them (ignored once ended). */
  push(bytes: Uint8Array): void;
  /** The far end closed: the inbound side ends (the Link sees a disconnect). */
  end(): void;
  /** Bytes pushed and not yet read by the Link. */
  readonly pendingChunks: number;
}

/**
 * Creates an in-process connection with id `id` whose written units go to `peer`.
 *
 * @example
 * ```ts
 * import { memoryConn } from "./memory.ts";
 * const conn = memoryConn("mem", { write: (b) => console.log(new TextDecoder().decode(b)) });
 * conn.push(new TextEncoder().encode("KEY|a\n"));
 * ```
 */
export function memoryConn(id: string, peer: MemoryPeer): MemoryConn {
  const inbound = createChannel<Chunk>();
  let closed = false;
  const writeUnits = (parts: readonly Uint8Array[]): Promise<void> => {
    if (closed) return Promise.reject(new Error(`${id} is closed`));
    for (const p of parts) peer.write(p);
    return Promise.resolve();
  };
  return {
    id,
    info: {},
    chunks: () => inbound,
    write: (bytes) => writeUnits([bytes]),
    writeUnits,
    push(bytes) {
      if (bytes.length > 0) inbound.push({ bytes, frameEnd: false });
    },
    end() {
      closed = true;
      inbound.close();
    },
    get pendingChunks() {
      return inbound.size;
    },
    close() {
      if (!closed) {
        closed = true;
        inbound.close();
        peer.closed?.();
      }
      return Promise.resolve();
    },
  };
}

/** A listener whose connections the caller hands over with {@link MemoryListener.accept}. */
export interface MemoryListener extends Listener {
  /** Hands `conn` to the Link as a newly accepted connection. */
  accept(conn: Conn): void;
}

/**
 * Creates a listener for in-process connections (`address` is what logs and `status` show).
 *
 * @example
 * ```ts
 * import { memoryConn, memoryListener } from "./memory.ts";
 * const listener = memoryListener("in-process");
 * listener.accept(memoryConn("mem", { write: () => {} }));
 * ```
 */
export function memoryListener(address: string): MemoryListener {
  const conns = createChannel<Conn>();
  return {
    address,
    port: 0,
    connections: () => conns,
    accept: (conn) => conns.push(conn),
    close() {
      conns.close();
      return Promise.resolve();
    },
  };
}
