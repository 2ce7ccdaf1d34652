import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { Timers } from "../../runtime/bot/timers.ts";
import { Waits } from "../../runtime/bot/waits.ts";
import type { BotToHost } from "../../runtime/bot/protocol.ts";
import { type Message, WaitTimeoutError } from "../../runtime/bot/define.ts";
import { RefusedError } from "../../runtime/wire/types.ts";

const message = (type: string, line: string): Message => ({
  line,
  type,
  fields: [],
  args: {} as Message["args"],
  isEcho: false,
  echoOf: undefined,
  connection: "c",
});

const setup = (budget = 3) => {
  const posted: BotToHost[] = [];
  const timers = new Timers((m) => posted.push(m), budget);
  return { posted, timers, waits: new Waits(timers) };
};

Deno.test("timers: past the budget after/every throw, sleep and waitFor reject, all with too-many-timers", async () => {
  const { timers, waits } = setup(2);
  timers.timer(10, () => {}, false);
  timers.timer(10, () => {}, true);
  const e = assertThrows(() => timers.timer(10, () => {}, false), RefusedError);
  assertEquals(e.refusal.code, "too-many-timers");
  assert(/budgets\.timers/.test(e.refusal.fix ?? ""), e.refusal.fix);
  await assertRejects(() => timers.sleep(5), RefusedError);
  await assertRejects(() => waits.waitFor("X"), RefusedError);
  assertEquals([timers.size, waits.size], [2, 0]);
});

Deno.test("timers: a cancelled, fired or refused timer is released, so the budget frees up", async () => {
  const { timers, posted } = setup(1);
  const t = timers.timer(10, () => {}, false);
  t.cancel();
  t.cancel();
  assertEquals(posted.filter((m) => m.t === "timer-clear").length, 1);
  const slept = timers.sleep(5);
  const id = (posted.at(-1) as { timer: number }).timer;
  timers.fire(id)!.fn();
  await slept;
  assertEquals(timers.size, 0);
  const refused = timers.sleep(5);
  const id2 = (posted.at(-1) as { timer: number }).timer;
  timers.refuse(id2)!.refused!(new RefusedError({ code: "too-many-timers", reason: "host" }));
  await assertRejects(() => refused, RefusedError);
  assertEquals(timers.size, 0);
});

Deno.test("waits: a matching message resolves a wait, its timeout rejects with WaitTimeoutError, abort rejects; each is released", async () => {
  const { timers, waits, posted } = setup(10);
  const msg = (type: string, line = type) => message(type, line);
  const got = waits.waitFor("A", { match: /^A\|yes/ });
  waits.offer(msg("A", "A|no"));
  waits.offer(msg("A", "A|yes"));
  assertEquals((await got).line, "A|yes");
  const timed = waits.waitFor(["B", "C"], { timeoutMs: 50 });
  const timer = (posted.filter((m) => m.t === "timer-set").at(-1) as { timer: number }).timer;
  timers.fire(timer)!.fn();
  const e = await assertRejects(() => timed, WaitTimeoutError);
  assertEquals(e.waitingFor, "B or C");
  const ac = new AbortController();
  const aborted = waits.waitFor("D", { signal: ac.signal });
  ac.abort(new Error("stop"));
  await assertRejects(() => aborted, /stop/);
  assertEquals([waits.size, timers.size], [0, 0]);
});

Deno.test("waits: ten thousand settled waits leave nothing behind", async () => {
  const { waits, timers } = setup(20_000);
  const all = [];
  for (let i = 0; i < 10_000; i++) all.push(waits.waitFor("A"));
  waits.offer(message("A", "A"));
  await Promise.all(all);
  assertEquals([waits.size, timers.size], [0, 0]);
});
