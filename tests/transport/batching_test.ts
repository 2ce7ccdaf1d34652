/**
 * The hot path's batching in the transport room: what is sent in one turn leaves in one write, and
 * the lines of one read reach the consumer as one batch (so the runtime handles them in one turn
 * and each bot gets them in one pipe write).
 */
import { assertEquals } from "../assert.ts";
import { createChannel } from "../../runtime/transport/channel.ts";
import { createLink } from "../../runtime/transport/link.ts";
import type { Chunk, Conn } from "../../runtime/transport/conn.ts";
import type { LinkEvent } from "../../runtime/transport/types.ts";
import { unit } from "./helpers.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

/** A connection that records each writeUnits call and takes inbound chunks from a channel. */
function recordingConn() {
  const inbound = createChannel<Chunk>();
  const writes: string[][] = [];
  const conn: Conn = {
    id: "rec",
    info: {},
    chunks: () => inbound,
    write: (bytes) => {
      writes.push([dec.decode(bytes)]);
      return Promise.resolve();
    },
    writeUnits: (parts) => {
      writes.push(parts.map((p) => dec.decode(p)));
      return Promise.resolve();
    },
    close: () => {
      inbound.close();
      return Promise.resolve();
    },
  };
  return { conn, inbound, writes };
}

async function nextBatch(it: AsyncIterator<readonly LinkEvent[]>, kind: LinkEvent["kind"]) {
  for (;;) {
    const r = await it.next();
    if (r.done) throw new Error("events ended");
    const wanted = r.value.filter((e) => e.kind === kind);
    if (wanted.length > 0) return wanted;
  }
}

Deno.test("link: units sent in one turn to an idle connection leave in one write, in order (the first is not written alone)", async () => {
  const { conn, writes } = recordingConn();
  const link = createLink({ kind: "single", conn }, { describe: "recording" });
  const it = link.eventBatches!()[Symbol.asyncIterator]();
  await nextBatch(it, "state"); // connected
  const sent = [1, 2, 3, 4, 5].map((i) => link.send(unit(`MESSAGE|pong|${i}`)));
  await Promise.all(sent);
  assertEquals(writes, [[1, 2, 3, 4, 5].map((i) => `MESSAGE|pong|${i}\n`)]);
  await link.close();
});

Deno.test("link: the lines of one read come out of eventBatches as one batch, in wire order", async () => {
  const { conn, inbound } = recordingConn();
  const link = createLink({ kind: "single", conn }, { describe: "recording" });
  const it = link.eventBatches!()[Symbol.asyncIterator]();
  await nextBatch(it, "state");
  inbound.push({
    bytes: enc.encode("MESSAGE|ping|1\nMESSAGE|ping|2\nMESSAGE|ping|3\n"),
    frameEnd: false,
  });
  const lines = await nextBatch(it, "line");
  assertEquals(
    lines.map((e) => e.kind === "line" ? e.line.text : ""),
    ["MESSAGE|ping|1", "MESSAGE|ping|2", "MESSAGE|ping|3"],
  );
  await link.close();
});

Deno.test("channel: batches() yields everything waiting at once, then what comes later, and ends once closed and empty", async () => {
  const ch = createChannel<number>();
  ch.push(1);
  ch.push(2);
  ch.push(3);
  const it = ch.batches()[Symbol.asyncIterator]();
  assertEquals((await it.next()).value, [1, 2, 3]);
  const later = it.next();
  ch.push(4);
  assertEquals((await later).value, [4]);
  ch.push(5);
  ch.close();
  assertEquals((await it.next()).value, [5]);
  assertEquals((await it.next()).done, true);
});
