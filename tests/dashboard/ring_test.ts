/** The dashboard's memory of recent traffic is a fixed-size ring. */
import { assertEquals, assertThrows } from "../assert.ts";
import { createRing } from "../../runtime/dashboard/ring.ts";

Deno.test("a ring keeps the newest items, oldest first, and counts what it forgot", () => {
  const r = createRing<number>(3);
  assertEquals(r.items(), []);
  r.push(1);
  r.push(2);
  assertEquals(r.items(), [1, 2]);
  for (let i = 3; i <= 10; i++) r.push(i);
  assertEquals(r.items(), [8, 9, 10]);
  assertEquals([r.size, r.pushed], [3, 10]);
});

Deno.test("a ring refuses a capacity that is not a whole number above 0", () => {
  assertThrows(() => createRing(0), RangeError);
  assertThrows(() => createRing(1.5), RangeError);
});
