import { assertEquals } from "../assert.ts";
import { Inbox } from "../../runtime/host/inbox.ts";

Deno.test("inbox: writes at most the window, the next one per ack; foreign acks do not move it", () => {
  const written: number[] = [];
  const inbox = new Inbox((_json, id) => written.push(id), undefined, 2, 10);
  for (let id = 1; id <= 5; id++) inbox.deliver(`m${id}`, id);
  assertEquals(written, [1, 2]);
  assertEquals(inbox.acked(99), false);
  assertEquals(written, [1, 2]);
  assertEquals(inbox.acked(1), true);
  assertEquals(written, [1, 2, 3]);
  assertEquals([inbox.inFlight, inbox.waiting], [2, 2]);
});

Deno.test("inbox: past its capacity the oldest waiting message is dropped and counted, however long the flood", () => {
  const written: number[] = [];
  const drops: number[] = [];
  const inbox = new Inbox((_json, id) => written.push(id), (n) => drops.push(n), 1, 4);
  for (let id = 1; id <= 1_000_000; id++) inbox.deliver("m", id);
  assertEquals(inbox.waiting, 4);
  assertEquals(inbox.dropped, 1_000_000 - 5);
  assertEquals(drops.length, inbox.dropped);
  // What is left is the newest, in order.
  for (let i = 0; i < 5; i++) inbox.acked(written.at(-1)!);
  assertEquals(written, [1, 999_997, 999_998, 999_999, 1_000_000]);
});
