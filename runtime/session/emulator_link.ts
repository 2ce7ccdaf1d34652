/**
 * A {@link Link} whose far end is an in-process {@link Emulator} instead of a socket: console mode
 * and the test kit use it so bots run against MMDAgent-EX's answers with no network at all. Units
 * go to the emulator's parser exactly as the bytes a socket would carry; its output goes through
 * the same line decoder a socket link uses.
 */
import type { Emulator } from "../emulator/core.ts";
import type { Link, LinkEvent, LinkStats, SendOutcome } from "../transport/types.ts";
import { createLineDecoder } from "../wire/decode.ts";
import type { WireUnit } from "../wire/types.ts";

/** The connection id console mode reports. */
export const EMULATOR_CONNECTION = "console";

/** Wraps an emulator as a link that is connected from the start. */
export function emulatorLink(emulator: Emulator, connection = EMULATOR_CONNECTION): Link {
  const decoder = createLineDecoder();
  const queue: LinkEvent[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let setup: readonly WireUnit[] = [];
  const stats: LinkStats = {
    state: "connecting",
    connection,
    reconnects: 0,
    linesIn: 0,
    linesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    invalidUtf8In: 0,
    droppedIn: 0,
    queueDepth: 0,
    queueDropped: 0,
  };
  const push = (ev: LinkEvent) => {
    queue.push(ev);
    wake?.();
  };
  const off = emulator.onOutput((_line, bytes) => {
    stats.bytesIn += bytes.length;
    const { lines, dropped } = decoder.push(bytes);
    const at = emulator.clock.now();
    for (const line of lines) {
      stats.linesIn++;
      if (line.invalidUtf8) stats.invalidUtf8In++;
      push({ kind: "line", line, connection, at });
    }
    for (const d of dropped) {
      stats.droppedIn++;
      push({ kind: "dropped", dropped: d, connection, at });
    }
  });
  let started = false;
  // Connects when the consumer starts reading, as a socket link connects after the host has
  // started its bots: the setup list known by then goes out first, then the connected event.
  const start = () => {
    if (started) return;
    started = true;
    emulator.connect(0, "127.0.0.1");
    stats.state = "connected";
    stats.connectedSince = emulator.clock.now();
    for (const u of setup) write(u);
    push({ kind: "state", state: "connected", connection, at: emulator.clock.now() });
  };

  const write = (unit: WireUnit): SendOutcome => {
    stats.linesOut++;
    stats.bytesOut += unit.bytes.length;
    emulator.receive(unit.bytes, 0);
    return { status: "written", connection };
  };

  return {
    describe: "in-process MMDAgent-EX emulator",
    async *events() {
      start();
      while (!closed || queue.length > 0) {
        const ev = queue.shift();
        if (ev) {
          yield ev;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
    send(unit) {
      if (closed) return Promise.resolve({ status: "dropped", reason: "link closed" });
      start();
      return Promise.resolve(write(unit));
    },
    setSetup(units) {
      // Replayed on connect only; once connected, the host writes new setup lines itself.
      setup = units;
    },
    stats: () => ({ ...stats }),
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      off();
      if (started) emulator.disconnect(0, "127.0.0.1");
      stats.state = "closed";
      push({ kind: "state", state: "closed", connection, at: emulator.clock.now() });
      return Promise.resolve();
    },
  };
}
