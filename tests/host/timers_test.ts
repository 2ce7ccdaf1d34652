import { assert, assertEquals } from "../assert.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { createBotTimers, FIRINGS_BURST, FIRINGS_PER_SECOND } from "../../runtime/host/timers.ts";

function setup(budget = 10) {
  const clock = new VirtualClock();
  const fired: { timer: number; id: number; at: number }[] = [];
  let nextId = 1;
  const timers = createBotTimers({
    clock,
    budget,
    fire: (timer) => {
      const id = nextId++;
      fired.push({ timer, id, at: clock.now() });
      return id;
    },
  });
  return { clock, fired, timers };
}

Deno.test("a timer past budgets.timers is refused with the budget and the fix, and nothing is armed", async () => {
  const { clock, fired, timers } = setup(2);
  assertEquals(timers.set(1, 10, false), undefined);
  assertEquals(timers.set(2, 10, false), undefined);
  const r = timers.set(3, 10, false);
  assertEquals(r?.code, "too-many-timers");
  assert(r!.reason.includes("more than 2 timers") && r!.fix!.includes("budgets.timers"), r!.reason);
  // Re-arming a pending timer is not a new one.
  assertEquals(timers.set(2, 20, false), undefined);
  await clock.advance(100);
  assertEquals(fired.map((f) => f.timer), [1, 2]);
  assertEquals(timers.size, 0);
  assertEquals(timers.refused, 1);
  assertEquals(timers.set(3, 10, false), undefined);
  timers.close();
});

Deno.test("a repeating timer never has two firings in flight: periods passed before the ack become one firing", async () => {
  const { clock, fired, timers } = setup();
  timers.set(1, 10, true);
  await clock.advance(10);
  assertEquals(fired.length, 1);
  // The bot does not acknowledge: ten more periods pass, nothing more is written.
  await clock.advance(100);
  assertEquals(fired.length, 1);
  assertEquals(timers.coalesced, 1);
  timers.acked(fired[0].id);
  assertEquals(fired.length, 2);
  assertEquals(fired[1].at, 110);
  // Acknowledged in time: one firing per period again.
  timers.acked(fired[1].id);
  await clock.advance(10);
  timers.acked(fired[2].id);
  await clock.advance(10);
  assertEquals(fired.map((f) => f.at), [10, 110, 120, 130]);
  timers.clear(1);
  await clock.advance(100);
  assertEquals(fired.length, 4);
  timers.close();
});

Deno.test("firings are paced per bot: a burst goes out at once, the rest in order at the sustained rate", async () => {
  const { clock, fired, timers } = setup(1000);
  for (let t = 1; t <= 600; t++) timers.set(t, 5, false);
  await clock.advance(5);
  assertEquals(fired.length, FIRINGS_BURST);
  await clock.advance(100);
  const expected = FIRINGS_BURST + (100 / 1000) * FIRINGS_PER_SECOND;
  assert(Math.abs(fired.length - expected) <= 2, `${fired.length} fired, expected ~${expected}`);
  await clock.advance(1000);
  assertEquals(fired.length, 600);
  assertEquals(fired.map((f) => f.timer), Array.from({ length: 600 }, (_, i) => i + 1));
  assert(timers.paced > 0);
  timers.close();
});
