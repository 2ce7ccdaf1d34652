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
