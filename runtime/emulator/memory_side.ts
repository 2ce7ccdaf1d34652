/**
 * The emulator's in-process side: MMDAgent-EX as a memory connection offered to a Link's memory
 * listener, for console mode and the test kit. Units the Link writes reach the emulator's parser
 * exactly as the bytes a socket would carry (one read per unit); everything the emulator says goes
 * back through the Link's own line decoder.
 */
import { type MemoryConn, memoryConn, type MemoryListener } from "../transport/memory.ts";
import type { Emulator } from "./core.ts";

/** The emulator as a peer that connects to (and may leave) a memory listener. */
export interface EmulatorMemorySide {
  /** Connects (again): the emulator opens a new connection to the listener. */
  connect(): void;
  /** The emulator closes its connection (the Link sees MMDAgent-EX go away). */
  disconnect(): void;
  /** Output lines the emulator produced so far (to tell whether the Link has read them all). */
  readonly linesOut: number;
  /** Stops listening to the emulator. */
  close(): void;
}

/**
 * Puts `emulator` behind `listener` as connection `connection` (the id bots see).
 *
 * @example
 * ```ts ignore
 * const listener = memoryListener("in-process MMDAgent-EX emulator");
 * const link = createLink({ kind: "listen", listener }, { describe: listener.address });
 * const side = emulatorMemorySide(emulator, listener, "console");
 * side.connect();
 * ```
 */
export function emulatorMemorySide(
  emulator: Emulator,
  listener: MemoryListener,
  connection: string,
): EmulatorMemorySide {
  let conn: MemoryConn | undefined;
  let linesOut = 0;
  const peerIp = "127.0.0.1";
  const leave = () => {
    if (!conn) return;
    conn = undefined;
    emulator.disconnect(0, peerIp);
  };
  const offOutput = emulator.onOutput((_line, bytes) => {
    if (!conn) return;
    linesOut++;
    conn.push(bytes);
  });
  const offDeath = emulator.onDeath((how) => {
    if (how === "crash") {
      const c = conn;
      leave();
      c?.end();
    }
  });
  return {
    connect() {
      if (conn) return;
      const c = memoryConn(connection, {
        write: (bytes) => emulator.receive(bytes, 0),
        closed: () => {
          if (conn === c) leave();
        },
      });
      conn = c;
      emulator.connect(0, peerIp);
      listener.accept(c);
    },
    disconnect() {
      const c = conn;
      leave();
      c?.end();
    },
    get linesOut() {
      return linesOut;
    },
    close() {
      offOutput();
      offDeath();
    },
  };
}
