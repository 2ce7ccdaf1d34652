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
