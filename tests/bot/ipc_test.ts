import { assertEquals } from "../assert.ts";
import { hostBatches } from "../../runtime/bot/ipc.ts";
import type { HostToBot } from "../../runtime/bot/protocol.ts";

/** A reader that hands out `chunks` one per read, as a pipe might cut them. */
function chunked(chunks: string[]) {
  const enc = new TextEncoder();
  const queue = chunks.map((c) => enc.encode(c));
  return (buf: Uint8Array): Promise<number | null> => {
    const next = queue.shift();
    if (!next) return Promise.resolve(null);
    buf.set(next);
    return Promise.resolve(next.length);
  };
}

async function collect(chunks: string[]): Promise<HostToBot[][]> {
  const out: HostToBot[][] = [];
  for await (const batch of hostBatches(chunked(chunks))) out.push(batch);
  return out;
}

Deno.test("hostBatches: every line of one read is one batch, in order; lines cut across reads join", async () => {
  const a = '{"t":"ping","id":1}';
  const b = '{"t":"ping","id":2}';
  const c = '{"t":"ping","id":3}';
  const batches = await collect([
    `${a}\n${b}\n${c.slice(0, 5)}`,
    `${c.slice(5)}`,
    "\n",
  ]);
  assertEquals(batches, [
    [{ t: "ping", id: 1 }, { t: "ping", id: 2 }],
    [{ t: "ping", id: 3 }],
  ]);
});

Deno.test("hostBatches: multi-byte UTF-8 cut inside a character survives; non-JSON lines are skipped", async () => {
  const line = JSON.stringify({ t: "stop", now: 1, note: "こんにちは" });
  const bytes = new TextEncoder().encode(line + "\nnot json\n");
  const cut = bytes.indexOf(0xe3) + 1; // inside the first Japanese character
  const reads = [bytes.slice(0, cut), bytes.slice(cut)];
  const read = (buf: Uint8Array): Promise<number | null> => {
    const next = reads.shift();
    if (!next) return Promise.resolve(null);
    buf.set(next);
    return Promise.resolve(next.length);
  };
  const out: HostToBot[][] = [];
  for await (const batch of hostBatches(read)) out.push(batch);
  assertEquals(out, [[JSON.parse(line)]]);
});

Deno.test("post: everything posted in one turn goes out in one write, in order; the next turn is the next write", async () => {
  const { batch, post, writeWith } = await import("../../runtime/bot/ipc.ts");
  const writes: string[] = [];
  writeWith((bytes) => writes.push(new TextDecoder().decode(bytes)));
  const before = batch();
  for (let id = 1; id <= 5; id++) post({ t: "ack", id });
  assertEquals(batch(), before); // still unwritten: a send posted now may still be changed
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(writes.length, 1);
  assertEquals(writes[0].trimEnd().split("\n").map((l) => JSON.parse(l).id), [1, 2, 3, 4, 5]);
  assertEquals(batch(), before + 1);
  post({ t: "ack", id: 6 });
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(writes.length, 2);
});
