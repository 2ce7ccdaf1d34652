/** The one real-time deadline helper. */
import { assertEquals } from "../assert.ts";
import { TIMED_OUT, within } from "../../runtime/clock/deadline.ts";

Deno.test("within gives the value when the promise settles first, TIMED_OUT when the bound passes", async () => {
  assertEquals(await within(Promise.resolve(7), 1000), 7);
  assertEquals(await within(new Promise(() => {}), 5), TIMED_OUT);
});

Deno.test("within passes a rejection through and an abort ends the wait early", async () => {
  let caught: unknown;
  try {
    await within(Promise.reject(new Error("boom")), 1000);
  } catch (e) {
    caught = e;
  }
  assertEquals((caught as Error).message, "boom");
  const ctl = new AbortController();
  const waiting = within(new Promise(() => {}), 60_000, ctl.signal);
  ctl.abort();
  assertEquals(await waiting, TIMED_OUT);
});
