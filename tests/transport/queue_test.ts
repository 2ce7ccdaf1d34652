import { assertEquals } from "../assert.ts";
import { createOutboundQueue } from "../../runtime/transport/queue.ts";
import { unit } from "./helpers.ts";

const texts = (q: ReturnType<typeof createOutboundQueue>) => q.items().map((i) => i.unit.text);

Deno.test("queue: drop-oldest evicts the head when full and counts it", () => {
  const q = createOutboundQueue({ limit: 2, policy: "drop-oldest" });
  q.push({ unit: unit("a") });
  q.push({ unit: unit("b") });
  const r = q.push({ unit: unit("c") });
  assertEquals([r.accepted, r.evicted?.unit.text, texts(q), q.dropped], [true, "a", ["b", "c"], 1]);
});

Deno.test("queue: drop-newest refuses the new unit when full and counts it", () => {
  const q = createOutboundQueue({ limit: 2, policy: "drop-newest" });
  q.push({ unit: unit("a") });
  q.push({ unit: unit("b") });
  const r = q.push({ unit: unit("c") });
  assertEquals([r.accepted, r.evicted, texts(q), q.dropped], [false, undefined, ["a", "b"], 1]);
});

Deno.test("queue: a requeued unit goes first; the default policy is drop-oldest with 1000 units", () => {
  const q = createOutboundQueue();
  assertEquals([q.limit, q.policy], [1000, "drop-oldest"]);
  q.push({ unit: unit("b") });
  q.requeue({ unit: unit("a") });
  assertEquals([q.shift()?.unit.text, q.shift()?.unit.text, q.shift()], ["a", "b", undefined]);
});

Deno.test("queue: a limit below 1 is refused", () => {
  let err = "";
  try {
    createOutboundQueue({ limit: 0 });
  } catch (e) {
    err = String(e);
  }
  assertEquals(err.includes("positive integer"), true);
});

Deno.test("queue: one sender filling the queue loses its own units, never another sender's, while the other holds less", () => {
  const q = createOutboundQueue({ limit: 10, policy: "drop-oldest" });
  for (let i = 0; i < 3; i++) q.push({ unit: unit(`quiet${i}`), source: "quiet" });
  for (let i = 0; i < 100; i++) {
    const r = q.push({ unit: unit(`flood${i}`), source: "flood" });
    if (r.loser) assertEquals([r.loser, r.evicted?.source], ["flood", "flood"]);
  }
  assertEquals([q.held("quiet"), q.held("flood"), q.depth], [3, 7, 10]);
  assertEquals(texts(q), [
    "quiet0",
    "quiet1",
    "quiet2",
    ...[93, 94, 95, 96, 97, 98, 99].map((i) => `flood${i}`),
  ]);
  // The quiet sender may still grow to its equal share: the flood's units make room.
  for (let i = 3; i < 8; i++) {
    assertEquals(
      q.push({ unit: unit(`quiet${i}`), source: "quiet" }).loser,
      i < 5 ? "flood" : "quiet",
    );
  }
  assertEquals([q.held("quiet"), q.held("flood")], [5, 5]);
});

Deno.test("queue: under drop-newest the biggest sender's newest unit goes, or its new one is refused", () => {
  const q = createOutboundQueue({ limit: 4, policy: "drop-newest" });
  q.push({ unit: unit("a0"), source: "a" });
  for (let i = 0; i < 3; i++) q.push({ unit: unit(`b${i}`), source: "b" });
  assertEquals(q.push({ unit: unit("b3"), source: "b" }), { accepted: false, loser: "b" });
  const r = q.push({ unit: unit("a1"), source: "a" });
  assertEquals([r.accepted, r.loser, r.evicted?.unit.text], [true, "b", "b2"]);
  assertEquals(texts(q), ["a0", "b0", "b1", "a1"]);
  // Take and drain keep the per-sender counts true.
  q.take(2);
  assertEquals([q.held("a"), q.held("b")], [1, 1]);
  q.drain();
  assertEquals([q.held("a"), q.held("b"), q.dropped], [0, 0, 2]);
});
